package learn

import (
	"math"

	"github.com/epiloguehq/epilogue"
)

// Retrieval. A shop with many offers leaves hundreds eligible for one decision, and the offer's
// own crosses with the moment (its id with the surface, device, country, amount, customer
// attributes and cart) are most of the cost of scoring each: lookups no other offer shares,
// scattered over the weight table. With more than fullyScored candidates, Score first
// estimates every candidate without them, each missing cross counted at its prior variance,
// and completes the estimates of the fullyScored most promising by that (mean plus two
// posterior standard deviations, so an unexplored offer stays in). The others keep the
// estimate without their crosses and no spread: they take no part in this decision's
// exploration and are ranked by that estimate. With 300 candidates (BenchmarkScore300) it cuts
// Score's time by about a quarter; in TestRetrievalKeepsTheBest the complete top three were
// always among the retrieved.
const (
	fullyScored     = 24
	retrievalSigmas = 2
)

// retrieval returns the optimism a candidate needs to be fully scored, and writes the
// estimates of the others to out; -Inf, with s.bound nil, when every candidate is.
func (m *Model) retrieval(s *moment, offers []*epilogue.Offer, out []epilogue.Estimate) float64 {
	s.bound = nil
	if len(offers) <= fullyScored {
		return math.Inf(-1)
	}
	missing := float64(s.idCrossCount()) * m.cfg.PriorVariance
	s.bound = s.bound0[:0]
	for i, o := range offers {
		t := s.cheap[i]
		e := estimate(o, t.me, t.ve+missing, t.mc, t.vc+missing)
		s.bound = append(s.bound, e.Value+retrievalSigmas*e.Std/explorationScale)
		e.Std = 0
		out[i] = e
	}
	s.bound0 = s.bound
	s.sorted = append(s.sorted[:0], s.bound...)
	return nth(s.sorted, len(s.sorted)-fullyScored)
}

// nth returns the k-th smallest of v (from 0), reordering v: Hoare's selection, linear on
// average where sorting a few hundred bounds took a tenth of Score's time.
func nth(v []float64, k int) float64 {
	lo, hi := 0, len(v)-1
	for lo < hi {
		p := v[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}
