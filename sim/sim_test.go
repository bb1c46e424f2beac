package sim

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func simulate(t *testing.T, c Config) *Result {
	t.Helper()
	r, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The same seed replays the same run exactly, and every policy meets the same customers,
// transactions and truths.
func TestSameSeedSameRun(t *testing.T) {
	a := simulate(t, Config{Policy: "model", Seed: 3, Decisions: 3000})
	b := simulate(t, Config{Policy: "model", Seed: 3, Decisions: 3000})
	a.Trainer, b.Trainer = nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("two runs of one seed differ:\n%+v\n%+v", a, b)
	}
	c := simulate(t, Config{Policy: "model", Seed: 4, Decisions: 3000})
	if c.Revenue == a.Revenue && c.Engagements == a.Engagements {
		t.Fatal("another seed gave the same run")
	}
	for _, p := range []string{"prior", "random", "oracle"} {
		r := simulate(t, Config{Policy: p, Seed: 3, Decisions: 3000})
		if r.Transactions != a.Transactions {
			t.Errorf("%s met %d transactions, model %d: the traffic depends on the policy", p, r.Transactions, a.Transactions)
		}
	}
	w1, w2 := NewWorld(3, 40, 100), NewWorld(3, 40, 100)
	if !reflect.DeepEqual(w1.segCat, w2.segCat) || !reflect.DeepEqual(w1.offers, w2.offers) {
		t.Fatal("one seed drew two worlds")
	}
}

// The oracle has no regret, random the most; the model learns to beat the prior and random
// (a short run: the full-length targets are measured by epilogue sim, see the report).
func TestPoliciesOrderAsExpected(t *testing.T) {
	// 12,000 decisions are about two and a half simulated days; the short run, a day and a
	// half, still closes conversion windows but leaves the model less time to pull ahead.
	n, margin := 12000, 0.5
	if testing.Short() {
		n, margin = 6000, 0.8
	}
	res := map[string]*Result{}
	for _, p := range Policies {
		res[p] = simulate(t, Config{Policy: p, Seed: 1, Decisions: n})
	}
	if res["oracle"].Regret != 0 {
		t.Errorf("oracle regret %v", res["oracle"].Regret)
	}
	if !(res["model"].Regret < margin*res["random"].Regret) || !(res["model"].Regret < res["prior"].Regret) {
		t.Errorf("regret: model %.0f, prior %.0f, random %.0f", res["model"].Regret, res["prior"].Regret, res["random"].Regret)
	}
	if !(res["oracle"].RPT > res["model"].RPT && res["model"].RPT > res["random"].RPT) {
		t.Errorf("RPT: oracle %.3f, model %.3f, random %.3f", res["oracle"].RPT, res["model"].RPT, res["random"].RPT)
	}
	s := res["model"].Trainer
	if s == nil || s.Engage == 0 || s.Convert == 0 || s.EngagePositive == 0 {
		t.Fatalf("trainer %+v", s)
	}
	if len(res["model"].Series) == 0 || res["model"].Series[len(res["model"].Series)-1].Decisions != n {
		t.Errorf("series ends at %+v", res["model"].Series)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Policy: "greedy"}, {Policy: "model", Decisions: -1}, {Policy: "model", Offers: 20000},
		{Policy: "model", Customers: -3}, {Policy: "model", PublishEvery: -1}, {Policy: "model", Points: -1},
	} {
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Config{Policy: "random"}); err == nil {
		t.Error("a cancelled run went on")
	}
}

// The impression log is a click log eval log can read: a header, one row per impression, in
// time order, a 0/1 click label that matches the run's engagements.
func TestClickLog(t *testing.T) {
	var buf bytes.Buffer
	r := simulate(t, Config{Policy: "random", Seed: 2, Decisions: 2000, Log: &buf})
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := strings.Split(strings.TrimSpace(clickHeader), ",")
	if !reflect.DeepEqual(rows[0], header) || len(rows)-1 != r.Impressions {
		t.Fatalf("header %v, %d rows for %d impressions", rows[0], len(rows)-1, r.Impressions)
	}
	clicks := 0
	var last time.Time
	for _, row := range rows[1:] {
		at, err := time.Parse(time.RFC3339, row[0])
		if err != nil || at.Before(last) {
			t.Fatalf("time %q after %v: %v", row[0], last, err)
		}
		last = at
		switch row[len(row)-1] {
		case "1":
			clicks++
		case "0":
		default:
			t.Fatalf("label %q", row[len(row)-1])
		}
	}
	if clicks != r.Engagements {
		t.Fatalf("%d clicks in the log, %d engagements in the run", clicks, r.Engagements)
	}
}

func TestPlotIsWellFormedSVG(t *testing.T) {
	var runs []*Result
	for _, p := range []string{"model", "random"} {
		runs = append(runs, simulate(t, Config{Policy: p, Seed: 1, Decisions: 1000, Points: 20}))
	}
	var buf bytes.Buffer
	if err := Plot(&buf, runs); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&buf)
	lines := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "polyline" {
			lines++
		}
	}
	if lines != len(panels)*len(runs) {
		t.Fatalf("%d lines, want %d", lines, len(panels)*len(runs))
	}
}
