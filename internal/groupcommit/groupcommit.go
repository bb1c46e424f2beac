// Package groupcommit batches writes from many goroutines into few transactions: the first
// writer to arrive waits at most a short delay for others, then one flush commits them all. This
// is what makes durable (fsynced) writes cheap under load.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned for work submitted after Close.
var ErrClosed = errors.New("groupcommit: writer closed")

// Flush commits a batch durably. For each item it may report a per-item result.
type Flush[T, R any] func(ctx context.Context, items []T) ([]R, error)

// Writer collects items and flushes them in batches from one goroutine.
//
// Waiting items are a slice under a mutex, not a channel: with a channel, the request
// goroutines of a busy server parked in its send while the flushing goroutine held the channel,
// and those waits were the longest in the decision server's scheduling trace.
type Writer[T, R any] struct {
	flush    Flush[T, R]
	maxBatch int
	maxDelay time.Duration
	queue    int

	mu      sync.Mutex
	room    sync.Cond // signalled when waiting requests were taken
	waiting []request[T, R]
	items   int           // items in waiting
	wake    chan struct{} // one token: the loop has work
	closed  bool

	done  chan struct{}
	depth func(n int)
}

type request[T, R any] struct {
	items []T
	reply chan reply[R] // nil: fire and forget
}

type reply[R any] struct {
	results []R
	err     error
}

// Options tune a Writer.
type Options struct {
	MaxBatch int           // items per flush (default 1000)
	MaxDelay time.Duration // how long a lone item waits for company (default 2ms)
	Queue    int           // requests that may wait before Submit blocks (default 4096)
	// Depth, when set, is told the queue depth after each flush (a metrics gauge).
	Depth func(n int)
	// OnError, when set, is told of a failed flush of fire-and-forget items.
	OnError func(err error, n int)
}

// New starts a writer. Close it to flush what is pending and stop.
func New[T, R any](flush Flush[T, R], o Options) *Writer[T, R] {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1000
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 2 * time.Millisecond
	}
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	w := &Writer[T, R]{flush: flush, maxBatch: o.MaxBatch, maxDelay: o.MaxDelay, queue: o.Queue,
		wake: make(chan struct{}, 1), done: make(chan struct{}), depth: o.Depth}
	w.room.L = &w.mu
	go w.loop(o.OnError)
	return w
}

// Submit queues items and waits until they are committed, returning the per-item results.
func (w *Writer[T, R]) Submit(ctx context.Context, items ...T) ([]R, error) {
	ch := make(chan reply[R], 1)
	if err := w.enqueue(request[T, R]{items: items, reply: ch}); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.results, r.err
	case <-ctx.Done():
		// The items may still be committed; the caller must treat the outcome as unknown.
		return nil, ctx.Err()
	}
}

// Enqueue queues items without waiting for the commit.
func (w *Writer[T, R]) Enqueue(items ...T) error {
	return w.enqueue(request[T, R]{items: items})
}

// enqueue adds a request, waiting while Queue requests wait already (the database is behind).
func (w *Writer[T, R]) enqueue(r request[T, R]) error {
	w.mu.Lock()
	for len(w.waiting) >= w.queue && !w.closed {
		w.room.Wait()
	}
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.waiting = append(w.waiting, r)
	w.items += len(r.items)
	signal := len(w.waiting) == 1 || w.items >= w.maxBatch
	w.mu.Unlock()
	if signal {
		w.signal()
	}
	return nil
}

func (w *Writer[T, R]) signal() {
	select {
	case w.wake <- struct{}{}:
	default: // a token is there already
	}
}

// Len returns the number of requests waiting.
func (w *Writer[T, R]) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.waiting)
}

// Close stops accepting work, flushes everything pending and waits for the last commit.
func (w *Writer[T, R]) Close() {
	w.mu.Lock()
	w.closed = true
	w.room.Broadcast()
	w.mu.Unlock()
	w.signal()
	<-w.done
}

func (w *Writer[T, R]) loop(onError func(error, int)) {
	defer close(w.done)
	var batch, spare []request[T, R]
	var items []T
	for {
		<-w.wake
		// The first item waits a little for company, unless a batch is full already.
		timer := time.NewTimer(w.maxDelay)
	gather:
		for {
			w.mu.Lock()
			enough := w.items >= w.maxBatch || w.closed
			w.mu.Unlock()
			if enough {
				break
			}
			select {
			case <-w.wake:
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		// Take everything waiting (swapping in the spare slice) and commit it in batches of
		// whole requests.
		w.mu.Lock()
		taken := w.waiting
		w.waiting, spare = spare[:0], nil
		w.items = 0
		closed := w.closed
		w.room.Broadcast()
		w.mu.Unlock()
		all := taken
		for len(taken) > 0 {
			batch, items = batch[:0], items[:0]
			n := 0
			for n < len(taken) && (n == 0 || len(items)+len(taken[n].items) <= w.maxBatch) {
				batch = append(batch, taken[n])
				items = append(items, taken[n].items...)
				n++
			}
			w.commit(batch, items, onError)
			taken = taken[n:]
		}
		clear(all)
		spare = all[:0]
		if w.depth != nil {
			w.depth(w.Len())
		}
		if closed {
			w.mu.Lock()
			left := len(w.waiting)
			w.mu.Unlock()
			if left == 0 {
				return
			}
			w.signal()
		}
	}
}

func (w *Writer[T, R]) commit(batch []request[T, R], items []T, onError func(error, int)) {
	results, err := w.flush(context.Background(), items)
	at := 0
	for _, r := range batch {
		n := len(r.items)
		if r.reply != nil {
			rep := reply[R]{err: err}
			if err == nil && results != nil {
				rep.results = results[at : at+n : at+n]
			}
			r.reply <- rep
		} else if err != nil && onError != nil {
			onError(err, n)
		}
		at += n
	}
}
