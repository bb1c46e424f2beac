package sim

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/learn"
)

// ShopID is the simulated shop.
const ShopID = "shop_sim"

// Policies a run can use: the learned model (Thompson sampling), the fixed per-kind prior, a
// uniformly random choice among eligible offers, and the oracle that knows the true values.
var Policies = []string{"model", "prior", "random", "oracle"}

// Config sets up a run; zero fields take the defaults.
type Config struct {
	Decisions int    // decisions to simulate (50,000)
	Policy    string // one of Policies
	Seed      uint64
	Offers    int // offers in the shop (40)
	Customers int // distinct customers (4,000)
	// PublishEvery is how many decisions pass between the trainer's snapshots reaching the
	// engine (250: ten seconds of a busy shop).
	PublishEvery int
	Model        learn.Config
	Trainer      learn.TrainerConfig // windows; the catalog is the simulated shop's
	Points       int                 // points of the time series (100)
	Log          io.Writer           // when set, the impression log as a click log (CSV)
}

// Start is when simulated time begins.
var Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func (c Config) withDefaults() (Config, error) {
	if c.Decisions == 0 {
		c.Decisions = 50000
	}
	if c.Offers == 0 {
		c.Offers = 40
	}
	if c.Customers == 0 {
		c.Customers = 4000
	}
	if c.PublishEvery == 0 {
		c.PublishEvery = 250
	}
	if c.Points == 0 {
		c.Points = 100
	}
	switch {
	case c.Decisions < 1:
		return c, errors.New("decisions must be at least 1")
	case c.Offers < 1 || c.Offers > 10000:
		return c, errors.New("offers must be between 1 and 10000")
	case c.Customers < 1:
		return c, errors.New("customers must be at least 1")
	case c.PublishEvery < 1:
		return c, errors.New("publish-every must be at least 1")
	case c.Points < 1:
		return c, errors.New("points must be at least 1")
	}
	for _, p := range Policies {
		if p == c.Policy {
			return c, nil
		}
	}
	return c, fmt.Errorf("unknown policy %q; one of %v", c.Policy, Policies)
}

// run is one simulation in progress.
type run struct {
	cfg     Config
	w       *World
	clock   *epilogue.ManualClock
	engine  *decide.Engine
	trainer *learn.Trainer
	queue   queue
	seq     int
	cur     *visit // the visit being decided, for the oracle
	res     *Result
	log     *clickLog
}

// Run simulates cfg.Decisions decisions under one policy and returns what happened.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	w := NewWorld(cfg.Seed, cfg.Offers, cfg.Customers)
	r := &run{cfg: cfg, w: w, clock: epilogue.NewManualClock(Start), res: &Result{Policy: cfg.Policy}}
	r.engine = decide.New(decide.Config{Clock: r.clock, Scorer: r.scorer(), Rand: rand.New(rand.NewPCG(cfg.Seed, streamEngine))})
	r.engine.SetSnapshot(decide.NewSnapshot(r.shop(), 1, w.offers, r.placements(), r.engine.Budgets()))
	if cfg.Policy == "model" {
		tc := cfg.Trainer
		tc.Catalog = catalog{w}
		r.trainer = learn.NewTrainer(tc, learn.New(cfg.Model))
		r.engine.SetScorer(r.trainer.Model().Snapshot())
	}
	if cfg.Log != nil {
		r.log = newClickLog(cfg.Log)
	}
	tr := newTraffic(w, cfg.Seed, Start)
	every := max(1, cfg.Decisions/cfg.Points)
	for r.res.Decisions < cfg.Decisions {
		if r.res.Decisions%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		// Every transaction that starts before the next thing to happen is drawn first.
		for len(r.queue) == 0 || !tr.now.After(r.queue[0].at) {
			for _, v := range tr.next() {
				r.push(&item{at: v.at, visit: &v})
			}
		}
		it := heap.Pop(&r.queue).(*item)
		r.clock.Set(it.at)
		if it.event != nil {
			r.engine.Apply(it.event)
			if r.trainer != nil {
				r.trainer.AddEvent(it.event, 0)
			}
			continue
		}
		if err := r.decide(it.visit); err != nil {
			return nil, err
		}
		if r.res.Decisions%every == 0 || r.res.Decisions == cfg.Decisions {
			r.res.point()
		}
	}
	if r.log != nil {
		if err := r.log.flush(); err != nil {
			return nil, err
		}
	}
	r.res.finish()
	if r.trainer != nil {
		s := r.trainer.Stats()
		r.res.Trainer = &s
	}
	return r.res, nil
}

func (r *run) shop() *epilogue.Shop {
	st := epilogue.DefaultSettings()
	st.HoldoutShare = 0 // the holdout measures lift; here every decision is the policy's
	return &epilogue.Shop{ID: ShopID, Name: "Simulated Shop", Secret: "sim-secret", Settings: st, CreatedAt: Start}
}

func (r *run) placements() []*epilogue.Placement {
	var pls []*epilogue.Placement
	for _, p := range placements {
		pl := &epilogue.Placement{ID: p.id, ShopID: ShopID, Surface: p.surface, MaxOffers: p.max,
			Reserve: epilogue.AmountFromFloat(p.reserve), Status: epilogue.StatusActive}
		pl.Defaults()
		pls = append(pls, pl)
	}
	return pls
}

