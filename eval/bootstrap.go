package eval

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Logged is one logged impression as an evaluation policy sees it.
type Logged struct {
	Reward     float64 // the observed reward (a click: 0 or 1)
	Propensity float64 // the behaviour policy's probability of the logged action
	Target     float64 // the evaluation policy's probability of the logged action
	Direct     float64 // the reward model's expected reward under the evaluation policy, Σ_a π(a|x)·q̂(x,a)
	Predicted  float64 // the reward model's prediction for the logged action, q̂(x,a_i)
}

// Interval is an estimate with a 95% bootstrap percentile interval.
type Interval struct {
	Value Num    `json:"value"`
	CI    [2]Num `json:"ci"`
}

// OffPolicy holds three estimates of an evaluation policy's mean reward from logs: inverse
// propensity scoring, its self-normalised form (which trades a little bias for much less
// variance), and the doubly robust estimate (a reward model, corrected by importance-weighted
// residuals).
//
// None is clipped to the rewards' range: IPS can exceed 1 and DR can fall below 0 (or above 1)
// when a few large weights meet the reward model's errors. Such a value says that the
// estimate is unreliable, which a clipped one would hide; SNIPS, a weighted mean of rewards,
// always lies in their range. Clipping would also bias the estimators; the Open Bandit
// Pipeline does not clip its estimates either.
type OffPolicy struct {
	IPS   Interval `json:"ips"`
	SNIPS Interval `json:"snips"`
	DR    Interval `json:"dr"`
}

// EstimatePolicy computes the three estimates and their intervals from resamples bootstrap
// resamples of the rows (with replacement, seeded, so runs repeat exactly).
func EstimatePolicy(rows []Logged, resamples int, seed uint64) OffPolicy {
	ips, snips, dr := policyValues(rows, nil)
	out := OffPolicy{IPS: Interval{Value: Num(ips)}, SNIPS: Interval{Value: Num(snips)}, DR: Interval{Value: Num(dr)}}
	if len(rows) == 0 || resamples <= 0 {
		return out
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	idx := make([]int, len(rows))
	var bi, bs, bd []float64
	for range resamples {
		for i := range idx {
			idx[i] = rng.IntN(len(rows))
		}
		a, b, c := policyValues(rows, idx)
		bi, bs, bd = append(bi, a), append(bs, b), append(bd, c)
	}
	out.IPS.CI, out.SNIPS.CI, out.DR.CI = percentiles(bi), percentiles(bs), percentiles(bd)
	return out
}

// policyValues computes the estimates over rows[idx] (all rows when idx is nil).
func policyValues(rows []Logged, idx []int) (ips, snips, dr float64) {
	var sumWR, sumW, sumDR float64
	n := len(rows)
	if idx != nil {
		n = len(idx)
	}
	for k := range n {
		i := k
		if idx != nil {
			i = idx[k]
		}
		r := &rows[i]
		w := r.Target / r.Propensity
		sumWR += w * r.Reward
		sumW += w
		sumDR += r.Direct + w*(r.Reward-r.Predicted)
	}
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	ips, dr = sumWR/float64(n), sumDR/float64(n)
	snips = math.NaN()
	if sumW > 0 {
		snips = sumWR / sumW
	}
	return ips, snips, dr
}

// percentiles returns the 2.5th and 97.5th percentiles (linear interpolation), skipping NaNs.
func percentiles(v []float64) [2]Num {
	s := v[:0:0]
	for _, x := range v {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return [2]Num{Num(math.NaN()), Num(math.NaN())}
	}
	sort.Float64s(s)
	q := func(p float64) float64 {
		f := p * float64(len(s)-1)
		i := int(f)
		if i+1 >= len(s) {
			return s[len(s)-1]
		}
		return s[i] + (f-float64(i))*(s[i+1]-s[i])
	}
	return [2]Num{Num(q(0.025)), Num(q(0.975))}
}
