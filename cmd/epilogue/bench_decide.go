package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/internal/loadgen"
	"github.com/epiloguehq/epilogue/store"
)

type decideReport struct {
	Offers    int    `json:"offers"`
	Customers int    `json:"customers"`
	Scorer    string `json:"scorer"`
	DB        string `json:"db"`
	CPUs      int    `json:"cpus"`
	InProcess struct {
		DecisionsPerSecPerCore float64 `json:"decisions_per_sec_per_core"`
		AllocsPerDecision      float64 `json:"allocs_per_decision"`
		BytesPerDecision       float64 `json:"bytes_per_decision"`
		// WithRecording counts the decision record's share too (encoding and writing it).
		RecordedPerSecPerCore     float64 `json:"recorded_decisions_per_sec_per_core"`
		RecordedAllocsPerDecision float64 `json:"recorded_allocs_per_decision"`
		MeanEligible              float64 `json:"mean_eligible_candidates"`
		OfferRate                 float64 `json:"share_with_offers"`
		// Runs and RecordedRuns are every run's decisions per second, in run order.
		Runs         []float64 `json:"runs"`
		RecordedRuns []float64 `json:"recorded_runs"`
	} `json:"in_process"`
	HTTP    *httpReport     `json:"http,omitempty"` // absent with --http=false
	Targets map[string]bool `json:"targets_met"`
}

// httpReport is bench decide's loopback half.
type httpReport struct {
	Throughput        float64        `json:"decisions_per_sec"`
	TrivialThroughput float64        `json:"trivial_per_sec"`
	Ratio             float64        `json:"ratio"`
	HalfLoad          loadgen.Result `json:"half_load"` // the run with the median p99
	TrivialHalfLoad   loadgen.Result `json:"trivial_half_load"`
	// P99Runs are the p99s of every half-load run (ms): the tail moves between runs far
	// more than the median does, so the figure is their median, not one run's.
	P99Runs           []float64 `json:"p99_runs_ms"`
	TrivialP99Runs    []float64 `json:"trivial_p99_runs_ms"`
	Saturation        []float64 `json:"saturation_runs"`
	TrivialSaturation []float64 `json:"trivial_saturation_runs"`
	P50Ms             float64   `json:"p50_ms"`
	P99Ms             float64   `json:"p99_ms"`
	TrivialP99Ms      float64   `json:"trivial_p99_ms"`
}

