package decide

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Budgets tracks what each offer has spent, in memory, so the hot path never sums events. It is
// seeded from the store at start and fed by every accepted event.
type Budgets struct {
	mu sync.Mutex
	m  map[string]*budget // offer id (ids are unique across shops)
}

// budget is one offer's spend: all time, and for the current day of its shop.
type budget struct {
	total atomic.Int64
	today atomic.Int64
	day   atomic.Int64 // the shop-local day (days since epoch) that today belongs to
}

// NewBudgets returns empty budget tracking.
func NewBudgets() *Budgets { return &Budgets{m: map[string]*budget{}} }

func (b *Budgets) get(offerID string) *budget {
	b.mu.Lock()
	defer b.mu.Unlock()
	x := b.m[offerID]
	if x == nil {
		x = &budget{}
		b.m[offerID] = x
	}
	return x
}

// Seed sets an offer's spend as loaded from the store.
func (b *Budgets) Seed(offerID string, total, today epilogue.Amount, day int64) {
	x := b.get(offerID)
	x.total.Store(int64(total))
	x.today.Store(int64(today))
	x.day.Store(day)
}

// Spend adds an amount spent by an event at time t (day is t's shop-local day).
func (b *Budgets) Spend(offerID string, amount epilogue.Amount, day int64) {
	if amount <= 0 {
		return
	}
	x := b.get(offerID)
	x.total.Add(int64(amount))
	x.rollTo(day)
	if x.day.Load() == day {
		x.today.Add(int64(amount))
	}
}

// room returns what an offer's budget has left to spend on day: the least of its total and
// daily budgets' remainders, or the largest amount when it has neither.
func (b *Budgets) room(offerID string, l epilogue.Budget, day int64) epilogue.Amount {
	left := epilogue.Amount(math.MaxInt64)
	if l.Total <= 0 && l.Daily <= 0 {
		return left
	}
	x := b.get(offerID)
	if l.Total > 0 {
		left = l.Total - epilogue.Amount(x.total.Load())
	}
	if l.Daily > 0 {
		x.rollTo(day)
		if x.day.Load() == day {
			left = min(left, l.Daily-epilogue.Amount(x.today.Load()))
		} // an event of an earlier day: that day's count is gone, and the total decides
	}
	return left
}

// rollTo starts a new day's count when the day has changed.
func (x *budget) rollTo(day int64) {
	for {
		d := x.day.Load()
		if d >= day {
			return
		}
		if x.day.CompareAndSwap(d, day) {
			x.today.Store(0)
			return
		}
	}
}

// LocalDay returns the day number of t in loc and the fraction of that day elapsed.
func LocalDay(t time.Time, loc *time.Location) (day int64, elapsed float64) {
	lt := t.In(loc)
	y, m, d := lt.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	_, off := lt.Zone()
	day = (lt.Unix() + int64(off)) / 86400
	return day, float64(lt.Sub(midnight)) / float64(24*time.Hour)
}

// limits are an offer's budget as eligibility applies it, copied into the snapshot's check
// so that the check reads no offer.
type limits struct {
	total, daily epilogue.Amount
	// slack is what even pacing allows beyond the day's share so far (one payout), or -1 when
	// the daily budget is not paced.
	slack epilogue.Amount
}

func limitsOf(o *epilogue.Offer) limits {
	l := limits{total: o.Budget.Total, daily: o.Budget.Daily, slack: -1}
	if o.Budget.Pacing == "even" {
		l.slack = o.Payout.Amount
	}
	return l
}

// check returns why an offer with these limits may not be shown because of its budget, or
// rNone.
func (x *budget) check(l *limits, day int64, elapsed float64) reason {
	x.rollTo(day)
	total, today := epilogue.Amount(x.total.Load()), epilogue.Amount(x.today.Load())
	if l.total > 0 && total >= l.total {
		return rBudgetExhausted
	}
	if l.daily <= 0 {
		return rNone
	}
	if today >= l.daily {
		return rBudgetExhausted
	}
	if l.slack >= 0 {
		// Even pacing: by this point of the day at most its share of the daily budget, plus one
		// payout of slack so a cheap hour never locks out the next sale.
		allowed := epilogue.Amount(float64(l.daily)*elapsed) + l.slack
		if today >= allowed {
			return rBudgetPaced
		}
	}
	return rNone
}
