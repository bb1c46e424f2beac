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
type Writer[T, R any] struct {
	flush    Flush[T, R]
	maxBatch int
	maxDelay time.Duration
	in       chan request[T, R]
	done     chan struct{}
	closing  sync.Once
	mu       sync.RWMutex
	closed   bool
	depth    func(n int)
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
	w := &Writer[T, R]{flush: flush, maxBatch: o.MaxBatch, maxDelay: o.MaxDelay,
		in: make(chan request[T, R], o.Queue), done: make(chan struct{}), depth: o.Depth}
	go w.loop(o.OnError)
	return w
}

// Submit queues items and waits until they are committed, returning the per-item results.
func (w *Writer[T, R]) Submit(ctx context.Context, items ...T) ([]R, error) {
	ch := make(chan reply[R], 1)
	if err := w.enqueue(ctx, request[T, R]{items: items, reply: ch}); err != nil {
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
	return w.enqueue(context.Background(), request[T, R]{items: items})
}

func (w *Writer[T, R]) enqueue(ctx context.Context, r request[T, R]) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.in <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Len returns the number of requests waiting.
func (w *Writer[T, R]) Len() int { return len(w.in) }

// Close stops accepting work, flushes everything pending and waits for the last commit.
func (w *Writer[T, R]) Close() {
	w.closing.Do(func() {
		w.mu.Lock()
		w.closed = true
		close(w.in)
		w.mu.Unlock()
	})
	<-w.done
}

func (w *Writer[T, R]) loop(onError func(error, int)) {
	defer close(w.done)
	var batch []request[T, R]
	var items []T
	for {
		first, ok := <-w.in
		if !ok {
			return
		}
		batch, items = append(batch[:0], first), append(items[:0], first.items...)
		timer := time.NewTimer(w.maxDelay)
		open := true
	gather:
		for len(items) < w.maxBatch {
			select {
			case r, more := <-w.in:
				if !more {
					open = false
					break gather
				}
				batch = append(batch, r)
				items = append(items, r.items...)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		w.commit(batch, items, onError)
		if w.depth != nil {
			w.depth(len(w.in))
		}
		if !open {
			// Drain what arrived before close in one last pass.
			for r := range w.in {
				w.commit([]request[T, R]{r}, r.items, onError)
			}
			return
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
