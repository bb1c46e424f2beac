package decide

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
)

// top returns the positions (into x.cands) of the m best draws, best first; ties go to the
// higher priority, then to the snapshot order, so equal offers rank reproducibly. It selects
// before it sorts: only the leaders of a few hundred candidates need an order.
func (x *scratch) top(m int, snap *Snapshot) []int {
	k := len(x.cands)
	m = min(m, k)
	better := func(a, b int) bool {
		if x.sample[a] != x.sample[b] {
			return x.sample[a] > x.sample[b]
		}
		pa, pb := snap.offers[x.cands[a]].o.Priority, snap.offers[x.cands[b]].o.Priority
		if pa != pb {
			return pa > pb
		}
		return x.cands[a] < x.cands[b]
	}
	o := x.order[:0]
	if m > 64 {
		for i := 0; i < k; i++ {
			o = append(o, i)
		}
		slices.SortFunc(o, func(a, b int) int {
			if better(a, b) {
				return -1
			}
			if better(b, a) {
				return 1
			}
			return 0
		})
		x.order = o
		return o[:m]
	}
	for i := 0; i < k; i++ {
		if len(o) < m {
			o = append(o, i)
			for j := len(o) - 1; j > 0 && better(o[j], o[j-1]); j-- { // insertion keeps o sorted
				o[j], o[j-1] = o[j-1], o[j]
			}
			continue
		}
		if !better(i, o[m-1]) {
			continue
		}
		o[m-1] = i
		for j := m - 1; j > 0 && better(o[j], o[j-1]); j-- {
			o[j], o[j-1] = o[j-1], o[j]
		}
	}
	x.order = o
	return o
}

// Propensities. The policy draws each candidate's value from its estimate and fills the
// placement greedily, so the chance that an offer is shown has no closed form in general. It is
// computed in three steps, each cheaper than replaying the whole draw:
//
//   - Pruning: a candidate whose optimistic value (mean + 4σ) is below the pessimistic values
//     (a hair under the mean: see epilogue.ThompsonDraw) of max_offers others in distinct
//     exclusion groups is beaten in every draw but a negligible share, so it cannot take a slot
//     and is left out.
//   - Exactly, when only the shown offers remain: they cannot push each other out (they are in
//     distinct groups and fit the placement), so each is shown iff its draw clears the reserve.
//   - Otherwise by Monte Carlo, Rao-Blackwellized: each replay draws the other contenders and
//     adds the exact probability that the offer's own draw beats the threshold they set (an
//     offer is shown iff its draw exceeds the best draw of its group, the draw that fills the
//     last slot without it, and the reserve). That conditional probability varies far less than
//     a 0/1 hit, so eight replays match the show rates (TestPropensitiesMatchShowRates).
const (
	propensityDraws = 8
	maxContenders   = 16
	pruneSigmas     = 4
	// propensityFloor keeps inverse-propensity weights finite when a replay finds an offer
	// that was shown all but impossible to show.
	propensityFloor = 1e-3
)

// propScratch is the propensity computation's working memory, part of the pooled scratch.
type propScratch struct {
	z     []float64 // standard normal draws
	cont  []int     // contenders: positions into cands
	gid   []int     // each contender's exclusion group, numbered
	draw  []float64 // one replay's draws, per contender
	order []int     // contenders by draw, best first
	acc   []float64 // per shown offer: summed probabilities
	pos   []int     // per shown offer: its index in cont
	lbs   []int     // positions with the best pessimistic values, best first
	taken []int     // groups taken while walking a replay
	// src drives every draw of one decision; it is seeded per decision from the engine's
	// generator, so a decision takes one draw from a shared source however many it makes.
	src rand.PCG
	rng *rand.Rand
}

// belowReserve reports whether a drawn value fails the placement's reserve. A reserve of zero
// lets everything through: true values are never negative, only draws are.
func belowReserve(v, reserve float64) bool { return reserve > 0 && v < reserve }

// lockedRand is a seeded generator shared by every decision of an engine.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

// seed starts the decision's own generator from the engine's.
func (e *Engine) seed(p *propScratch) {
	if p.rng == nil {
		p.rng = rand.New(&p.src)
	}
	if e.rng == nil {
		p.src.Seed(rand.Uint64(), rand.Uint64())
		return
	}
	e.rng.mu.Lock()
	p.src.Seed(e.rng.r.Uint64(), e.rng.r.Uint64())
	e.rng.mu.Unlock()
}

