package loadgen

import (
	"context"
	"sync"
	"testing"
	"time"
)

// The generator's own oversleeping is not counted: work that takes no time measures near zero
// at a rate where time.Sleep wakes up to a millisecond late.
func TestRateDoesNotCountItsOwnLateness(t *testing.T) {
	r := Rate(context.Background(), time.Second, 2000, 16, func(int) error { return nil })
	if r.Requests != 2000 || r.Errors != 0 {
		t.Fatalf("%d requests, %d errors; want 2000, 0", r.Requests, r.Errors)
	}
	if r.P50 > 250*time.Microsecond {
		t.Fatalf("p50 %v for work that takes no time", r.P50)
	}
}

// A stall is not hidden: requests that fell due while every worker waited on the stalled one
// count from when they were due (no coordinated omission).
func TestRateCountsQueueingBehindAStall(t *testing.T) {
	var once sync.Once
	r := Rate(context.Background(), time.Second, 1000, 1, func(i int) error {
		if i == 100 {
			once.Do(func() { time.Sleep(100 * time.Millisecond) })
		}
		return nil
	})
	// ~100 requests fell due during the stall, waiting 100 ms down to nothing: the slowest 1% of
	// the 1000 waited 90 ms or more.
	if r.P99 < 50*time.Millisecond || r.Max < 100*time.Millisecond {
		t.Fatalf("p99 %v, max %v: the stall's queue is hidden", r.P99, r.Max)
	}
}
