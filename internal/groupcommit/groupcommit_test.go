package groupcommit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Concurrent submitters share flushes, and each gets back the results of its own items.
func TestSubmitGroupsAndReturnsOwnResults(t *testing.T) {
	var flushes atomic.Int32
	w := New(func(_ context.Context, items []int) ([]int, error) {
		flushes.Add(1)
		time.Sleep(2 * time.Millisecond) // a commit takes time, so others pile up
		out := make([]int, len(items))
		for i, v := range items {
			out[i] = v * 10
		}
		return out, nil
	}, Options{MaxBatch: 1000, MaxDelay: time.Millisecond})
	var wg sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			res, err := w.Submit(context.Background(), g, g+1000)
			if err != nil || len(res) != 2 || res[0] != g*10 || res[1] != (g+1000)*10 {
				t.Errorf("submitter %d got %v %v", g, res, err)
			}
		}(g)
	}
	wg.Wait()
	w.Close()
	if n := flushes.Load(); n >= 50 {
		t.Fatalf("%d flushes for 50 concurrent submits: nothing was grouped", n)
	}
}

func TestErrorsReachEveryWaiterAndCloseFlushes(t *testing.T) {
	boom := errors.New("disk full")
	w := New(func(_ context.Context, items []int) ([]struct{}, error) { return nil, boom }, Options{})
	if _, err := w.Submit(context.Background(), 1); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	w.Close()

	var got []int
	var mu sync.Mutex
	w2 := New(func(_ context.Context, items []int) ([]struct{}, error) {
		mu.Lock()
		got = append(got, items...)
		mu.Unlock()
		return nil, nil
	}, Options{MaxDelay: time.Hour}) // only Close can flush these
	for i := 0; i < 100; i++ {
		if err := w2.Enqueue(i); err != nil {
			t.Fatal(err)
		}
	}
	w2.Close()
	if len(got) != 100 {
		t.Fatalf("close flushed %d of 100 queued items", len(got))
	}
	if err := w2.Enqueue(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("enqueue after close: %v", err)
	}
}

// With Queue requests waiting (the database is behind), Enqueue waits for room instead of
// growing the queue without bound, and nothing is lost.
func TestFullQueueHoldsBackEnqueue(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var got []int
	w := New(func(_ context.Context, items []int) ([]struct{}, error) {
		<-release
		mu.Lock()
		got = append(got, items...)
		mu.Unlock()
		return nil, nil
	}, Options{MaxDelay: time.Millisecond, Queue: 2})
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Enqueue(1))
	for w.Len() > 0 { // the loop took 1 and is committing it
		time.Sleep(time.Millisecond)
	}
	must(w.Enqueue(2))
	must(w.Enqueue(3))
	entered := make(chan struct{})
	go func() { must(w.Enqueue(4)); close(entered) }()
	select {
	case <-entered:
		t.Fatal("Enqueue did not wait with a full queue")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("Enqueue still waits after the queue was taken")
	}
	w.Close()
	if len(got) != 4 {
		t.Fatalf("flushed %v, want 4 items", got)
	}
}
