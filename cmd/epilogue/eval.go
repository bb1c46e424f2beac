package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/epiloguehq/epilogue/eval"
)

// The largest --draws and --resamples eval obd takes: far past where the estimates stop
// moving, and short of hours of work (a draw per item per context; a resample reads every row).
const (
	maxDraws     = 100_000
	maxResamples = 100_000
)

func runEval(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := "usage: epilogue eval obd --data DIR [--json]\n" +
		"       epilogue eval log --data FILE.csv --label COL [--time COL] [--categorical COLS] [--numeric COLS] [--json]\n" +
		"       epilogue eval gen --rows N [--seed S] [--out FILE.csv]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("eval: which evaluation? obd, log or gen")
	}
	switch args[0] {
	case "obd":
		return evalOBD(ctx, args[1:], env, stdout, stderr)
	case "log":
		return evalLog(ctx, args[1:], env, stdout, stderr)
	case "gen":
		return evalGen(ctx, args[1:], env, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return errHelp
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("eval: unknown evaluation %q", args[0])
}

func evalOBD(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("eval obd", "eval obd --data DIR [flags]", env, stderr)
	dir := f.str("data", "", "directory holding <campaign>.csv and item_context.csv")
	asJSON := f.boolean("json", false, "print one JSON document")
	train := f.Float64("train", 0.7, "fraction of the log, in time order, to learn from")
	draws := f.integer("draws", 1000, fmt.Sprintf("Thompson draws per context for the action probabilities (at most %d)", maxDraws))
	resamples := f.integer("resamples", 1000, "bootstrap resamples")
	seed := f.Uint64("seed", 1, "random seed")
	f.fromEnv("train", "seed")
	if err := f.parse(args); err != nil {
		return err
	}
	opt := eval.OBDOptions{Dir: *dir, TrainFraction: *train, Draws: *draws, Resamples: *resamples, Seed: *seed}
	if opt.Dir == "" {
		return errors.New("eval obd: --data DIR is required")
	}
	if !(opt.TrainFraction > 0 && opt.TrainFraction < 1) || opt.Draws < 1 || opt.Resamples < 1 || opt.Draws > maxDraws || opt.Resamples > maxResamples {
		return fmt.Errorf("eval obd: --train must be in (0, 1), --draws from 1 to %d and --resamples from 1 to %d", maxDraws, maxResamples)
	}
	opt.Progress = stderr
	rep, err := eval.OBD(ctx, opt)
	if err != nil {
		return err
	}
	if *asJSON {
		return evalJSON(stdout, rep)
	}
	w := &reportWriter{w: stdout}
	w.printf("campaign %s: %d rows (%s to %s), %d items, %d positions\n", rep.Campaign, rep.Rows, rep.Span[0], rep.Span[1], rep.Items, rep.Positions)
	w.printf("trained on the first %d rows (%d clicks), evaluated on the last %d (%d clicks)\n", rep.TrainRows, rep.Clicks[0], rep.TestRows, rep.Clicks[1])
	w.printf("\n%-34s %8s   %s\n", "CTR on the test part", "value", "95% bootstrap interval")
	w.printf("%-34s %8.5f   [%.5f, %.5f]\n", "behaviour policy (observed)", rep.BehaviorCTR, rep.BehaviorCI[0], rep.BehaviorCI[1])
	for _, e := range []struct {
		name string
		iv   eval.Interval
	}{{"learned TS policy, IPS", rep.PolicyCTR.IPS}, {"learned TS policy, SNIPS", rep.PolicyCTR.SNIPS}, {"learned TS policy, DR", rep.PolicyCTR.DR}} {
		w.printf("%-34s %8.5f   [%.5f, %.5f]\n", e.name, e.iv.Value, e.iv.CI[0], e.iv.CI[1])
	}
	w.printf("\neffective sample size of the importance weights: %.0f of %d\n", rep.ESS, rep.TestRows)
	w.printf("prior variance %g, chosen by progressive validation on the training part; reward model test logloss %.5f\n", rep.PriorVariance, rep.TestLogLoss)
	return w.err
}

func evalLog(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("eval log", "eval log --data FILE.csv --label COL [flags]", env, stderr)
	path := f.str("data", "", "the click log, a CSV file with a header line (comma-, semicolon- or tab-separated)")
	label := f.str("label", "", "the binary label column (0/1)")
	tcol := f.str("time", "", "the time column: rows are stably sorted by it")
	cats := f.str("categorical", "", "comma-separated categorical feature columns (default: every column but the label and the time)")
	nums := f.str("numeric", "", "comma-separated numeric feature columns")
	train := f.Float64("train", 0.8, "fraction of the rows, in time order, to learn from before the test")
	bits := f.integer("bits", 20, "log2 of the model's weight slots, 10 to 24: memory is about 0.25 GB at 20 and doubles with each step (4 GB at 24)")
	asJSON := f.boolean("json", false, "print one JSON document")
	f.fromEnv("train")
	if err := f.parse(args); err != nil {
		return err
	}
	opt := eval.LogOptions{Path: *path, Label: *label, Time: *tcol, TrainFraction: *train, Bits: *bits}
	if opt.Path == "" || opt.Label == "" {
		return errors.New("eval log: --data FILE and --label COL are required")
	}
	if !(opt.TrainFraction > 0 && opt.TrainFraction < 1) || opt.Bits < 10 || opt.Bits > 24 {
		return errors.New("eval log: --train must be in (0, 1) and --bits between 10 and 24")
	}
	opt.Categorical, opt.Numeric = evalList(*cats), evalList(*nums)
	opt.Progress = stderr
	rep, err := eval.Backtest(ctx, opt)
	if err != nil {
		return err
	}
	if *asJSON {
		return evalJSON(stdout, rep)
	}
	w := &reportWriter{w: stdout}
	w.printf("%s: %d rows, %d positives (%.4f)\n", rep.File, rep.Rows, rep.Positives, float64(rep.Positives)/float64(rep.Rows))
	w.printf("features: categorical %s; numeric %s", evalListOrNone(rep.Categorical), evalListOrNone(rep.Numeric))
	if rep.TimeFeatures {
		w.printf("; hour of day and day of week")
	}
	w.printf("\n%d features per row with pairwise crosses\n", rep.Features)
	order := "file order"
	if rep.TimeFeatures {
		order = "time order"
	}
	w.printf("trained on the first %d rows, tested on the last %d (%d positives), in %s\n\n", rep.TrainRows, rep.Test.Rows, rep.Test.Positives, order)
	w.printf("%-32s %9s %8s %12s\n", "", "logloss", "AUC", "progressive")
	w.printf("%-32s %9.5f %8.4f %12.5f\n", "model (pairwise crosses)", rep.Test.LogLoss, rep.Test.AUC, rep.ProgressiveLogLoss)
	w.printf("%-32s %9.5f %8.4f %12.5f\n", "logistic regression, no crosses", rep.NoCrosses.LogLoss, rep.NoCrosses.AUC, rep.NoCrosses.ProgressiveLogLoss)
	w.printf("%-32s %9.5f %8s\n", "base rate of the training part", rep.Test.BaseLogLoss, "0.5")
	w.printf("\nprior variance %g, crosses at %.3g of it (no crosses: %g), chosen by progressive validation on the training part\n",
		rep.PriorVariance, rep.CrossValue*rep.CrossValue, rep.NoCrosses.PriorVariance)
	w.printf("\ncalibration on the test part, by decile of prediction:\n%10s %10s %8s\n", "predicted", "observed", "rows")
	for _, b := range rep.Test.Calibration {
		w.printf("%10.5f %10.5f %8d\n", b.Predicted, b.Observed, b.N)
	}
	return w.err
}

func evalGen(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("eval gen", "eval gen --rows N [flags]", env, stderr)
	rows := f.integer("rows", 200000, "impressions to generate")
	seed := f.Uint64("seed", 1, "random seed")
	out := f.str("out", "", "output file (default: standard output), written whole or not at all")
	f.fromEnv("seed")
	if err := f.parse(args); err != nil {
		return err
	}
	if *rows < 1 {
		return errors.New("eval gen: --rows must be at least 1")
	}
	if *out == "" {
		return eval.GenerateClickLog(ctx, stdout, *rows, *seed)
	}
	file, err := createOutput(*out)
	if err != nil {
		return fmt.Errorf("eval gen: --out: %w", err)
	}
	defer file.discard() // an interrupted run leaves no half-written file
	if err := eval.GenerateClickLog(ctx, file, *rows, *seed); err != nil {
		return fmt.Errorf("eval gen: %w", err)
	}
	return file.commit()
}

func evalList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func evalListOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	if len(l) > 8 {
		return strings.Join(l[:8], ", ") + fmt.Sprintf(" and %d more", len(l)-8)
	}
	return strings.Join(l, ", ")
}

func evalJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// reportWriter keeps the first write error, so a report prints without checking every line;
// it prints eval.Num as a plain number.
type reportWriter struct {
	w   io.Writer
	err error
}

func (e *reportWriter) printf(format string, args ...any) {
	if e.err == nil {
		for i, a := range args {
			if n, ok := a.(eval.Num); ok {
				args[i] = float64(n)
			}
		}
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
