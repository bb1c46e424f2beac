// Package decide picks the offers to show for one transaction on one placement: candidates from
// an in-memory snapshot, eligibility filters that say why, scoring through a Scorer, selection
// by expected value under the placement's reserve, and signed tokens for what it shows.
package decide

import (
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Scorer estimates the value of showing each candidate offer at a moment. Implementations must
// be safe for concurrent use and should not allocate in steady state.
type Scorer interface {
	Score(m *epilogue.Moment, offers []*epilogue.Offer, out []epilogue.Estimate)
	Version() string
}

// Recorder receives every decision for durable recording; it must not block for long.
type Recorder interface {
	Record(d *epilogue.Decision)
}

// Attention is the per-customer attention budget that marketing messages and on-page partner
// offers share: a partner offer is shown only while the customer's budget allows, and each
// partner-offer impression spends from it.
type Attention interface {
	Allows(shopID, customerKey string, now time.Time) bool
	Spend(shopID, customerKey string, at time.Time)
}

// Engine answers decision requests. It is safe for concurrent use.
type Engine struct {
	clock    epilogue.Clock
	scorer   atomic.Pointer[scorerBox]
	shops    sync.Map // shop id -> *atomic.Pointer[Snapshot]
	people   *People
	budgets  *Budgets
	recorder Recorder
	scratch  sync.Pool
	tokenTTL time.Duration
	observe  func(arm, outcome string)
	local    recentSet
	claims   chargeClaims
	attn     atomic.Pointer[attentionBox]
	rng      *lockedRand // nil: the runtime's generator
}

type attentionBox struct{ Attention }

type scorerBox struct{ Scorer }

// Config holds an Engine's collaborators; zero fields get defaults.
type Config struct {
	Clock    epilogue.Clock
	Scorer   Scorer
	Recorder Recorder
	People   *People
	Budgets  *Budgets
	// Observe, when set, is told the arm and outcome ("offers", "no_offer") of every decision.
	Observe func(arm, outcome string)
	// Rand, when set, is where the Thompson draws and the propensity replays come from, under a
	// lock, so that a simulation with a seed replays exactly. By default they come from the
	// runtime's per-thread generator, which needs no lock.
	Rand *rand.Rand
}

// New returns an engine.
func New(c Config) *Engine {
	e := &Engine{clock: c.Clock, people: c.People, budgets: c.Budgets, recorder: c.Recorder, tokenTTL: TokenTTL, observe: c.Observe}
	if c.Rand != nil {
		e.rng = &lockedRand{r: c.Rand}
	}
	if e.clock == nil {
		e.clock = epilogue.SystemClock{}
	}
	if e.people == nil {
		e.people = NewPeople(2_000_000)
	}
	if e.budgets == nil {
		e.budgets = NewBudgets()
	}
	if c.Scorer == nil {
		c.Scorer = PriorScorer{}
	}
	e.SetScorer(c.Scorer)
	e.scratch.New = func() any { return new(scratch) }
	return e
}

// SetAttention installs the attention budget partner offers are held to (nil: none).
func (e *Engine) SetAttention(a Attention) {
	if a == nil {
		e.attn.Store(nil)
		return
	}
	e.attn.Store(&attentionBox{a})
}

func (e *Engine) attention() Attention {
	if b := e.attn.Load(); b != nil {
		return b.Attention
	}
	return nil
}

// SetScorer swaps the scorer atomically (a new model snapshot, say).
func (e *Engine) SetScorer(s Scorer) { e.scorer.Store(&scorerBox{s}) }

// Scorer returns the scorer in use.
func (e *Engine) Scorer() Scorer { return e.scorer.Load().Scorer }

// People returns the per-customer state the engine uses.
func (e *Engine) People() *People { return e.people }

// Budgets returns the offer spend the engine uses.
func (e *Engine) Budgets() *Budgets { return e.budgets }

// SetSnapshot installs a shop's snapshot, replacing any older one.
func (e *Engine) SetSnapshot(s *Snapshot) {
	p, _ := e.shops.LoadOrStore(s.Shop.ID, new(atomic.Pointer[Snapshot]))
	p.(*atomic.Pointer[Snapshot]).Store(s)
}

// Snapshot returns a shop's current snapshot, or nil.
func (e *Engine) Snapshot(shopID string) *Snapshot {
	p, ok := e.shops.Load(shopID)
	if !ok {
		return nil
	}
	return p.(*atomic.Pointer[Snapshot]).Load()
}

// Result is the answer to one request.
type Result struct {
	Decision   *epilogue.Decision
	Offers     []Shown
	Candidates []epilogue.Verdict // every live offer of the shop; only when explain was asked
	Eligible   int                // offers that passed every filter
}

// Shown is a chosen offer with the token that attributes events to it.
type Shown struct {
	Offer *epilogue.Offer
	Token string
}

// scratch is per-call working memory, pooled so a decision allocates little.
type scratch struct {
	mask, tmp  bitset
	cartMask   bitset
	personMask bitset
	cands      []int32
	offers     []*epilogue.Offer
	est        []epilogue.Estimate
	sample     []float64
	shown      []int // positions (into cands) of the chosen offers, in order
	prop       propScratch
	order      []int
	tally      tally
	catIDs     []int32
	groups     []string
	moment     epilogue.Moment
	sit        situation
}

// recordedScored is how many scored-but-not-chosen candidates a decision record keeps: enough
// to see the runners-up, little enough that recording a decision stays cheap.
const recordedScored = 10

// Decide answers one request for a shop. The request must already be validated and normalized
// (raw email hashed and removed).
func (e *Engine) Decide(shopID string, req *epilogue.DecisionRequest, explain bool) (*Result, error) {
	start := time.Now()
	snap := e.Snapshot(shopID)
	if snap == nil {
		return nil, epilogue.NotFound("shop", shopID)
	}
	pl, ok := snap.placements[req.Placement]
	if !ok {
		return nil, epilogue.Invalid("placement", "unknown placement %q", req.Placement)
	}
	now := e.clock.Now()
	sc := e.scorer.Load().Scorer
	d := &epilogue.Decision{
		ID:              newDecisionID(now),
		ShopID:          shopID,
		PlacementID:     pl.ID,
		Surface:         pl.Surface,
		Arm:             epilogue.ArmPolicy,
		CustomerKey:     req.Customer.Key(),
		ConfirmationRef: req.Transaction.ConfirmationRef,
		ModelVersion:    sc.Version(),
		Time:            now,
		Request:         req,
	}
	res := &Result{Decision: d}
	switch {
	case pl.Status != epilogue.StatusActive:
		d.NoOfferReason = epilogue.ReasonPlacementPaused
	case inHoldout(shopID, d.CustomerKey, d.ConfirmationRef, snap.Shop.Settings.HoldoutShare):
		d.Arm = epilogue.ArmHoldout
		d.NoOfferReason = epilogue.ReasonHoldout
	case len(snap.offers) == 0:
		d.NoOfferReason = epilogue.ReasonNoOffers
	default:
		x := e.scratch.Get().(*scratch)
		e.choose(snap, pl, req, sc, now, d, res, x, explain)
		e.scratch.Put(x)
	}
	if postPurchase(pl.Surface) && d.ConfirmationRef != "" && len(req.Cart) > 0 {
		e.people.Purchased(shopID, d.CustomerKey, d.ConfirmationRef, req.Cart)
	}
	d.Latency = time.Since(start)
	if e.recorder != nil {
		e.recorder.Record(d)
	}
	if e.observe != nil {
		outcome := "offers"
		if len(d.Offers) == 0 {
			outcome = "no_offer"
		}
		e.observe(d.Arm, outcome)
	}
	return res, nil
}

func (e *Engine) choose(snap *Snapshot, pl *epilogue.Placement, req *epilogue.DecisionRequest, sc Scorer, now time.Time,
	d *epilogue.Decision, res *Result, x *scratch, explain bool) {
	sit := &x.sit
	sit.init(snap, pl, req, d.CustomerKey, e.people, now, x)
	if a := e.attention(); a != nil && d.CustomerKey != "" {
		sit.attentionSpent = !a.Allows(snap.Shop.ID, d.CustomerKey, now)
	}
	n := len(snap.offers)

	// Prefilter with the indexes, counting what each stage removes.
	t := &x.tally
	*t = tally{}
	x.mask = append(x.mask[:0], snap.active...)
	t[rPaused] += int32(andNotCount(snap.all, snap.active))
	x.tmp = append(x.tmp[:0], snap.surface[sit.surface]...)
	t[rNotOnSurface] += int32(andNotCount(x.mask, x.tmp))
	and(x.mask, x.tmp)
	x.tmp = orInto(x.tmp[:0], snap.anyCountry, snap.country[sit.country])
	t[rCountries] += int32(andNotCount(x.mask, x.tmp))
	and(x.mask, x.tmp)
	x.tmp = orInto(x.tmp[:0], snap.anyDevice, snap.device[sit.device])
	t[rDevices] += int32(andNotCount(x.mask, x.tmp))
	and(x.mask, x.tmp)
	x.tmp = append(x.tmp[:0], snap.anyCat...)
	for _, c := range sit.catIDs {
		if int(c) < len(snap.cat) {
			x.tmp.orIn(snap.cat[c])
		}
	}
	t[rCategoriesAny] += int32(andNotCount(x.mask, x.tmp))
	and(x.mask, x.tmp)

	x.cands, x.offers = x.cands[:0], x.offers[:0]
	// One lock for the whole pass: events for this customer wait a few microseconds.
	locked := sit.lockPerson()
	for w, word := range x.mask {
		for word != 0 {
			i := w*64 + trailingZeros(word)
			word &= word - 1
			if i >= n {
				break
			}
			if r := sit.reason(snap, i); r != rNone {
				t[r]++
				continue
			}
			x.cands = append(x.cands, int32(i))
			x.offers = append(x.offers, snap.checks[i].o)
		}
	}
	if locked {
		sit.person.mu.Unlock()
	}
	res.Eligible = len(x.cands)
	if len(x.cands) == 0 {
		d.NoOfferReason = epilogue.ReasonNoneEligible
	} else {
		e.rank(snap, pl, req, sc, d, res, x)
	}
	d.Filtered = t.record()
	if explain {
		res.Candidates = explainAll(snap, sit, d, x)
	}
}

// rank scores the candidates, draws from each estimate (Thompson sampling) and fills the
// placement greedily: best draw first, one offer per exclusion group, none below the reserve.
func (e *Engine) rank(snap *Snapshot, pl *epilogue.Placement, req *epilogue.DecisionRequest, sc Scorer,
	d *epilogue.Decision, res *Result, x *scratch) {
	k := len(x.cands)
	x.est = grow(x.est, k)
	x.sample = growF(x.sample, k)
	sit := &x.sit
	x.moment = epilogue.Moment{ShopID: snap.Shop.ID, Surface: pl.Surface, Placement: pl.ID, Request: req,
		History: sit.hist, Returning: sit.returning, Time: sit.now.In(snap.loc)}
	if _, prior := sc.(PriorScorer); prior {
		for i, c := range x.cands {
			x.est[i] = snap.priors[c]
		}
	} else {
		sc.Score(&x.moment, x.offers, x.est)
	}
	// The record keeps the customer's past as scored, so the learner rebuilds these features.
	if sit.hist != emptyHistory {
		d.History = sit.hist
	}
	d.Returning = sit.returning
	stochastic := e.draw(x)
	reserve := pl.Reserve.Float()
	keep := pl.MaxOffers + recordedScored
	d.Candidates = make([]epilogue.Verdict, 0, min(k, keep))
	d.Offers = make([]epilogue.ShownOffer, 0, pl.MaxOffers)
	res.Offers = make([]Shown, 0, pl.MaxOffers)
	x.groups, x.shown = x.groups[:0], x.shown[:0]
	// Only the leaders need ordering; exclusion groups can exhaust them, and then the rest is
	// ordered too.
	order := x.top(keep, snap)
	for pass := 0; ; pass++ {
		for _, j := range order {
			if len(d.Offers) >= pl.MaxOffers && len(d.Candidates) >= cap(d.Candidates) {
				break
			}
			en := &snap.offers[x.cands[j]]
			v := epilogue.Verdict{OfferID: en.o.ID, Score: x.sample[j]}
			switch {
			case len(d.Offers) >= pl.MaxOffers:
				v.Verdict = epilogue.VerdictScored
			case contains(x.groups, en.group):
				v.Verdict, v.Reason = epilogue.VerdictFiltered, epilogue.ReasonExclusionGroup
				x.tally[rExclusionGroup]++
			case belowReserve(x.sample[j], reserve):
				v.Verdict, v.Reason = epilogue.VerdictFiltered, epilogue.ReasonBelowReserve
				x.tally[rBelowReserve]++
			default:
				v.Verdict = epilogue.VerdictChosen
				x.groups = append(x.groups, en.group)
				x.shown = append(x.shown, j)
				d.Offers = append(d.Offers, epilogue.ShownOffer{OfferID: en.o.ID, Position: len(d.Offers), Score: x.sample[j], Propensity: 1})
				res.Offers = append(res.Offers, Shown{Offer: en.o})
			}
			if len(d.Candidates) < cap(d.Candidates) {
				d.Candidates = append(d.Candidates, v)
			}
		}
		// The leaders did not fill the placement, more candidates wait, and the last leader
		// still cleared the reserve: order everything and walk on past the leaders.
		if pass > 0 || len(d.Offers) >= pl.MaxOffers || len(order) == k || belowReserve(x.sample[order[len(order)-1]], reserve) {
			break
		}
		walked := len(order)
		order = x.top(k, snap)[walked:]
	}
	if len(d.Offers) == 0 {
		d.NoOfferReason = epilogue.ReasonAllBelowReserve
		return
	}
	if stochastic {
		e.propensities(d, snap, pl, x)
	}
	exp := d.Time.Add(e.tokenTTL)
	for i := range res.Offers {
		res.Offers[i].Token = snap.sign(Claims{DecisionID: d.ID, OfferID: res.Offers[i].Offer.ID, Placement: pl.ID,
			Arm: d.Arm, CustomerKey: d.CustomerKey, Expires: exp})
	}
}

func and(dst, src bitset) {
	for i := range dst {
		dst[i] &= src[i]
	}
}

// orInto sets dst to a | b (b may be nil: a missing index key matches nothing).
func orInto(dst, a, b bitset) bitset {
	dst = append(dst, a...)
	if b != nil {
		dst.orIn(b)
	}
	return dst
}

func grow(s []epilogue.Estimate, n int) []epilogue.Estimate {
	if cap(s) < n {
		return make([]epilogue.Estimate, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func growF(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// postPurchase reports whether a surface comes after the order is placed, so the cart it is
// asked with was bought.
func postPurchase(surface string) bool {
	switch surface {
	case epilogue.SurfaceUpsell, epilogue.SurfaceThankYou, epilogue.SurfaceConfirmation, epilogue.SurfaceOrderStatus:
		return true
	}
	return false
}

// inHoldout assigns the customer (or, for anonymous traffic, the transaction) to the holdout
// arm by a stable hash, so the same customer stays in the same arm for good.
func inHoldout(shopID, customerKey, confirmationRef string, share float64) bool {
	if share <= 0 {
		return false
	}
	unit := customerKey
	if unit == "" {
		unit = confirmationRef
	}
	if unit == "" {
		return rand.Float64() < share
	}
	h := fnv.New64a()
	h.Write([]byte(shopID))
	h.Write([]byte{0})
	h.Write([]byte(unit))
	return float64(mix64(h.Sum64())>>11)/float64(1<<53) < share
}

// mix64 is MurmurHash3's finalizer: FNV-1a alone leaves the high bits of short, similar keys
// ("c1", "c2", …) correlated, which would skew the holdout share.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// newDecisionID returns "dec_" and 20 base-36 characters: 9 of the time in milliseconds, so
// ids sort by creation and land at the end of the store's index instead of all over it, then 11
// random ones. Decision ids must be unique, not secret (tokens are signed).
func newDecisionID(now time.Time) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [24]byte
	copy(b[:], epilogue.PrefixDecision)
	ms := uint64(now.UnixMilli())
	for i := 12; i >= 4; i-- {
		b[i] = alphabet[ms%36]
		ms /= 36
	}
	r := rand.Uint64()
	for i := 13; i < 24; i++ {
		b[i] = alphabet[r%36]
		r /= 36
	}
	return string(b[:])
}