// decide asks the engine about one visit, feeds the decision to the trainer, draws what the
// customer does with each offer shown (the same draws for the same offer on the same visit
// under every policy) and schedules the events that report it.
func (r *run) decide(v *visit) error {
	if r.trainer != nil {
		r.trainer.Train(r.clock.Now())
		if r.res.Decisions > 0 && r.res.Decisions%r.cfg.PublishEvery == 0 {
			r.engine.SetScorer(r.trainer.Model().Snapshot())
		}
	}
	r.cur = v
	res, err := r.engine.Decide(ShopID, v.req, true)
	if err != nil {
		return err
	}
	d := res.Decision
	if r.trainer != nil {
		r.trainer.AddDecision(d, 0)
	}
	i := r.res.Decisions
	r.res.Decisions++
	if placements[v.placement].surface == epilogue.SurfaceThankYou {
		r.res.Transactions++
	}
	if len(d.Offers) == 0 {
		r.res.NoOffer++
	}
	r.res.Regret += r.regret(v, res)
	for _, s := range res.Offers {
		r.show(i, v, d, s.Offer)
	}
	return nil
}

// show draws the customer's response to one shown offer and schedules its events.
func (r *run) show(i int, v *visit, d *epilogue.Decision, o *epilogue.Offer) {
	pe, q := r.w.truth(v, o)
	rr := rand.New(rand.NewPCG(r.cfg.Seed^uint64(streamOutcome)<<56, uint64(i)<<16|uint64(r.w.index[o.ID])))
	engaged := rr.Float64() < pe
	engageDelay := time.Duration(math.Exp(math.Log(45)+1.6*rr.NormFloat64()) * float64(time.Second))
	converted := rr.Float64() < q
	mean := time.Hour
	if rr.Float64() < 0.15 {
		mean = 20 * time.Hour
	}
	convertDelay := time.Duration(rr.ExpFloat64() * float64(mean))
	dismissed := rr.Float64() < 0.1
	at := v.at
	r.res.Impressions++
	r.event(epilogue.EventImpression, d, o, at.Add(time.Second))
	if r.log != nil {
		r.log.row(v, o, engaged)
	}
	if !engaged {
		if dismissed {
			r.event(epilogue.EventDismissal, d, o, at.Add(20*time.Second))
		}
		return
	}
	r.res.Engagements++
	if o.Payout.Model == epilogue.PayoutCPC {
		r.res.Revenue += o.Payout.Amount.Float()
	}
	r.event(epilogue.EventEngagement, d, o, at.Add(engageDelay))
	if !converted {
		return
	}
	r.res.Conversions++
	if engageDelay+convertDelay <= 24*time.Hour { // the attribution window
		r.res.Revenue += o.Margin.Float()
		if o.Payout.Model == epilogue.PayoutCPA {
			r.res.Revenue += o.Payout.Amount.Float()
		}
	}
	r.event(epilogue.EventConversion, d, o, at.Add(engageDelay+convertDelay))
}

func (r *run) event(typ string, d *epilogue.Decision, o *epilogue.Offer, at time.Time) {
	r.seq++
	ev := &epilogue.Event{ID: "ev" + strconv.Itoa(r.seq), ShopID: ShopID, Type: typ, DecisionID: d.ID, OfferID: o.ID,
		PlacementID: d.PlacementID, CustomerKey: d.CustomerKey, Arm: d.Arm, Time: at, ReceivedAt: at}
	r.push(&item{at: at, event: ev})
}

// regret is the true value the oracle would have got from this visit's eligible offers (best
// true value first, one per exclusion group, none below the reserve) less the true value of
// what the policy showed.
func (r *run) regret(v *visit, res *decide.Result) float64 {
	snap := r.engine.Snapshot(ShopID)
	pl := placements[v.placement]
	type cand struct {
		v     float64
		group string
	}
	var eligible []cand
	for _, c := range res.Candidates {
		switch {
		case c.Verdict == epilogue.VerdictChosen, c.Verdict == epilogue.VerdictScored,
			c.Reason == epilogue.ReasonExclusionGroup, c.Reason == epilogue.ReasonBelowReserve:
			o := snap.Offer(c.OfferID)
			g := o.ExclusionGroup
			if g == "" {
				g = o.ID
			}
			eligible = append(eligible, cand{r.w.value(v, o), g})
		}
	}
	best := 0.0
	var taken []string
	for len(taken) < pl.max {
		k := -1
		for j, c := range eligible {
			if (k < 0 || c.v > eligible[k].v) && !contains(taken, c.group) && !(pl.reserve > 0 && c.v < pl.reserve) {
				k = j
			}
		}
		if k < 0 {
			break
		}
		best += eligible[k].v
		taken = append(taken, eligible[k].group)
	}
	got := 0.0
	for _, s := range res.Offers {
		got += r.w.value(v, s.Offer)
	}
	return best - got
}

func (r *run) push(it *item) {
	it.n = r.seq
	r.seq++
	heap.Push(&r.queue, it)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// item is a visit or an event, due at a time; equal times keep their order of scheduling.
type item struct {
	at    time.Time
	n     int
	visit *visit
	event *epilogue.Event
}

type queue []*item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].n < q[j].n
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// catalog serves the simulated shop's offers to the trainer.
type catalog struct{ w *World }

func (c catalog) Offer(_, id string) *epilogue.Offer {
	if i, ok := c.w.index[id]; ok {
		return c.w.offers[i]
	}
	return nil
}

func (catalog) Location(string) *time.Location { return time.UTC }
