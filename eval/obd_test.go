package eval

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const obdData = "../../shared/data/obd"

func TestOBDRealData(t *testing.T) {
	if _, err := os.Stat(obdData); err != nil {
		t.Skipf("no Open Bandit Dataset sample at %s: %v", obdData, err)
	}
	dirs := []string{"random/men", "random/women", "bts/men"}
	if testing.Short() {
		dirs = dirs[:1]
	}
	for _, d := range dirs {
		rep, err := OBD(context.Background(), OBDOptions{Dir: filepath.Join(obdData, d), Draws: 300, Resamples: 300, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: behaviour %.5f, IPS %.5f %v, SNIPS %.5f %v, DR %.5f %v, ESS %.0f", d, rep.BehaviorCTR,
			rep.PolicyCTR.IPS.Value, rep.PolicyCTR.IPS.CI, rep.PolicyCTR.SNIPS.Value, rep.PolicyCTR.SNIPS.CI,
			rep.PolicyCTR.DR.Value, rep.PolicyCTR.DR.CI, rep.ESS)
		if rep.Rows != 10000 || rep.TrainRows != 7000 || rep.TestRows != 3000 || rep.Positions != 3 {
			t.Fatalf("%s: rows %d train %d test %d positions %d", d, rep.Rows, rep.TrainRows, rep.TestRows, rep.Positions)
		}
		if want := map[string]int{"men": 34, "women": 46}[rep.Campaign]; rep.Items != want {
			t.Fatalf("%s: %d items, want %d", d, rep.Items, want)
		}
		if rep.BehaviorCTR <= 0 || rep.BehaviorCTR > 0.05 {
			t.Fatalf("%s: behaviour CTR %v", d, rep.BehaviorCTR)
		}
		for name, iv := range map[string]Interval{"ips": rep.PolicyCTR.IPS, "snips": rep.PolicyCTR.SNIPS, "dr": rep.PolicyCTR.DR} {
			if iv.Value <= 0 || iv.Value > 0.05 || !(iv.CI[0] <= iv.Value && iv.Value <= iv.CI[1]) {
				t.Errorf("%s %s: %v outside a sane range or its interval %v", d, name, iv.Value, iv.CI)
			}
		}
	}
}

// Every action probability is a probability and each position's sum to one, so a uniform
// logging policy's IPS weights average about one.
func TestOBDActionProbabilities(t *testing.T) {
	dir := tinyOBD(t, "")
	rep, err := OBD(context.Background(), OBDOptions{Dir: dir, Draws: 200, Resamples: 50, TrainFraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Items != 3 || rep.Positions != 2 || rep.Rows != 40 {
		t.Fatalf("%+v", rep)
	}
	if float64(rep.ESS) <= 0 || float64(rep.ESS) > float64(rep.TestRows)+1e-9 {
		t.Fatalf("ESS %v", rep.ESS)
	}
}

// tinyOBD writes a small OBD-shaped campaign: 3 items, 2 positions, uniform logging; extra is
// appended as a last row (to make it malformed).
func tinyOBD(t *testing.T, extra string) string {
	dir := t.TempDir()
	items := ",item_id,item_feature_0,item_feature_1\n0,0,0.5,a\n1,1,-0.2,b\n2,2,0.1,a\n"
	var b strings.Builder
	b.WriteString(",timestamp,item_id,position,click,propensity_score,user_feature_0,user-item_affinity_0,user-item_affinity_1,user-item_affinity_2\n")
	for i := range 40 {
		item := i % 3
		click := "0"
		if item == 0 && i%2 == 0 {
			click = "1"
		}
		b.WriteString(strings.Join([]string{"0", "2019-11-24 00:00:" + pad2(i) + "+00:00", string(rune('0' + item)), string(rune('1' + i%2)),
			click, "0.3333333333333333", []string{"u1", "u2"}[i%2], "0.0", "1.0", "0.0"}, ",") + "\n")
	}
	b.WriteString(extra)
	for name, content := range map[string]string{"item_context.csv": items, "men.csv": b.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func pad2(i int) string { return string([]byte{byte('0' + i/10), byte('0' + i%10)}) }

func TestOBDBadInput(t *testing.T) {
	for _, c := range []struct {
		name, row string
		line, col int
		msg       string
	}{
		{"unknown item", "0,2019-11-24 00:01:00+00:00,7,1,0,0.3,u1,0.0,0.0,0.0\n", 42, 3, "not in item_context.csv"},
		{"bad position", "0,2019-11-24 00:01:00+00:00,1,0,0,0.3,u1,0.0,0.0,0.0\n", 42, 4, "position"},
		{"bad click", "0,2019-11-24 00:01:00+00:00,1,1,2,0.3,u1,0.0,0.0,0.0\n", 42, 5, "click must be 0 or 1"},
		{"bad propensity", "0,2019-11-24 00:01:00+00:00,1,1,0,0,u1,0.0,0.0,0.0\n", 42, 6, "propensity"},
		{"bad time", "0,someday,1,1,0,0.3,u1,0.0,0.0,0.0\n", 42, 2, "unparsable time"},
		{"bad affinity", "0,2019-11-24 00:01:00+00:00,1,1,0,0.3,u1,0.0,much,0.0\n", 42, 9, "affinity"},
		{"infinite affinity", "0,2019-11-24 00:01:00+00:00,1,1,0,0.3,u1,0.0,1e400,0.0\n", 42, 9, "affinity must be a finite"},
		{"affinity beyond float32", "0,2019-11-24 00:01:00+00:00,1,1,0,0.3,u1,0.0,1e39,0.0\n", 42, 9, "affinity must be a finite"},
		{"NaN propensity", "0,2019-11-24 00:01:00+00:00,1,1,0,NaN,u1,0.0,0.0,0.0\n", 42, 6, "propensity must be a number in (0, 1]"},
		{"infinite propensity", "0,2019-11-24 00:01:00+00:00,1,1,0,Inf,u1,0.0,0.0,0.0\n", 42, 6, "propensity must be a number in (0, 1]"},
		{"denormal propensity", "0,2019-11-24 00:01:00+00:00,1,1,0,1e-320,u1,0.0,0.0,0.0\n", 42, 6, `propensity "1e-320" is below 1e-06`},
		{"tiny propensity", "0,2019-11-24 00:01:00+00:00,1,1,0,9e-7,u1,0.0,0.0,0.0\n", 42, 6, "is below 1e-06"},
		{"stray position", "0,2019-11-24 00:01:00+00:00,1,9,0,0.3,u1,0.0,0.0,0.0\n", 42, 4, "position 9, but position"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := OBD(context.Background(), OBDOptions{Dir: tinyOBD(t, c.row), Draws: 10, Resamples: 10})
			var ie *InputError
			if !errors.As(err, &ie) || ie.Line != c.line || ie.Column != c.col || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v: want line %d column %d saying %q", err, c.line, c.col, c.msg)
			}
		})
	}
	if _, err := OBD(context.Background(), OBDOptions{Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "campaign log") {
		t.Fatalf("empty directory: %v", err)
	}
}

// A numeric item feature that is NaN, infinite or beyond float32 is refused where it is, not
// turned into NaN estimates; in a column of words, "NaN" is a word like any other.
func TestOBDItemFeatures(t *testing.T) {
	for _, v := range []string{"NaN", "Inf", "-Inf", "1e400", "-1e39"} {
		dir := tinyOBD(t, "")
		items := ",item_id,item_feature_0,item_feature_1\n0,0,0.5,a\n1,1," + v + ",b\n2,2,0.1,a\n"
		if err := os.WriteFile(filepath.Join(dir, "item_context.csv"), []byte(items), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := OBD(context.Background(), OBDOptions{Dir: dir, Draws: 10, Resamples: 10})
		var ie *InputError
		if !errors.As(err, &ie) || ie.Line != 3 || ie.Column != 3 || !strings.Contains(err.Error(), "want a finite number") {
			t.Errorf("%s: error %v, want line 3 column 3", v, err)
		}
	}
	dir := tinyOBD(t, "")
	items := ",item_id,item_feature_0,item_feature_1\n0,0,0.5,a\n1,1,-0.2,NaN\n2,2,0.1,a\n"
	if err := os.WriteFile(filepath.Join(dir, "item_context.csv"), []byte(items), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OBD(context.Background(), OBDOptions{Dir: dir, Draws: 10, Resamples: 10, TrainFraction: 0.5}); err != nil {
		t.Fatalf("categorical NaN: %v", err)
	}
}

// Too few rows, or a training fraction that leaves a part empty, say which.
func TestOBDSplit(t *testing.T) {
	_, err := OBD(context.Background(), OBDOptions{Dir: tinyOBD(t, ""), Draws: 10, Resamples: 10, TrainFraction: 0.01})
	if err == nil || !strings.Contains(err.Error(), "men.csv: a training fraction (--train) of 0.01 of 40 rows leaves no row to train on: it must be at least 1/40") {
		t.Fatalf("error %v", err)
	}
	dir := tinyOBD(t, "")
	log, _ := os.ReadFile(filepath.Join(dir, "men.csv"))
	lines := strings.SplitAfterN(string(log), "\n", 3)
	if err := os.WriteFile(filepath.Join(dir, "men.csv"), []byte(lines[0]+lines[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OBD(context.Background(), OBDOptions{Dir: dir, Draws: 10, Resamples: 10})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Line != 2 || !strings.Contains(err.Error(), "the only row after the header") {
		t.Fatalf("one row: %v", err)
	}
}

// An estimate that is NaN or infinite is an error naming it, never a null in the report.
func TestOBDReportUndefined(t *testing.T) {
	iv := Interval{Value: 0.01, CI: [2]Num{0.005, 0.02}}
	rep := &OBDReport{BehaviorCTR: 0.01, BehaviorCI: iv.CI, PolicyCTR: OffPolicy{IPS: iv, SNIPS: iv, DR: iv}, ESS: 100, TestRows: 300}
	if err := rep.undefined(); err != nil {
		t.Fatal(err)
	}
	rep.PolicyCTR.SNIPS.Value = Num(math.NaN())
	rep.PolicyCTR.DR.CI[1] = Num(math.Inf(1))
	if err := rep.undefined(); err == nil || !strings.Contains(err.Error(), "undefined estimates (NaN or infinite) of SNIPS, DR:") {
		t.Fatalf("error %v", err)
	}
}

func TestActionProbs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Certain scores: a fixed ranking.
	pi := actionProbs([]float64{0.1, 0.3, 0.2, 0.05}, make([]float64, 4), 3, 50, rng)
	for _, c := range []struct{ item, pos int }{{1, 0}, {2, 1}, {0, 2}} {
		if pi[c.item*3+c.pos] != 1 {
			t.Fatalf("item %d at position %d: %v", c.item, c.pos, pi[c.item*3+c.pos])
		}
	}
	// Equal, uncertain scores: every item equally likely anywhere; each position sums to one.
	const n, k = 5, 2
	mean, std := make([]float64, n), make([]float64, n)
	for i := range std {
		std[i] = 1
	}
	pi = actionProbs(mean, std, k, 20000, rng)
	for pos := range k {
		sum := 0.0
		for a := range n {
			p := pi[a*k+pos]
			sum += p
			if math.Abs(p-1.0/n) > 0.02 {
				t.Errorf("item %d position %d: %v, want about %v", a, pos, p, 1.0/n)
			}
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("position %d sums to %v", pos, sum)
		}
	}
}
