package decide

import (
	"math/rand/v2"
	"slices"

	"github.com/epiloguehq/epilogue"
)

// sortByDraw orders candidate positions by their draw, best first; ties go to the higher
// priority, then to the snapshot order, so equal offers are ranked reproducibly.
func sortByDraw(cands []int32, sample []float64, snap *Snapshot) []int {
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case sample[a] > sample[b]:
			return -1
		case sample[a] < sample[b]:
			return 1
		}
		pa, pb := snap.offers[cands[a]].o.Priority, snap.offers[cands[b]].o.Priority
		if pa != pb {
			return pb - pa
		}
		return int(cands[a] - cands[b])
	})
	return order
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
func (s *Snapshot) sign(c Claims) string { return Sign(s.Shop.Secret, c) }