func benchDecide(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("bench decide", "bench decide [flags]", env, stderr)
	nOffers := f.Int("offers", 1000, "active offers in the shop")
	nCustomers := f.Int("customers", 100000, "customers with history")
	dur := f.Duration("duration", 5*time.Second, "length of each measured run")
	reps := f.Int("reps", 3, "runs per measurement (the median is reported)")
	workers := f.Int("workers", 64, "concurrent HTTP clients at saturation")
	scorerName := f.String("scorer", "prior", "scorer: prior or model")
	dbURL := f.String("db", "", "database (default: a fresh SQLite file in a temporary directory)")
	asJSON := f.Bool("json", false, "print one JSON document")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile of the in-process runs to this file")
	httpProfile := f.String("httpprofile", "", "write a CPU profile of the first HTTP saturation run of decisions to this file")
	memProfile := f.String("memprofile", "", "write an allocation profile of the in-process runs to this file")
	overHTTP := f.Bool("http", true, "measure over HTTP on loopback too (--http=false: in process only, for comparing builds quickly)")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.positive("offers", "customers", "duration", "reps", "workers"); err != nil {
		return err
	}
	if _, err := benchScorer(*scorerName, nil); err != nil {
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "bench decide: "+format+"\n", a...) }
	progress("building the scenario: %d offers, %d customers", *nOffers, *nCustomers)
	if *scorerName == "model" {
		progress("warming the model up on %d simulated impressions", warmImpressions)
	}
	a, sc, scorer, _, cleanup, err := setupDecideScenario(ctx, *nOffers, *nCustomers, *scorerName, *dbURL, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	rep := &decideReport{Offers: *nOffers, Customers: *nCustomers, Scorer: a.engine.Scorer().Version(), DB: a.db.Dialect(), CPUs: runtime.NumCPU()}

	// In process, one core: the engine alone (records dropped), then with recording.
	bare := decide.New(decide.Config{Scorer: scorer, People: a.engine.People(), Budgets: a.engine.Budgets()})
	bare.SetSnapshot(a.engine.Snapshot(sc.shop.ID))
	progress("in process, one core, %d runs of %s", *reps, *dur)
	if *memProfile != "" {
		runtime.MemProfileRate = 1
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	rep.InProcess.Runs, rep.InProcess.MeanEligible, rep.InProcess.OfferRate = decideLoop(bare, sc, *dur, *reps)
	rep.InProcess.DecisionsPerSecPerCore = median(rep.InProcess.Runs)
	rep.InProcess.AllocsPerDecision, rep.InProcess.BytesPerDecision = decideAllocs(bare, sc)
	rep.InProcess.RecordedRuns, _, _ = decideLoop(a.engine, sc, *dur, *reps)
	rep.InProcess.RecordedPerSecPerCore = median(rep.InProcess.RecordedRuns)
	rep.InProcess.RecordedAllocsPerDecision, _ = decideAllocs(a.engine, sc)
	stopProfile()
	if *memProfile != "" {
		pf, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		pprof.Lookup("allocs").WriteTo(pf, 0)
		pf.Close()
	}

	// Over HTTP on loopback, next to a trivial JSON handler measured the same way. Each server
	// runs in a process of its own, as in production, so neither shares a heap (and a garbage
	// collector) with the other or with the load generator. This process's own app is closed
	// first, to give them the memory and the cores.
	a.close()
	// The load generator must not carry this process's state: a large live heap would make its
	// own garbage collection pause the clients, and the pauses would count as server latency.
	a, bare, scorer, sc.requests = nil, nil, nil, nil
	runtime.GC()
	debug.FreeOSMemory()
	rep.Targets = map[string]bool{"at_most_50_allocs_per_decision": rep.InProcess.AllocsPerDecision <= 50}
	if *overHTTP {
		cfg := decideHTTPConfig{offers: *nOffers, customers: *nCustomers, workers: *workers, reps: *reps, scorer: *scorerName,
			db: *dbURL, profile: *httpProfile, dur: *dur}
		if rep.HTTP, err = decideOverHTTP(ctx, sc, cfg, progress, stderr); err != nil {
			return err
		}
		rep.Targets["http_throughput_at_least_half_of_trivial"] = rep.HTTP.Ratio >= 0.5
		rep.Targets["p99_at_half_load_at_most_5ms"] = rep.HTTP.P99Ms <= 5
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	ip := &rep.InProcess
	fmt.Fprintf(stdout, `epilogue bench decide — %d offers, %d customers, scorer %s, %s, %d CPUs
in process (one core):   %8.0f decisions/s  (runs %v)   %5.1f allocs and %6.0f bytes per decision
  with recording:        %8.0f decisions/s  (runs %v)   %5.1f allocs per decision
  mean eligible offers:  %8.1f               share answered with offers: %.2f
`, rep.Offers, rep.Customers, rep.Scorer, rep.DB, rep.CPUs,
		ip.DecisionsPerSecPerCore, rounded(ip.Runs), ip.AllocsPerDecision, ip.BytesPerDecision,
		ip.RecordedPerSecPerCore, rounded(ip.RecordedRuns), ip.RecordedAllocsPerDecision, ip.MeanEligible, ip.OfferRate)
	if h := rep.HTTP; h != nil {
		fmt.Fprintf(stdout, `over HTTP (loopback, %d clients):
  decisions:             %8.0f /s  (runs %v)
  trivial JSON handler:  %8.0f /s  (runs %v)
  ratio:                 %8.2f     (target >= 0.50)
  at half load:          p50 %.2f ms, p99 %.2f ms (runs %v; target p99 <= 5 ms); trivial p99 %.2f ms (runs %v)
`, *workers, h.Throughput, rounded(h.Saturation), h.TrivialThroughput, rounded(h.TrivialSaturation),
			h.Ratio, h.P50Ms, h.P99Ms, h.P99Runs, h.TrivialP99Ms, h.TrivialP99Runs)
	}
	fmt.Fprintf(stdout, "targets met: %v\n", rep.Targets)
	return nil
}

// decideHTTPConfig is what bench decide's flags say of the loopback half.
type decideHTTPConfig struct {
	offers, customers, workers, reps int
	scorer, db, profile              string
	dur                              time.Duration
}

// decideOverHTTP measures decisions over HTTP on loopback: the scenario served by the real app
// in a process of its own, next to a trivial JSON handler in another.
func decideOverHTTP(ctx context.Context, sc *scenario, cfg decideHTTPConfig, progress func(string, ...any), stderr io.Writer) (*httpReport, error) {
	h := &httpReport{}
	workers, dur, reps := cfg.workers, cfg.dur, cfg.reps
	decideAddr, key, stopDecide, err := spawnBenchServer(ctx, stderr, "decide-server", "--offers", fmt.Sprint(cfg.offers),
		"--customers", fmt.Sprint(cfg.customers), "--scorer", cfg.scorer, "--db", cfg.db, "--httpprofile", cfg.profile)
	if err != nil {
		return nil, err
	}
	defer stopDecide()
	trivialAddr, _, stopTrivial, err := spawnBenchServer(ctx, stderr, "trivial-server")
	if err != nil {
		return nil, err
	}
	defer stopTrivial()
	// The raw keep-alive client costs the machine far less per request than net/http's, so the
	// two servers, not the client, decide the figures.
	headers := []string{"Authorization", "Bearer " + key, "Content-Type", "application/json"}
	decideURL := loadgen.NewClient(decideAddr, "/v1/decisions", workers, headers...)
	trivial := loadgen.NewClient(trivialAddr, "/", workers, headers...)
	defer decideURL.Close()
	defer trivial.Close()
	post := func(c *loadgen.Client) loadgen.Do {
		return func(i int) error {
			status, err := c.Post(sc.bodies[i%len(sc.bodies)])
			if err == nil && status != 200 {
				err = fmt.Errorf("status %d", status)
			}
			return err
		}
	}
	progress("over HTTP: warming up")
	loadgen.Saturate(ctx, time.Second, workers, post(decideURL))
	loadgen.Saturate(ctx, time.Second, workers, post(trivial))
	for r := 0; r < reps; r++ {
		progress("over HTTP: saturation run %d of %d (decisions, then trivial)", r+1, reps)
		d := loadgen.Saturate(ctx, dur, workers, post(decideURL))
		if d.Errors > 0 {
			return nil, fmt.Errorf("decisions failed under load: %d errors, first: %s", d.Errors, d.FirstError)
		}
		t := loadgen.Saturate(ctx, dur, workers, post(trivial))
		h.Saturation = append(h.Saturation, d.Throughput)
		h.TrivialSaturation = append(h.TrivialSaturation, t.Throughput)
	}
	h.Throughput, h.TrivialThroughput = median(h.Saturation), median(h.TrivialSaturation)
	h.Ratio = h.Throughput / h.TrivialThroughput
	var half, trivialHalf []loadgen.Result
	for r := 0; r < reps; r++ {
		progress("over HTTP: latency at half load, run %d of %d (decisions at %.0f/s, then trivial)", r+1, reps, h.Throughput/2)
		half = append(half, loadgen.Rate(ctx, dur*2, h.Throughput/2, workers, post(decideURL)))
		trivialHalf = append(trivialHalf, loadgen.Rate(ctx, dur*2, h.TrivialThroughput/2, workers, post(trivial)))
	}
	h.HalfLoad, h.P99Runs = medianByP99(half)
	h.TrivialHalfLoad, h.TrivialP99Runs = medianByP99(trivialHalf)
	h.P50Ms = ms(h.HalfLoad.P50)
	h.P99Ms = ms(h.HalfLoad.P99)
	h.TrivialP99Ms = ms(h.TrivialHalfLoad.P99)
	return h, nil
}

// medianByP99 returns the run with the median p99 and every run's p99 in ms, in run order.
func medianByP99(runs []loadgen.Result) (loadgen.Result, []float64) {
	p99s := make([]float64, len(runs))
	for i, r := range runs {
		p99s[i] = math.Round(ms(r.P99)*100) / 100
	}
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b loadgen.Result) int { return cmp.Compare(a.P99, b.P99) })
	return sorted[len(sorted)/2], p99s
}

