package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

// startWith (re)starts the env's server with a config of the test's choosing.
func (e *env) startWith(c appConfig) {
	t := e.t
	t.Helper()
	c.db = e.db
	c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := openApp(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.base, e.cancel, e.done, e.app = "http://"+ln.Addr().String(), cancel, make(chan error, 1), a
	go func() { e.done <- a.serve(ctx, ln) }()
}

// The model serves by default and learns from the events the API takes: once the engagement
// windows close (by the app's clock) the learner checkpoints, the engine swaps the snapshot in,
// and every decision reports the version of the snapshot that scored it. Shutdown saves a last
// checkpoint, and a restart serves it.
func TestServeLearnsFromEventsAndResumes(t *testing.T) {
	e := startEnv(t, "")
	e.stop()
	clock := epilogue.NewManualClock(time.Now().UTC())
	e.startWith(appConfig{clock: clock})
	offerID := e.setupShop()
	decide := func(i int) resp {
		body := strings.Replace(structuredRequest, `"cust_42"`, fmt.Sprintf(`"cust_%d"`, i), 1)
		r := e.call("POST", "/v1/decisions", e.a.sk, body).must(t, 200)
		if v := r.str("model_version"); v != e.app.engine.Scorer().Version() {
			t.Fatalf("decision scored by %q reports %q", e.app.engine.Scorer().Version(), v)
		}
		return r
	}
	if v := decide(0).str("model_version"); v != "blr-0-0" {
		t.Fatalf("a fresh database serves %q, want a fresh model", v)
	}
	for i := 1; i <= 20; i++ {
		r := decide(i)
		if r.str("offers", "0", "offer_id") != offerID {
			t.Fatalf("decision %d: %s", i, r.raw)
		}
		tok := r.str("offers", "0", "token")
		events := fmt.Sprintf(`{"id":"imp-%d","type":"impression","token":%q}`, i, tok)
		if i%2 == 0 {
			events += fmt.Sprintf(`,{"id":"eng-%d","type":"engagement","token":%q}`, i, tok)
		}
		e.call("POST", "/v1/events", e.a.pk, `{"events":[`+events+`]}`).must(t, 200)
	}
	clock.Advance(2 * time.Hour) // past every engagement window
	deadline := time.Now().Add(15 * time.Second)
	for !strings.HasPrefix(e.app.engine.Scorer().Version(), "blr-1-") {
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint served after the windows closed: %s", e.app.engine.Scorer().Version())
		}
		time.Sleep(200 * time.Millisecond)
		clock.Advance(11 * time.Second) // the checkpoint interval, by the app's clock
	}
	if v := decide(21).str("model_version"); v != "blr-1-20" {
		t.Fatalf("after learning 20 impressions the model is %q", v)
	}
	e.stop()

	db, err := store.Open(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := db.Models(context.Background(), modelName, 0)
	db.Close()
	if err != nil || len(ms) < 2 {
		t.Fatalf("stored checkpoints %v (%v): want the periodic one and the one at shutdown", ms, err)
	}
	e.startWith(appConfig{clock: clock})
	defer e.stop()
	if v := decide(22).str("model_version"); v != fmt.Sprintf("blr-%d-20", ms[0].Version) {
		t.Fatalf("after a restart the model is %q, want checkpoint %d", v, ms[0].Version)
	}
}

// With --scorer prior the engine serves the fixed prior while the model learns alongside.
func TestServeWithPriorScorer(t *testing.T) {
	e := startEnv(t, "")
	e.stop()
	e.startWith(appConfig{learning: learning{scorer: "prior"}})
	defer e.stop()
	e.setupShop()
	if v := e.call("POST", "/v1/decisions", e.a.sk, structuredRequest).must(t, 200).str("model_version"); v != "prior-1" {
		t.Fatalf("model_version %q", v)
	}
}

func TestLearningFlagsRejectBadValues(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--scorer", "magic"}, "--scorer must be model or prior"},
		{[]string{"--model-snapshot-every", "soon"}, "--model-snapshot-every must be a positive duration"},
		{[]string{"--engagement-window", "-5m"}, "--engagement-window must be a positive duration"},
		{[]string{"--engagement-window", "2h", "--conversion-window", "1h"}, "must not be shorter"},
	} {
		err := run(context.Background(), append([]string{"serve", "--db", "sqlite://" + filepath.Join(t.TempDir(), "x.db")}, c.args...),
			func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	env := func(k string) string {
		if k == "EPILOGUE_SCORER" {
			return "nope"
		}
		return ""
	}
	if err := run(context.Background(), []string{"serve"}, env, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--scorer") {
		t.Errorf("EPILOGUE_SCORER=nope: %v", err)
	}
}

func TestSimCommand(t *testing.T) {
	ctx := context.Background()
	noEnv := func(string) string { return "" }
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--decisions", "0"}, "--decisions must be between"},
		{[]string{"--policy", "greedy"}, "--policy must be one of"},
		{[]string{"--offers", "-1"}, "--offers must be between"},
		{[]string{"--customers", "0"}, "--customers must be between"},
		{[]string{"--publish-every", "0"}, "--publish-every must be at least 1"},
		{[]string{"--policy", "all", "--log", filepath.Join(dir, "x.csv")}, "give one --policy"},
		{[]string{"--decisions", "ten"}, "invalid value"},
		{[]string{"--plot", filepath.Join(dir, "missing", "x.svg")}, "--plot"},
	} {
		err := run(ctx, append([]string{"sim"}, c.args...), noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}

	var out bytes.Buffer
	svg, csv := filepath.Join(dir, "sim.svg"), filepath.Join(dir, "sim.csv")
	if err := run(ctx, []string{"sim", "--decisions", "400", "--json", "--log", csv}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var one map[string]any
	if err := json.Unmarshal(out.Bytes(), &one); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	for _, k := range []string{"policy", "decisions", "ctr", "conversion_rate", "rpt", "regret"} {
		if _, ok := one[k]; !ok || len(one) != 6 {
			t.Fatalf("--json: %s", out.Bytes())
		}
	}
	if b, _ := os.ReadFile(csv); !bytes.HasPrefix(b, []byte("time,surface,")) || bytes.Count(b, []byte("\n")) < 400 {
		t.Fatalf("--log: %.200s", b)
	}
	out.Reset()
	if err := run(ctx, []string{"sim", "--decisions", "400", "--policy", "all", "--json", "--plot", svg}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var all []map[string]any
	if err := json.Unmarshal(out.Bytes(), &all); err != nil || len(all) != 4 {
		t.Fatalf("--policy all --json: %v %s", err, out.Bytes())
	}
	if b, _ := os.ReadFile(svg); !bytes.HasPrefix(b, []byte("<svg")) || !bytes.Contains(b, []byte("polyline")) {
		t.Fatalf("--plot: %.200s", b)
	}
	out.Reset()
	if err := run(ctx, []string{"sim", "--decisions", "300", "--policy", "all"}, noEnv, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "model CTR / oracle CTR") {
		t.Fatalf("table: %v\n%s", err, out.String())
	}
}
