package decide

import (
	"math/rand/v2"
	"slices"

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

// Propensity estimation. The policy draws each candidate's value from its estimate and fills
// the placement greedily, so the chance that an offer is shown has no closed form; it is
// estimated by replaying the draw. Offers ranked far down almost never make it, so only the
// leading contenders are replayed.
const (
	propensityDraws      = 32
	propensityContenders = 8 // beyond max_offers
)

// propensities estimates, for every shown offer, the probability that the policy shows it at
// this moment, and stores it in d.Offers. The estimate is floored at half a draw so that
// inverse-propensity weights stay finite.
func propensities(d *epilogue.Decision, snap *Snapshot, pl *epilogue.Placement, x *scratch, order []int) {
	m := min(len(order), pl.MaxOffers+propensityContenders)
	contenders := order[:m]
	hits := make([]int, m)
	draw := make([]float64, m)
	idx := make([]int, m)
	groups := make([]string, 0, pl.MaxOffers)
	reserve := pl.Reserve.Float()
	for r := 0; r < propensityDraws; r++ {
		for i, j := range contenders {
			draw[i] = x.est[j].Value + x.est[j].Std*rand.NormFloat64()
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int {
			switch {
			case draw[a] > draw[b]:
				return -1
			case draw[a] < draw[b]:
				return 1
			}
			return a - b
		})
		groups = groups[:0]
		for _, i := range idx {
			if len(groups) >= pl.MaxOffers || draw[i] < reserve {
				break
			}
			g := snap.offers[x.cands[contenders[i]]].group
			if contains(groups, g) {
				continue
			}
			groups = append(groups, g)
			hits[i]++
		}
	}
	for k := range d.Offers {
		for i, j := range contenders {
			if snap.offers[x.cands[j]].o.ID == d.Offers[k].OfferID {
				d.Offers[k].Propensity = (float64(hits[i]) + 0.5) / (propensityDraws + 1)
			}
		}
	}
}

// sign makes the token for a shown offer with the shop's secret.
func (s *Snapshot) sign(c Claims) string { return s.signer.sign(c) }