// decideLoop runs decisions on one core for reps runs of d, returning each run's decisions per
// second, the mean number of eligible offers and the share of decisions with offers.
func decideLoop(e *decide.Engine, sc *scenario, d time.Duration, reps int) (rates []float64, eligible, withOffers float64) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var cands, shown, total int
	for r := 0; r < reps; r++ {
		n := 0
		start := time.Now()
		for time.Since(start) < d {
			for k := 0; k < 100; k++ {
				res, err := e.Decide(sc.shop.ID, sc.requests[(n+k)%len(sc.requests)], false)
				if err != nil {
					panic(err)
				}
				total++
				cands += res.Eligible
				if len(res.Offers) > 0 {
					shown++
				}
			}
			n += 100
		}
		rates = append(rates, float64(n)/time.Since(start).Seconds())
	}
	return rates, float64(cands) / float64(total), float64(shown) / float64(total)
}

// decideAllocs measures heap allocations and bytes per decision.
func decideAllocs(e *decide.Engine, sc *scenario) (allocs, bytes float64) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	const n = 20000
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		e.Decide(sc.shop.ID, sc.requests[i%len(sc.requests)], false)
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / n, float64(after.TotalAlloc-before.TotalAlloc) / n
}

// trivialHandler is the baseline: it parses the same request body and answers a fixed JSON
// document.
func trivialHandler() http.Handler {
	fixed := []byte(`{"decision_id":"dec_trivial","arm":"policy","offers":[],"no_offer_reason":"none_eligible"}` + "\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req epilogue.DecisionRequest
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(fixed)
	})
}

