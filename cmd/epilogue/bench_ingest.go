package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/internal/loadgen"
	"github.com/epiloguehq/epilogue/store"
)

type ingestReport struct {
	DB           string    `json:"db"`
	CPUs         int       `json:"cpus"`
	Batch        int       `json:"batch"`
	Clients      int       `json:"clients"`
	EventsPerSec float64   `json:"events_per_sec"`
	Runs         []float64 `json:"runs"`
	Stored       int64     `json:"stored"`
	Accepted     int64     `json:"accepted"`
	P50Ms        float64   `json:"batch_p50_ms"`
	P99Ms        float64   `json:"batch_p99_ms"`
	TargetMet    bool      `json:"target_met"`
}

// benchIngest measures durable offer events per second through POST /v1/events: batches of
// signed events from concurrent clients, each acknowledged only once committed.
func benchIngest(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("bench ingest", "bench ingest [flags]", env, stderr)
	dur := f.Duration("duration", 5*time.Second, "length of each measured run")
	reps := f.Int("reps", 3, "runs (the median is reported)")
	clients := f.Int("clients", 16, "concurrent HTTP clients")
	batch := f.Int("batch", 100, "events per request (at most 100)")
	dbURL := f.String("db", "", "database (default: a fresh SQLite file in a temporary directory); a postgres:// URL measures PostgreSQL")
	asJSON := f.Bool("json", false, "print one JSON document")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile of the measured runs (server and clients) to this file")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.positive("duration", "reps", "clients", "batch"); err != nil {
		return err
	}
	if *batch < 1 || *batch > 100 {
		return fmt.Errorf("--batch must be 1 to 100")
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "bench ingest: "+format+"\n", a...) }
	url, dir, cleanup, err := benchDB(*dbURL)
	if err != nil {
		return err
	}
	defer cleanup()
	now := time.Now().UTC()
	sc := newScenario(2, 50, 10000, 0, now)
	sc.shop.ID = "shop_ingest_" + strconv.FormatInt(now.UnixNano(), 36) // a shared database stays clean between runs
	for _, o := range sc.offers {
		o.ShopID = sc.shop.ID
	}
	sc.placement.ShopID = sc.shop.ID
	db, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	if err := sc.seedStore(ctx, db); err != nil {
		db.Close()
		return err
	}
	key := benchKey(ctx, db, sc.shop.ID)
	db.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := openApp(ctx, appConfig{db: url, log: log, journeys: journeyConfig{outbox: benchOutbox(dir)}})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.serve(serveCtx, ln) }()
	defer func() { stop(); <-done }()

	// Tokens as decisions would have issued them: one per customer and offer.
	tokens := make([]string, 2000)
	for i := range tokens {
		tokens[i] = decide.Sign(sc.shop.Secret, decide.Claims{DecisionID: "dec_bench" + strconv.Itoa(i), OfferID: sc.offers[i%len(sc.offers)].ID,
			Placement: "confirmation", Arm: epilogue.ArmPolicy, CustomerKey: "id:cust" + strconv.Itoa(i%10000), Expires: now.Add(24 * time.Hour)})
	}
	types := []string{epilogue.EventImpression, epilogue.EventImpression, epilogue.EventImpression, epilogue.EventEngagement, epilogue.EventDismissal, epilogue.EventClose}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients * 2, DisableCompression: true}}
	var accepted atomic.Int64
	endpoint := "http://" + ln.Addr().String() + "/v1/events"
	run := 0
	do := func(i int) error {
		var body bytes.Buffer
		body.WriteString(`{"events":[`)
		for k := 0; k < *batch; k++ {
			if k > 0 {
				body.WriteByte(',')
			}
			n := i**batch + k
			fmt.Fprintf(&body, `{"id":"r%d-%d","type":%q,"token":%q}`, run, n, types[n%len(types)], tokens[n%len(tokens)])
		}
		body.WriteString(`]}`)
		req, _ := http.NewRequest("POST", endpoint, &body)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var out struct {
			Results []struct{ Status string } `json:"results"`
		}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
			return fmt.Errorf("status %d: %v", res.StatusCode, err)
		}
		for _, r := range out.Results {
			if r.Status != "accepted" {
				return fmt.Errorf("event %s", r.Status)
			}
		}
		accepted.Add(int64(len(out.Results)))
		return nil
	}
	rep := &ingestReport{DB: a.db.Dialect(), CPUs: runtime.NumCPU(), Batch: *batch, Clients: *clients}
	progress("warming up")
	run = -1
	loadgen.Saturate(ctx, time.Second, *clients, do)
	accepted.Store(0)
	var last loadgen.Result
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	for run = 0; run < *reps; run++ {
		progress("run %d of %d: %d clients posting %d events per request for %s", run+1, *reps, *clients, *batch, *dur)
		before := accepted.Load()
		last = loadgen.Saturate(ctx, *dur, *clients, do)
		if last.Errors > 0 {
			return fmt.Errorf("events failed under load: %d errors, first: %s", last.Errors, last.FirstError)
		}
		rep.Runs = append(rep.Runs, float64(accepted.Load()-before)/last.Seconds)
	}
	stopProfile()
	rep.EventsPerSec = median(rep.Runs)
	rep.Accepted = accepted.Load()
	rep.P50Ms, rep.P99Ms = ms(last.P50), ms(last.P99)
	// Acknowledged means durable: every accepted event is in the database.
	var seq int64
	for {
		evs, next, err := a.db.EventsAfter(ctx, seq, 10000)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if e.ShopID == sc.shop.ID && e.ID[0] == 'r' && e.ID[1] != '-' {
				rep.Stored++
			}
		}
		if len(evs) == 0 {
			break
		}
		seq = next
	}
	if rep.Stored != rep.Accepted {
		return fmt.Errorf("%d events acknowledged but %d stored", rep.Accepted, rep.Stored)
	}
	rep.TargetMet = rep.EventsPerSec >= 20000
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	fmt.Fprintf(stdout, `epilogue bench ingest — %s, %d CPUs, %d clients, %d events per request
durable events/s: %.0f (median of runs %v; target >= 20,000 on SQLite)
request latency at saturation: p50 %.2f ms, p99 %.2f ms
acknowledged %d events, found %d stored
`, rep.DB, rep.CPUs, rep.Clients, rep.Batch, rep.EventsPerSec, rounded(rep.Runs), rep.P50Ms, rep.P99Ms, rep.Accepted, rep.Stored)
	return nil
}
