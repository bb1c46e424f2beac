package decide

import (
	"context"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/tick"
)

// EventLog is the durable log of offer events, in commit order.
type EventLog interface {
	EventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Event, int64, error)
}

// replayPage is how many events one read of the log returns.
const replayPage = 5000

// Replay applies every event after seq to per-customer state and budgets, and returns the seq
// of the last one. At start it rebuilds what the process knew before it stopped.
func (e *Engine) Replay(ctx context.Context, log EventLog, seq int64) (int64, error) {
	for {
		evs, last, err := log.EventsAfter(ctx, seq, replayPage)
		if err != nil {
			return seq, err
		}
		for _, ev := range evs {
			if !e.local.seen(ev.ShopID, ev.ID) {
				e.apply(ev)
			}
		}
		if len(evs) == 0 {
			return seq, nil
		}
		seq = last
		if len(evs) < replayPage {
			return seq, nil
		}
	}
}

// Follow keeps applying events that other replicas commit, polling the log every interval
// until ctx ends. Events this process applied itself are skipped.
func (e *Engine) Follow(ctx context.Context, log EventLog, seq int64, every time.Duration, onErr func(error)) {
	follow(ctx, seq, every, onErr, func(ctx context.Context, seq int64) (int64, error) { return e.Replay(ctx, log, seq) })
}

// follow calls read every interval with the seq the last call returned, until ctx ends.
func follow(ctx context.Context, seq int64, every time.Duration, onErr func(error), read func(context.Context, int64) (int64, error)) {
	tick.Every(ctx, every, func(ctx context.Context) {
		next, err := read(ctx, seq)
		if err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		seq = next
	})
}

// CustomerLog tells of customer changes in commit order, whichever replica made them.
type CustomerLog interface {
	CustomerChangesAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Activity, int64, error)
	Customer(ctx context.Context, shopID, id string) (*epilogue.Customer, error)
}

// FollowCustomers keeps the profiles in memory (consent, attributes) as the store has them,
// whoever changed them: every interval it reloads the customers changed after seq. Without it a
// PUT with partners:false, or an erasure, reached only the replica that took the request; the
// others went on targeting with what they had loaded at start.
func (e *Engine) FollowCustomers(ctx context.Context, log CustomerLog, seq int64, every time.Duration, onErr func(error)) {
	follow(ctx, seq, every, onErr, func(ctx context.Context, seq int64) (int64, error) { return e.SyncCustomers(ctx, log, seq) })
}

// SyncCustomers reloads the profiles of the customers changed after seq and returns the seq of
// the last change read. A page that fails is read again next time (reloading is idempotent).
func (e *Engine) SyncCustomers(ctx context.Context, log CustomerLog, seq int64) (int64, error) {
	const page = 1000
	for {
		as, last, err := log.CustomerChangesAfter(ctx, seq, page)
		if err != nil {
			return seq, err
		}
		for _, a := range as {
			c, err := log.Customer(ctx, a.ShopID, a.CustomerID)
			if epilogue.ErrorCode(err) == epilogue.ENotFound {
				continue
			}
			if err != nil {
				return seq, err
			}
			e.people.Refresh(a.ShopID, c)
		}
		seq = last
		if len(as) < page {
			return seq, nil
		}
	}
}

// recentSet remembers the events this process applied itself, so following the shared log does
// not apply them twice. It holds the latest few hundred thousand; older ones have long been
// passed by the follower.
type recentSet struct {
	mu   sync.Mutex
	cur  map[string]struct{}
	prev map[string]struct{}
}

const recentGeneration = 200_000

func (r *recentSet) add(shopID, id string) {
	k := shopID + "\x00" + id
	r.mu.Lock()
	if r.cur == nil || len(r.cur) >= recentGeneration {
		r.prev, r.cur = r.cur, make(map[string]struct{}, 1024)
	}
	r.cur[k] = struct{}{}
	r.mu.Unlock()
}

func (r *recentSet) seen(shopID, id string) bool {
	k := shopID + "\x00" + id
	r.mu.Lock()
	defer r.mu.Unlock()
	_, a := r.cur[k]
	_, b := r.prev[k]
	return a || b
}