// benchServerReady is the line a benchmark server prints on stdout once it listens.
type benchServerReady struct {
	Addr string `json:"addr"`
	Key  string `json:"key,omitempty"`
}

// spawnBenchServer starts this binary as "bench NAME ARGS…" and waits for its ready line. The
// child serves until its standard input closes: stop closes it and waits for the exit.
func spawnBenchServer(ctx context.Context, stderr io.Writer, name string, args ...string) (addr, key string, stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return "", "", nil, err
	}
	cmd := exec.CommandContext(ctx, self, append([]string{"bench", name}, args...)...)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", "", nil, err
	}
	stop = func() { in.Close(); cmd.Wait() }
	var ready benchServerReady
	if err := json.NewDecoder(out).Decode(&ready); err != nil {
		stop()
		return "", "", nil, fmt.Errorf("bench %s did not start: %w", name, err)
	}
	return ready.Addr, ready.Key, stop, nil
}

// serveBench listens on loopback, announces the address on stdout and serves h until standard
// input closes (the parent benchmark is done) or ctx ends.
func serveBench(ctx context.Context, stdout io.Writer, h http.Handler, key string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	json.NewEncoder(stdout).Encode(benchServerReady{Addr: ln.Addr().String(), Key: key})
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return srv.Close()
}

// benchTrivialServer is "bench trivial-server": the baseline in a process of its own.
func benchTrivialServer(ctx context.Context, stdout io.Writer) error {
	return serveBench(ctx, stdout, trivialHandler(), "")
}