// normals fills dst with standard normal draws from the decision's generator.
func (p *propScratch) normals(dst []float64) {
	for i := range dst {
		dst[i] = p.rng.NormFloat64()
	}
}

// draw sets each candidate's sample: its value or, when the scorer is uncertain, one
// optimistic Thompson draw (epilogue.ThompsonDraw). It reports whether anything was drawn.
func (e *Engine) draw(x *scratch) bool {
	stochastic := false
	for i := range x.est {
		x.sample[i] = x.est[i].Value
		stochastic = stochastic || x.est[i].Std > 0
	}
	if !stochastic {
		return false
	}
	e.seed(&x.prop)
	// Only candidates with spread get a draw: the model scores the most promising few in full
	// and gives the rest a point estimate, and most of a decision's candidates are the rest.
	for i := range x.est {
		if sd := x.est[i].Std; sd > 0 {
			x.sample[i] = epilogue.ThompsonDraw(x.est[i].Value, sd, x.prop.rng.NormFloat64())
		}
	}
	return true
}

// propensities sets, for every shown offer, the probability that the policy shows it at this
// moment (see above).
func (e *Engine) propensities(d *epilogue.Decision, snap *Snapshot, pl *epilogue.Placement, x *scratch) {
	p := &x.prop
	reserve := pl.Reserve.Float()
	p.contenders(snap, pl.MaxOffers, reserve, x)
	m := len(p.cont)
	p.acc = growF(p.acc, len(x.shown))
	clear(p.acc)
	p.pos = p.pos[:0]
	for _, j := range x.shown {
		p.pos = append(p.pos, slices.Index(p.cont, j))
	}
	if m == len(x.shown) {
		for s, j := range x.shown {
			d.Offers[s].Propensity = max(tail(reserveFloor(reserve), x.est[j].Value, x.est[j].Std), propensityFloor)
		}
		return
	}
	p.gid = p.gid[:0]
	distinct := true
	for c, j := range p.cont {
		g := c
		for b := range c {
			if snap.offers[x.cands[p.cont[b]]].group == snap.offers[x.cands[j]].group {
				g, distinct = p.gid[b], false
				break
			}
		}
		p.gid = append(p.gid, g)
	}
	// Without shared groups a threshold needs only the best slots+1 draws of a replay; with
	// them, the whole order.
	keep := m
	if distinct {
		keep = min(m, pl.MaxOffers+1)
	}
	p.z = growF(p.z, propensityDraws*m)
	p.normals(p.z)
	p.draw = growF(p.draw, m)
	for r := 0; r < propensityDraws; r++ {
		z := p.z[r*m : (r+1)*m]
		p.order = p.order[:0]
		for c, j := range p.cont {
			v := epilogue.ThompsonDraw(x.est[j].Value, x.est[j].Std, z[c])
			p.draw[c] = v
			n := len(p.order)
			if n == keep {
				if v <= p.draw[p.order[n-1]] {
					continue
				}
				n--
			} else {
				p.order = append(p.order, 0)
			}
			for ; n > 0 && v > p.draw[p.order[n-1]]; n-- {
				p.order[n] = p.order[n-1]
			}
			p.order[n] = c
		}
		for s, c := range p.pos {
			j := p.cont[c]
			p.acc[s] += tail(p.threshold(c, pl.MaxOffers, reserve), x.est[j].Value, x.est[j].Std)
		}
	}
	for s := range x.shown {
		d.Offers[s].Propensity = max(p.acc[s]/propensityDraws, propensityFloor)
	}
}

