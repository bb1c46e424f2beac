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

// firstStage writes the estimate of each candidate without its id crosses to out, and its
// optimism to s.bound; missing is the prior variance of the crosses it lacks.
//
// The probabilities come in a loop of their own: a candidate's bound is a chain of some
// hundred cycles (two exponentials, two divisions, a square root), and in one loop the
// processor overlapped barely two candidates' chains.
func (m *Model) firstStage(s *moment, missing float64, out []epilogue.Estimate) {
	out = out[:len(s.cheap)]
	for i := range s.cheap {
		t := &s.cheap[i]
		out[i].PEngage, out[i].PConvert = sigmoid(t.me), sigmoid(t.mc) // q, until below
	}
	for i := range s.cheap {
		t := &s.cheap[i]
		inf := &s.cache.info[s.cand[i]]
		// estimate's arithmetic: Std is explorationScale·√…, so the bound
		// Value + retrievalSigmas·Std/explorationScale is Value + retrievalSigmas·√… exactly.
		pe, q := out[i].PEngage, out[i].PConvert
		pc := pe * q
		v := inf.value(pe, pc)
		a, b := inf.a(), inf.b()
		de := (a + b*q) * pe * (1 - pe)
		dc := b * pe * q * (1 - q)
		out[i] = epilogue.Estimate{PEngage: pe, PConvert: pc, Value: v}
		s.bound = append(s.bound, v+retrievalSigmas*math.Sqrt(de*de*(t.ve+missing)+dc*dc*(t.vc+missing)))
	}
}

// nth returns the k-th smallest of v (from 0), reordering v: quickselect, with a partition
// that has no branch on the data. The bounds come in no order a branch predictor could learn,
// and Hoare's partition mispredicted about every other comparison: on fresh bounds it took
// 2 µs for 240 candidates (a seventh of Score's time in epilogue bench decide), this 0.5 µs.
func nth(v []float64, k int) float64 {
	lo, hi := 0, len(v)
	for hi-lo > 8 {
		a, b, c := v[lo], v[lo+(hi-lo)/2], v[hi-1]
		p := max(min(a, b), min(max(a, b), c)) // the median of three
		// Lomuto's partition with an unconditional swap: v[lo:i] < p ≤ v[i:j].
		i := lo
		for j := lo; j < hi; j++ {
			x := v[j]
			v[j] = v[i]
			v[i] = x
			i += int(math.Float64bits(x-p) >> 63) // x < p: x-p is negative, never -0
		}
		if k < i {
			hi = i
			continue
		}
		if i == lo { // p is the least: split off the elements equal to it, or nothing moves
			for j := lo; j < hi; j++ {
				x := v[j]
				v[j] = v[i]
				v[i] = x
				i += 1 - int(math.Float64bits(p-x)>>63) // x <= p
			}
			if k < i {
				return p
			}
		}
		lo = i
	}
	for i := lo + 1; i < hi; i++ {
		for j := i; j > lo && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
	return v[k]
}
