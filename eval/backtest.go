package eval

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/epiloguehq/epilogue/learn"
)

// LogOptions configures a backtest on a click log: a CSV file with a header, a binary label
// column and feature columns.
type LogOptions struct {
	Path  string
	Label string
	Time  string // optional: rows are stably sorted by it; hour of day and day of week become features
	// Categorical and Numeric name the feature columns; when both are empty, every column but
	// the label and the time is categorical, row ids included (name the columns to leave one
	// out).
	Categorical, Numeric []string
	TrainFraction        float64   // the earlier part the model learns from before the test (0.8)
	Bits                 int       // log2 of the crossed model's weight slots (20)
	Progress             io.Writer // where progress goes (stderr); nil for none
}

// LogReport is the outcome of a backtest.
type LogReport struct {
	File      string `json:"file"`
	Rows      int    `json:"rows"`
	Positives int    `json:"positives"`
	TrainRows int    `json:"train_rows"`
	// Test scores the model trained on the earlier part, frozen, on the later part.
	Test TestReport `json:"test"`
	// ProgressiveLogLoss is the mean log loss over the whole file of predicting each row
	// before learning it.
	ProgressiveLogLoss float64 `json:"progressive_logloss"`
	// NoCrosses is the same learner without the pairwise crosses, for comparison.
	NoCrosses     Baseline `json:"no_crosses"`
	PriorVariance float64  `json:"prior_variance"`
	// CrossValue is the chosen value of a cross feature: its prior variance is CrossValue²
	// times a main effect's.
	CrossValue   float64  `json:"cross_value"`
	Grid         []Trial  `json:"grid"`
	Categorical  []string `json:"categorical"`
	Numeric      []string `json:"numeric"`
	TimeFeatures bool     `json:"time_features"`
	Features     int      `json:"features_per_row"`
	InTimeOrder  bool     `json:"in_time_order"` // the file was already sorted (and was streamed)
}

// TestReport holds the metrics on the test part.
type TestReport struct {
	Rows        int     `json:"rows"`
	Positives   int     `json:"positives"`
	LogLoss     float64 `json:"logloss"`
	AUC         Num     `json:"auc"`
	BaseLogLoss float64 `json:"base_rate_logloss"` // of always predicting the training part's rate
	Calibration []Bin   `json:"calibration"`
}

// Baseline holds a comparison model's metrics.
type Baseline struct {
	LogLoss            float64 `json:"logloss"`
	AUC                Num     `json:"auc"`
	ProgressiveLogLoss float64 `json:"progressive_logloss"`
	PriorVariance      float64 `json:"prior_variance"`
}

// reportName is a feature column's name in a report: its header, or "column N (unnamed)".
func reportName(c int, h string) string {
	if h == "" {
		return columnName(c, h)
	}
	return h
}

// split returns the number of rows of the training part, the first fraction of them; a part
// left empty is an error that says which fraction would do.
func split(file string, rows int, fraction float64) (int, error) {
	n := int(float64(rows) * fraction)
	switch {
	case n < 1:
		return 0, fmt.Errorf("%s: a training fraction (--train) of %g of %d rows leaves no row to train on: it must be at least 1/%d", file, fraction, rows, rows)
	case n >= rows:
		return 0, fmt.Errorf("%s: a training fraction (--train) of %g of %d rows leaves no row to test on: it must be below 1", file, fraction, rows)
	}
	return n, nil
}

// schema maps the columns of a log to the backtest's roles.
type schema struct {
	label, time int // time is -1 without one
	cat, num    []int
	catField    []uint64
	numField    []uint64 // name space of a numeric column's buckets
	rawField    []uint64 // feature of a numeric column's (log-scaled) value
}

var (
	fHourOfDay = learn.Field("log_hour_of_day")
	fWeekday   = learn.Field("log_weekday")
)

