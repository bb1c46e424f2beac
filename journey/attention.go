package journey

import (
	"context"
	"hash/maphash"
	"sort"
	"sync"
	"time"
)

// Attention is the one attention budget per customer: marketing messages and on-page partner
// offers both draw from it, so a customer who just saw a partner offer on the thank-you page
// does not also get a marketing email that hour. It lives in memory, per shop and customer key
// (the decision engine's "id:…" or "em:…"), and is seeded from the store at start. Safe for
// concurrent use; transactional messages never touch it.
type Attention struct {
	seed    maphash.Seed
	budgets sync.Map // shop id -> Budget
	shards  [64]attentionShard
}

type attentionShard struct {
	mu sync.Mutex
	m  map[string][]time.Time // shop \x00 key -> spends of the last week, oldest first
}

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// NewAttention returns an empty budget; shops without SetBudget get DefaultBudget.
func NewAttention() *Attention {
	a := &Attention{seed: maphash.MakeSeed()}
	for i := range a.shards {
		a.shards[i].m = map[string][]time.Time{}
	}
	return a
}

// SetBudget sets a shop's limits.
func (a *Attention) SetBudget(shopID string, b Budget) { a.budgets.Store(shopID, b) }

func (a *Attention) budget(shopID string) Budget {
	if b, ok := a.budgets.Load(shopID); ok {
		return b.(Budget)
	}
	return DefaultBudget()
}

func (a *Attention) shard(k string) *attentionShard {
	return &a.shards[maphash.String(a.seed, k)%uint64(len(a.shards))]
}

// Allows reports whether the customer may get one more marketing message or partner offer
// at now.
func (a *Attention) Allows(shopID, customerKey string, now time.Time) bool {
	if customerKey == "" {
		return true // nothing to count an anonymous visitor against
	}
	k := shopID + "\x00" + customerKey
	s := a.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	return allows(a.budget(shopID), s.m[k], now)
}

// Spend counts one marketing message or partner-offer view for the customer at at.
func (a *Attention) Spend(shopID, customerKey string, at time.Time) {
	if customerKey == "" {
		return
	}
	k := shopID + "\x00" + customerKey
	s := a.shard(k)
	s.mu.Lock()
	s.m[k] = insertSpend(s.m[k], at)
	s.mu.Unlock()
}

// insertSpend adds a spend in time order, keeping the newest maxBudget: older spends cannot
// matter once that many are newer.
func insertSpend(ts []time.Time, at time.Time) []time.Time {
	i := sort.Search(len(ts), func(i int) bool { return ts[i].After(at) })
	ts = append(ts, time.Time{})
	copy(ts[i+1:], ts[i:])
	ts[i] = at
	if len(ts) > maxBudget {
		ts = ts[len(ts)-maxBudget:]
	}
	return ts
}

// NextAllowed returns the first time at or after now when the customer's budget allows one
// more, assuming nothing else is spent meanwhile. A shop that allows no marketing gets a week
// from now, when the message is looked at again.
func (a *Attention) NextAllowed(shopID, customerKey string, now time.Time) time.Time {
	k := shopID + "\x00" + customerKey
	s := a.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ts := a.budget(shopID), s.m[k]
	if b.PerDay <= 0 || b.PerWeek <= 0 {
		return now.Add(week)
	}
	candidates := []time.Time{now}
	for _, t := range ts {
		candidates = append(candidates, t.Add(day), t.Add(week))
	}
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].Before(candidates[j]) })
	for _, c := range candidates {
		if !c.Before(now) && allows(b, ts, c) {
			return c
		}
	}
	return now.Add(week)
}

// take spends the budget under every key of one customer if all of them allow it at now, and
// otherwise returns when they next will. Keys are the customer's id and email keys, so offers
// shown to either count.
func (a *Attention) take(shopID string, keys []string, now time.Time) (bool, time.Time) {
	next := now
	for _, k := range keys {
		if !a.Allows(shopID, k, now) {
			if t := a.NextAllowed(shopID, k, now); t.After(next) {
				next = t
			}
		}
	}
	if next.After(now) {
		return false, next
	}
	for _, k := range keys {
		a.Spend(shopID, k, now)
	}
	return true, now
}

// allows counts spends in the rolling day and week before now (spends after now do not count:
// a deferred message's own future does not hold it back).
func allows(b Budget, ts []time.Time, now time.Time) bool {
	var inDay, inWeek int
	for _, t := range ts {
		if t.After(now) {
			continue
		}
		if now.Sub(t) < week {
			inWeek++
			if now.Sub(t) < day {
				inDay++
			}
		}
	}
	return inDay < b.PerDay && inWeek < b.PerWeek
}

// Sweep forgets customers who spent nothing in the week before now, bounding memory; the
// scheduler calls it now and then. It returns how many it forgot.
func (a *Attention) Sweep(now time.Time) int {
	n := 0
	for i := range a.shards {
		s := &a.shards[i]
		s.mu.Lock()
		for k, ts := range s.m {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= week {
				delete(s.m, k)
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

// Mark is one past spend of the budget, for seeding.
type Mark struct {
	ShopID      string
	CustomerKey string
	Time        time.Time
}

// AttentionSource lists the spends of the last week: marketing messages sent and partner
// offers shown.
type AttentionSource interface {
	AttentionMarks(ctx context.Context, since time.Time) ([]Mark, error)
}

// Reload replaces what the budget knows with the store's record of the week before now, keeping
// the spends made here in the last grace (they may not be committed yet). With several replicas
// it is how each sees the marketing sent and the partner offers shown through the others.
func (a *Attention) Reload(ctx context.Context, src AttentionSource, now time.Time, grace time.Duration) error {
	marks, err := src.AttentionMarks(ctx, now.Add(-week))
	if err != nil {
		return err
	}
	var fresh [len(a.shards)]map[string][]time.Time
	for i := range fresh {
		fresh[i] = map[string][]time.Time{}
	}
	index := func(k string) int { return int(maphash.String(a.seed, k) % uint64(len(a.shards))) }
	for _, m := range marks {
		if m.CustomerKey == "" {
			continue
		}
		k := m.ShopID + "\x00" + m.CustomerKey
		f := fresh[index(k)]
		f[k] = insertSpend(f[k], m.Time)
	}
	recent := now.Add(-grace)
	for i := range a.shards {
		s := &a.shards[i]
		s.mu.Lock()
		for k, ts := range s.m {
			for _, t := range ts {
				if t.After(recent) && !containsTime(fresh[i][k], t) {
					fresh[i][k] = insertSpend(fresh[i][k], t)
				}
			}
		}
		s.m = fresh[i]
		s.mu.Unlock()
	}
	return nil
}

// containsTime compares to the microsecond: the store keeps no finer.
func containsTime(ts []time.Time, t time.Time) bool {
	t = t.Truncate(time.Microsecond)
	for _, x := range ts {
		if x.Truncate(time.Microsecond).Equal(t) {
			return true
		}
	}
	return false
}

// Seed loads the spends of the week before now from the store.
func (a *Attention) Seed(ctx context.Context, src AttentionSource, now time.Time) error {
	marks, err := src.AttentionMarks(ctx, now.Add(-week))
	if err != nil {
		return err
	}
	for _, m := range marks {
		a.Spend(m.ShopID, m.CustomerKey, m.Time)
	}
	return nil
}
