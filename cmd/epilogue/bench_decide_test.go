package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"
)

// bench decide --http=false measures in process only: one JSON document with every run, no
// loopback half and only the in-process target.
func TestBenchDecideInProcessOnly(t *testing.T) {
	var out bytes.Buffer
	args := []string{"bench", "decide", "--http=false", "--json", "--offers", "60", "--customers", "300", "--reps", "2",
		"--duration", "50ms", "--db", "sqlite://" + filepath.Join(t.TempDir(), "b.db")}
	if err := run(context.Background(), args, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var rep map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if _, ok := rep["http"]; ok {
		t.Fatalf("http measured with --http=false: %s", rep["http"])
	}
	var ip struct {
		Rate     float64   `json:"decisions_per_sec_per_core"`
		Runs     []float64 `json:"runs"`
		Recorded []float64 `json:"recorded_runs"`
		Allocs   float64   `json:"allocs_per_decision"`
	}
	if err := json.Unmarshal(rep["in_process"], &ip); err != nil {
		t.Fatal(err)
	}
	if len(ip.Runs) != 2 || len(ip.Recorded) != 2 || ip.Rate <= 0 || ip.Allocs <= 0 || ip.Rate < min(ip.Runs[0], ip.Runs[1]) || ip.Rate > max(ip.Runs[0], ip.Runs[1]) {
		t.Fatalf("in process %+v", ip)
	}
	var targets map[string]bool
	if err := json.Unmarshal(rep["targets_met"], &targets); err != nil || len(targets) != 1 {
		t.Fatalf("targets %s (%v)", rep["targets_met"], err)
	}
}
