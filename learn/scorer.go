package learn

import (
	"math"
	"sync/atomic"

	"github.com/epiloguehq/epilogue"
)

// Score fills out[i] with the model's estimate for offers[i] at the moment: both heads'
// probabilities, the expected value, and the standard deviation of the value under the
// posterior of the terms that differ between offers (see estimate). It draws nothing (the
// decision engine samples Value + Std·z), allocates nothing in steady state, and does not
// modify the model, so any number of goroutines may score with one snapshot. out must be at
// least as long as offers.
func (m *Model) Score(mo *epilogue.Moment, offers []*epilogue.Offer, out []epilogue.Estimate) {
	out = out[:len(offers)]
	s := getMoment()
	s.set(mo)
	// The context's share of each score is the same for every offer: sum it once.
	b := &m.tab[m.bias]
	cme, cmc := float64(b[0]), float64(b[2])
	for _, h := range s.ctx {
		e := &m.tab[h>>m.shift]
		cme += float64(e[0])
		cmc += float64(e[2])
	}
	for i, o := range offers {
		s.pair = s.offerPair(s.pair[:0], o)
		me, mc := cme, cmc
		var ve, vc float64
		for _, f := range s.pair {
			e := &m.tab[f.Hash>>m.shift]
			x := float64(f.Value)
			xx := x * x
			me += float64(e[0]) * x
			ve += float64(e[1]) * xx
			mc += float64(e[2]) * x
			vc += float64(e[3]) * xx
		}
		out[i] = estimate(o, me, ve, mc, vc)
	}
	putMoment(s)
}

// estimate turns both heads' logit posteriors into an Estimate: the probabilities from the
// means (see PredictFeatures), Std from the variance of the offer's own terms.
//
// Std leaves out the context's terms (the bias, the device, the hour…) on purpose: they shift
// every candidate of a decision alike, and the engine draws each candidate independently, so
// their uncertainty would only scramble the ranking without exploring anything. The value is
// linear in the two probabilities, V = a·pE + b·pE·q, so its standard deviation follows by the
// delta method through each logit: dV/dlogit(pE) = (a + b·q)·pE(1-pE), dV/dlogit(q) =
// b·pE·q(1-q).
func estimate(o *epilogue.Offer, me, veOwn, mc, vcOwn float64) epilogue.Estimate {
	pe := sigmoid(me)
	q := sigmoid(mc)
	pc := pe * q
	a, b := o.ValueOf(1, 0), o.ValueOf(0, 1)
	de := (a + b*q) * pe * (1 - pe)
	dc := b * pe * q * (1 - q)
	return epilogue.Estimate{
		PEngage:  pe,
		PConvert: pc,
		Value:    o.ValueOf(pe, pc),
		Std:      math.Sqrt(de*de*veOwn + dc*dc*vcOwn),
	}
}

// Scorer serves the latest published snapshot of a model: decisions score with whatever
// snapshot is current, lock-free, while a trainer learns on its own copy and publishes.
type Scorer struct {
	cur atomic.Pointer[Model]
}

// NewScorer returns a scorer serving a snapshot of m.
func NewScorer(m *Model) *Scorer {
	s := &Scorer{}
	s.Publish(m)
	return s
}

// Publish makes a snapshot of the trainer's model current; the trainer may go on updating m.
func (s *Scorer) Publish(m *Model) { s.cur.Store(m.Snapshot()) }

// Swap makes an existing snapshot current (one loaded from storage); nobody may update it after.
func (s *Scorer) Swap(snapshot *Model) { s.cur.Store(snapshot) }

// Model returns the current snapshot. A decision that records the model version should take it
// once and call its Score and Version, so both come from the same snapshot.
func (s *Scorer) Model() *Model { return s.cur.Load() }

// Score scores with the current snapshot (see Model.Score).
func (s *Scorer) Score(mo *epilogue.Moment, offers []*epilogue.Offer, out []epilogue.Estimate) {
	s.cur.Load().Score(mo, offers, out)
}

// Version returns the current snapshot's version.
func (s *Scorer) Version() string { return s.cur.Load().Version() }
