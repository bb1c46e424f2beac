// Package loadgen drives a function (usually one HTTP request) as hard as it will go, or at a
// fixed rate, and reports throughput and latency percentiles. Benchmarks use it to measure the
// server and a trivial baseline in the same run.
package loadgen

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result summarizes one run.
type Result struct {
	Requests   int           `json:"requests"`
	Errors     int           `json:"errors"`
	Seconds    float64       `json:"seconds"`
	Throughput float64       `json:"throughput_per_sec"`
	P50        time.Duration `json:"p50_ns"`
	P90        time.Duration `json:"p90_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`
	// FirstError is the first failure seen, for the report.
	FirstError string `json:"first_error,omitempty"`
}

// Do performs one unit of work; i numbers the calls from 0.
type Do func(i int) error

type recorder struct {
	mu     sync.Mutex
	lat    []time.Duration
	errors int
	first  string
}

func (r *recorder) add(d time.Duration, err error) {
	r.mu.Lock()
	if err != nil {
		r.errors++
		if r.first == "" {
			r.first = err.Error()
		}
	} else {
		r.lat = append(r.lat, d)
	}
	r.mu.Unlock()
}

func (r *recorder) result(elapsed time.Duration) Result {
	slices.Sort(r.lat)
	res := Result{Requests: len(r.lat) + r.errors, Errors: r.errors, Seconds: elapsed.Seconds(), FirstError: r.first}
	res.Throughput = float64(len(r.lat)) / elapsed.Seconds()
	if n := len(r.lat); n > 0 {
		res.P50, res.P90, res.P99, res.Max = r.lat[n*50/100], r.lat[n*90/100], r.lat[n*99/100], r.lat[n-1]
	}
	return res
}

// Saturate runs workers closed loops (each sends the next request when the last answered) for
// d and reports what they achieved.
func Saturate(ctx context.Context, d time.Duration, workers int, do Do) Result {
	var rec recorder
	var next atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				t := time.Now()
				err := do(i)
				rec.add(time.Since(t), err)
			}
		}()
	}
	wg.Wait()
	return rec.result(time.Since(start))
}

// Rate sends requests on a fixed schedule of rps per second for d (an open loop) from a pool
// of workers (at most maxInFlight outstanding). Latency counts from when a request was due, not
// when it was sent, so a stalled server cannot hide its queueing (no coordinated omission) —
// except that a worker which slept until the due time counts from when it woke: time.Sleep
// oversleeps by up to a millisecond here (the runtime's poller waits in whole milliseconds), and
// that lateness is the generator's, not the server's.
func Rate(ctx context.Context, d time.Duration, rps float64, maxInFlight int, do Do) Result {
	var rec recorder
	interval := float64(time.Second) / rps
	n := int64(d.Seconds() * rps)
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < maxInFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= n {
					return
				}
				from := start.Add(time.Duration(float64(i) * interval))
				if wait := time.Until(from); wait > 0 {
					time.Sleep(wait)
					from = time.Now() // idle until now: no request of ours was waiting
				}
				err := do(int(i))
				rec.add(time.Since(from), err)
			}
		}()
	}
	wg.Wait()
	return rec.result(time.Since(start))
}