// contenders collects the candidates that can take a slot in some draw: the shown offers, and
// every other whose optimistic value reaches the max_offers-th best pessimistic value among
// distinct groups (and the reserve). Past maxContenders the most optimistic are kept.
func (p *propScratch) contenders(snap *Snapshot, slots int, reserve float64, x *scratch) {
	lower := func(j int) float64 { return x.est[j].Value - pruneSigmas*epilogue.ThompsonBelow*x.est[j].Std }
	upper := func(j int) float64 { return x.est[j].Value + pruneSigmas*x.est[j].Std }
	// The best pessimistic values, a few more than the slots in case groups repeat.
	keep := slots + 8
	p.lbs = p.lbs[:0]
	for j := range x.cands {
		lb := lower(j)
		if len(p.lbs) == keep && lb <= lower(p.lbs[keep-1]) {
			continue
		}
		if len(p.lbs) < keep {
			p.lbs = append(p.lbs, j)
		} else {
			p.lbs[keep-1] = j
		}
		for i := len(p.lbs) - 1; i > 0 && lower(p.lbs[i]) > lower(p.lbs[i-1]); i-- {
			p.lbs[i], p.lbs[i-1] = p.lbs[i-1], p.lbs[i]
		}
	}
	bar := reserveFloor(reserve)
	p.taken = p.taken[:0]
	for _, j := range p.lbs {
		g := snap.offers[x.cands[j]].group
		if slices.ContainsFunc(p.taken, func(b int) bool { return snap.offers[x.cands[b]].group == g }) {
			continue
		}
		p.taken = append(p.taken, j)
		if len(p.taken) == slots {
			bar = max(bar, lower(j))
			break
		}
	}
	// The shown offers, then the most optimistic others, kept in order as they come.
	p.cont = append(p.cont[:0], x.shown...)
	n := len(x.shown)
	for j := range x.cands {
		u := upper(j)
		if u < bar || (len(p.cont) == maxContenders && u <= upper(p.cont[maxContenders-1])) || slices.Contains(x.shown, j) {
			continue
		}
		if len(p.cont) < maxContenders {
			p.cont = append(p.cont, j)
		} else {
			p.cont[maxContenders-1] = j
		}
		for i := len(p.cont) - 1; i > n && u > upper(p.cont[i-1]); i-- {
			p.cont[i], p.cont[i-1] = p.cont[i-1], p.cont[i]
		}
	}
}

// threshold returns what contender c's draw must exceed to be shown, given the other
// contenders' draws of this replay: the best draw of its own group, the draw that fills the
// last slot among the other groups, and the reserve.
func (p *propScratch) threshold(c, slots int, reserve float64) float64 {
	t := reserveFloor(reserve)
	p.taken = p.taken[:0]
	for _, o := range p.order {
		if o == c {
			continue
		}
		if p.gid[o] == p.gid[c] {
			t = max(t, p.draw[o]) // the first met is the group's best
			continue
		}
		if belowReserve(p.draw[o], reserve) {
			break
		}
		if slices.Contains(p.taken, p.gid[o]) {
			continue
		}
		p.taken = append(p.taken, p.gid[o])
		if len(p.taken) == slots {
			return max(t, p.draw[o])
		}
	}
	return t
}

// reserveFloor is the reserve as a threshold on draws: none when it is zero.
func reserveFloor(reserve float64) float64 {
	if reserve > 0 {
		return reserve
	}
	return math.Inf(-1)
}

// tail returns P(epilogue.ThompsonDraw(mean, std, Z) ≥ t) for a standard normal Z: the normal
// tail, of std above the mean and of std·ThompsonBelow below it.
func tail(t, mean, std float64) float64 {
	switch {
	case math.IsInf(t, -1):
		return 1
	case std > 0:
		if t < mean {
			std *= epilogue.ThompsonBelow
		}
		return 0.5 * math.Erfc((t-mean)/(std*math.Sqrt2))
	case mean >= t:
		return 1
	}
	return 0
}

// Offer returns the live (non-archived) offer with the given id, or nil.
func (s *Snapshot) Offer(id string) *epilogue.Offer {
	if i := s.index(id); i >= 0 {
		return s.offers[i].o
	}
	return nil
}

// Charged returns the offer an event's charge goes to: a live offer, or one archived after it was
// shown, whose clicks and conversions inside the attribution window are still owed.
func (s *Snapshot) Charged(id string) *epilogue.Offer {
	if o := s.Offer(id); o != nil {
		return o
	}
	return s.archived[id]
}

// Location returns the shop's time zone, in which decisions see the time.
func (s *Snapshot) Location() *time.Location { return s.loc }

// sign makes the token for a shown offer with the shop's secret.
func (s *Snapshot) sign(c Claims) string { return s.signer.sign(c) }