// bases is the number of categorical-like features of a row: categorical columns, numeric
// buckets and the two time features.
func (s *schema) bases() int {
	n := len(s.cat) + len(s.num)
	if s.time >= 0 {
		n += 2
	}
	return n
}

// parse reads a validated record's features into base (hashes) and raw (log-scaled numbers,
// NaN when missing). It returns an error only for a record that fails validation.
func (s *schema) parse(t *table, rec []string, base []uint64, raw []float32) (y bool, ts stamp, err error) {
	y, ok := parseLabel(rec[s.label])
	if !ok {
		return false, ts, t.errAt(s.label, "label must be 0 or 1 (or true/false), got %q", rec[s.label])
	}
	if s.time >= 0 {
		if ts, err = parseTime(rec[s.time]); err != nil {
			return false, ts, t.errAt(s.time, "%v, got %q", err, rec[s.time])
		}
	}
	k := 0
	for j, c := range s.cat {
		base[k] = learn.Value(s.catField[j], rec[c])
		k++
	}
	for j, c := range s.num {
		v := strings.TrimSpace(rec[c])
		if v == "" {
			base[k] = learn.Int(s.numField[j], math.MinInt64)
			raw[j] = float32(math.NaN())
		} else {
			x, err := parseNumber(v)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return false, ts, t.errAt(c, "want a finite number (or nothing), got %q", rec[c])
			}
			base[k] = learn.Int(s.numField[j], learn.LogBucket(x))
			raw[j] = float32(math.Copysign(math.Log1p(math.Abs(x)), x))
		}
		k++
	}
	if s.time >= 0 {
		base[k], base[k+1] = learn.Int(fHourOfDay, ts.hourOfDay()), learn.Int(fWeekday, ts.weekday())
	}
	return y, ts, nil
}

// Backtest replays a click log in time order: it learns from the first part and scores the
// rest, and measures progressive validation over the whole file.
// maxCrossed bounds the categorical features a backtest crosses pairwise: 200 make 19,900
// crosses a row, learned by each of the prior grid's models; a 20,000-column file would make
// 200 million, and run for hours on a few rows.
const maxCrossed = 200

func Backtest(ctx context.Context, opt LogOptions) (*LogReport, error) {
	if opt.TrainFraction == 0 {
		opt.TrainFraction = 0.8
	}
	if opt.Bits == 0 {
		opt.Bits = 20
	}
	pr := newProgress(opt.Progress, "checking")
	sc, err := scanLog(ctx, opt, pr)
	if err != nil {
		return nil, err
	}
	if k := sc.s.bases(); k > maxCrossed {
		return nil, fmt.Errorf("%s: %d categorical columns make %d crosses a row, more than a backtest can learn in reasonable time; "+
			"choose at most %d with --categorical (numeric columns are not crossed)", opt.Path, len(sc.s.cat), k*(k-1)/2, maxCrossed)
	}
	rep := &LogReport{File: opt.Path, Rows: sc.rows, Positives: sc.positives,
		TimeFeatures: sc.s.time >= 0, InTimeOrder: sc.sorted}
	for _, c := range sc.s.cat {
		rep.Categorical = append(rep.Categorical, reportName(c, sc.header[c]))
	}
	for _, c := range sc.s.num {
		rep.Numeric = append(rep.Numeric, reportName(c, sc.header[c]))
	}
	if rep.TrainRows, err = split(opt.Path, sc.rows, opt.TrainFraction); err != nil {
		return nil, err
	}
	r := newReplay(&sc.s, opt.Bits, rep.TrainRows)
	rep.Features = r.crossedLen()
	pr = newProgress(opt.Progress, "learning")
	pr.total = sc.rows
	if sc.sorted {
		err = streamLog(ctx, opt.Path, &sc.s, r, pr)
	} else {
		pr.say("rows are not in time order: sorting them in memory")
		err = sortedLog(ctx, opt.Path, &sc.s, sc.rows, r, pr)
	}
	if err != nil {
		return nil, err
	}
	r.report(rep)
	return rep, nil
}
