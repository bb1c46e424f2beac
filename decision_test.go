package epilogue

import (
	"encoding/json"
	"testing"
	"time"
)

// latency_us is what it says: microseconds, both ways.
func TestDecisionLatencyInMicroseconds(t *testing.T) {
	d := Decision{ID: "dec_1", Arm: "policy", Latency: 1234567 * time.Nanosecond}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["latency_us"] != 1234.0 || raw["id"] != "dec_1" {
		t.Fatalf("encoded %s", b)
	}
	var back Decision
	if err := json.Unmarshal(b, &back); err != nil || back.Latency != 1234*time.Microsecond || back.ID != "dec_1" {
		t.Fatalf("decoded %+v, %v", back, err)
	}
}