// benchDecideServer is "bench decide-server": the decision benchmark's scenario served by the
// real app in a process of its own.
func benchDecideServer(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("bench decide-server", "bench decide-server [flags]", env, stderr)
	nOffers := f.Int("offers", 1000, "active offers in the shop")
	nCustomers := f.Int("customers", 100000, "customers with history")
	scorerName := f.String("scorer", "prior", "scorer: prior or model")
	dbURL := f.String("db", "", "database (default: a fresh SQLite file in a temporary directory)")
	httpProfile := f.String("httpprofile", "", "write a CPU profile of the whole run to this file")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.positive("offers", "customers"); err != nil {
		return err
	}
	a, _, _, key, cleanup, err := setupDecideScenario(ctx, *nOffers, *nCustomers, *scorerName, *dbURL, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	stopProfile, err := startCPUProfile(*httpProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- a.serve(serveCtx, ln) }()
	json.NewEncoder(stdout).Encode(benchServerReady{Addr: ln.Addr().String(), Key: key})
	io.Copy(io.Discard, os.Stdin)
	stop()
	return <-done
}

// setupDecideScenario builds the standard scenario (seed 1: the parent and the server process
// build the same one), stores it, opens the app on it with the scorer asked for and gives the
// customers their history. It returns a publishable key for the shop.
func setupDecideScenario(ctx context.Context, offers, customers int, scorerName, dbURL string, stderr io.Writer) (
	a *app, sc *scenario, scorer decide.Scorer, key string, cleanup func(), err error) {
	now := time.Now().UTC()
	sc = newScenario(1, offers, customers, 20000, now)
	if scorer, err = benchScorer(scorerName, sc); err != nil {
		return nil, nil, nil, "", nil, err
	}
	url, dir, cleanup, err := benchDB(dbURL)
	if err != nil {
		return nil, nil, nil, "", nil, err
	}
	fail := func(err error) (*app, *scenario, decide.Scorer, string, func(), error) {
		cleanup()
		return nil, nil, nil, "", nil, err
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		return fail(err)
	}
	if err := sc.seedStore(ctx, db); err != nil {
		db.Close()
		return fail(err)
	}
	key = benchKey(ctx, db, sc.shop.ID)
	db.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if a, err = openApp(ctx, appConfig{db: url, log: log, scorer: scorer, journeys: journeyConfig{outbox: benchOutbox(dir)}}); err != nil {
		return fail(err)
	}
	sc.seedHistory(a.engine, now)
	return a, sc, scorer, key, cleanup, nil
}

// benchKey makes a publishable key for the benchmark shop: the browser's path.
func benchKey(ctx context.Context, db *store.DB, shopID string) string {
	k, plain := epilogue.NewKey(shopID, epilogue.KeyPublishable, time.Now().UTC())
	if err := db.CreateKey(ctx, k); err != nil {
		panic(err)
	}
	return plain
}

// benchDB returns the database URL to use (the given one, or a fresh SQLite file) and a
// scratch directory for the benchmark's other files, such as the outbox: a benchmark leaves
// nothing in the working directory, whatever database it measures.
func benchDB(url string) (dbURL, dir string, cleanup func(), err error) {
	if dir, err = os.MkdirTemp("", "epilogue-bench-"); err != nil {
		return "", "", nil, err
	}
	if url == "" {
		url = "sqlite://" + filepath.Join(dir, "bench.db")
	}
	return url, dir, func() { os.RemoveAll(dir) }, nil
}

// benchOutbox is where a benchmark's app writes messages: its scratch directory.
func benchOutbox(dir string) string { return filepath.Join(dir, "outbox.jsonl") }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func rounded(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x + 0.5)
	}
	return out
}

// benchScorer returns the scorer a benchmark asks for: the prior, or the learned model warmed
// up on simulated impressions of the scenario (see warmModel). With no scenario it only checks
// the name.
func benchScorer(name string, sc *scenario) (decide.Scorer, error) {
	switch name {
	case "prior", "":
		return decide.PriorScorer{}, nil
	case "model":
		if sc == nil {
			return decide.PriorScorer{}, nil
		}
		return warmModel(sc, warmImpressions), nil
	}
	return nil, fmt.Errorf("--scorer must be prior or model, not %q", name)
}
