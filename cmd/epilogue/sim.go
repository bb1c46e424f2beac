package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/epiloguehq/epilogue/sim"
)

// simSummary is one policy's line of `sim --json`.
type simSummary struct {
	Policy         string  `json:"policy"`
	Decisions      int     `json:"decisions"`
	CTR            float64 `json:"ctr"`
	ConversionRate float64 `json:"conversion_rate"`
	RPT            float64 `json:"rpt"`
	Regret         float64 `json:"regret"`
}

func runSim(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("sim", "sim [--decisions N] [--policy model|prior|random|oracle|all] [--seed N] [--plot out.svg] [--log out.csv] [--json]", env, stderr)
	decisions := f.integer("decisions", 50000, "decisions to simulate")
	policy := f.str("policy", "model", "policy: model, prior, random, oracle, or all (runs the four and compares them)")
	seed := f.Uint64("seed", 1, "random seed: the same seed gives the same customers, truths and traffic for every policy")
	f.fromEnv("seed")
	offers := f.integer("offers", 40, "offers in the simulated shop")
	customers := f.integer("customers", 4000, "distinct customers")
	publish := f.integer("publish-every", 250, "decisions between model snapshots reaching the engine")
	plot := f.str("plot", "", "draw CTR, conversion rate, revenue per transaction and regret over time into this SVG file")
	logPath := f.str("log", "", "write the impression log as a click log (CSV, label column click, time column time) for eval log")
	asJSON := f.boolean("json", false, "print JSON: one object, or an array with --policy all")
	if err := f.parse(args); err != nil {
		return err
	}
	switch {
	case *decisions < 1 || *decisions > 10_000_000:
		return fmt.Errorf("sim: --decisions must be between 1 and 10000000, not %d", *decisions)
	case *offers < 1 || *offers > 10000:
		return fmt.Errorf("sim: --offers must be between 1 and 10000, not %d", *offers)
	case *customers < 1 || *customers > 10_000_000:
		return fmt.Errorf("sim: --customers must be between 1 and 10000000, not %d", *customers)
	case *publish < 1:
		return fmt.Errorf("sim: --publish-every must be at least 1, not %d", *publish)
	case *plot != "" && sameFile(*plot, *logPath):
		return errors.New("sim: --log and --plot must be different files")
	}
	policies := []string{*policy}
	if *policy == "all" {
		policies = sim.Policies
		if *logPath != "" {
			return errors.New("sim: --log writes one policy's impressions; give one --policy with it")
		}
	} else if !slices.Contains(sim.Policies, *policy) {
		return fmt.Errorf("sim: --policy must be one of %s or all, not %q", strings.Join(sim.Policies, ", "), *policy)
	}
	cfg := sim.Config{Decisions: *decisions, Seed: *seed, Offers: *offers, Customers: *customers, PublishEvery: *publish}
	// Both outputs are opened before the run, so a bad path fails at once, and each replaces
	// its file only once everything succeeded: a failed run leaves an earlier one as it was.
	var logFile, plotFile *output
	for _, o := range []struct {
		flag, path string
		to         **output
	}{{"--log", *logPath, &logFile}, {"--plot", *plot, &plotFile}} {
		if o.path == "" {
			continue
		}
		out, err := createOutput(o.path)
		if err != nil {
			return fmt.Errorf("sim: %s: %w", o.flag, err)
		}
		defer out.discard()
		*o.to = out
	}
	if logFile != nil {
		cfg.Log = logFile
	}
	results := make([]*sim.Result, len(policies))
	errs := make([]error, len(policies))
	var wg sync.WaitGroup
	for i, p := range policies {
		wg.Go(func() {
			c := cfg
			c.Policy = p
			results[i], errs[i] = sim.Run(ctx, c)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if plotFile != nil {
		if err := sim.Plot(plotFile, results); err != nil {
			return fmt.Errorf("sim: --plot: %w", err)
		}
	}
	for _, o := range []struct {
		flag string
		out  *output
	}{{"--log", logFile}, {"--plot", plotFile}} {
		if err := o.out.commit(); err != nil {
			return fmt.Errorf("sim: %s: %w", o.flag, err)
		}
	}
	if *asJSON {
		out := make([]simSummary, len(results))
		for i, r := range results {
			out[i] = simSummary{r.Policy, r.Decisions, r.CTR, r.ConvRate, r.RPT, r.Regret}
		}
		enc := json.NewEncoder(stdout)
		if len(out) == 1 {
			return enc.Encode(out[0])
		}
		return enc.Encode(out)
	}
	printSim(stdout, cfg, results)
	return nil
}

func printSim(w io.Writer, cfg sim.Config, results []*sim.Result) {
	fmt.Fprintf(w, "epilogue sim — %d decisions, seed %d, %d offers, %d customers\n\n", cfg.Decisions, cfg.Seed, cfg.Offers, cfg.Customers)
	fmt.Fprintf(w, "%-8s %8s %10s %8s %10s %9s %13s\n", "policy", "CTR", "conv rate", "RPT", "regret", "no-offer", "transactions")
	var oracle, random *sim.Result
	for _, r := range results {
		fmt.Fprintf(w, "%-8s %8.4f %10.4f %8.3f %10.1f %9.3f %13d\n", r.Policy, r.CTR, r.ConvRate, r.RPT, r.Regret,
			float64(r.NoOffer)/float64(r.Decisions), r.Transactions)
		switch r.Policy {
		case "oracle":
			oracle = r
		case "random":
			random = r
		}
	}
	for _, r := range results {
		if r.Policy != "model" {
			continue
		}
		if oracle != nil {
			fmt.Fprintf(w, "\nmodel CTR / oracle CTR: %.3f (target >= 0.90)\n", r.CTR/oracle.CTR)
		}
		if random != nil {
			fmt.Fprintf(w, "model regret / random regret: %.3f (target <= 0.333)\n", r.Regret/random.Regret)
		}
		if s := r.Trainer; s != nil {
			fmt.Fprintf(w, "trainer: %d engage examples (%d positive), %d convert examples (%d positive), %d late events, %d pending\n",
				s.Engage, s.EngagePositive, s.Convert, s.ConvertPositive, s.Late, s.Pending)
		}
	}
}

// sameFile reports whether two paths name one file (one that exists, or the same path).
func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// output is a file written whole or not at all: it is written to a temporary file beside
// path, which commit renames over path.
type output struct {
	*os.File
	path string // "" when written in place (a device such as /dev/stdout: nothing to lose)
	done bool
}

func createOutput(path string) (*output, error) {
	mode := os.FileMode(0o644) // what os.Create gives under the usual umask
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return nil, err
			}
			return &output{File: f}, nil
		}
		mode = fi.Mode().Perm() // a replaced file keeps its permissions
	}
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p // replace the file a link points to, not the link
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if pe := (*os.PathError)(nil); errors.As(err, &pe) {
		return nil, &os.PathError{Op: "create", Path: path, Err: pe.Err} // name the file asked for
	}
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(mode); err != nil { // CreateTemp's file is private
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &output{File: f, path: path}, nil
}

// commit closes the file and puts it in place; a nil output has nothing to commit.
func (o *output) commit() error {
	if o == nil {
		return nil
	}
	o.done = true
	if err := o.Close(); err != nil {
		o.remove()
		return err
	}
	if o.path == "" {
		return nil
	}
	if err := os.Rename(o.Name(), o.path); err != nil {
		o.remove()
		return err
	}
	return nil
}

// discard closes and removes a file that was not committed.
func (o *output) discard() {
	if !o.done {
		o.Close()
		o.remove()
	}
}

func (o *output) remove() {
	if o.path != "" {
		os.Remove(o.Name())
	}
}
