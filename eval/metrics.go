package eval

import (
	"math"
	"sort"
	"strconv"
)

// logLoss is the cross-entropy of one prediction, clipped so a confident mistake costs a lot
// but not infinity.
func logLoss(p float64, y bool) float64 {
	const eps = 1e-15
	p = math.Min(math.Max(p, eps), 1-eps)
	if y {
		return -math.Log(p)
	}
	return -math.Log(1 - p)
}

// LogLoss is the mean cross-entropy of predictions p for labels y.
func LogLoss(p []float64, y []bool) float64 {
	if len(p) == 0 {
		return math.NaN()
	}
	s := 0.0
	for i := range p {
		s += logLoss(p[i], y[i])
	}
	return s / float64(len(p))
}

// AUC is the area under the ROC curve: the probability that a random positive is ranked above
// a random negative, ties counting one half. NaN when either class is missing.
func AUC(p []float64, y []bool) float64 {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	var pos, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			j++
		}
		r := float64(i+j+1) / 2 // mean rank (from 1) of the tied run
		for _, k := range idx[i:j] {
			if y[k] {
				pos++
				rankSum += r
			}
		}
		i = j
	}
	neg := float64(len(p)) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// Bin is one row of a reliability table: predictions of similar size, their mean and the
// rate at which they came true.
type Bin struct {
	Predicted float64 `json:"predicted"`
	Observed  float64 `json:"observed"`
	N         int     `json:"n"`
}

// Calibration splits predictions into k groups of equal size by predicted probability (deciles
// for k = 10) and compares each group's mean prediction with its observed rate.
func Calibration(p []float64, y []bool, k int) []Bin {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	var out []Bin
	for d := range k {
		lo, hi := d*len(idx)/k, (d+1)*len(idx)/k
		if hi == lo {
			continue
		}
		var b Bin
		for _, i := range idx[lo:hi] {
			b.Predicted += p[i]
			if y[i] {
				b.Observed++
			}
		}
		b.N = hi - lo
		b.Predicted /= float64(b.N)
		b.Observed /= float64(b.N)
		out = append(out, b)
	}
	return out
}

// Num is a metric that may be undefined (NaN): an AUC without positives, a self-normalised
// estimate without weight. JSON shows an undefined one as null rather than failing.
type Num float64

// MarshalJSON writes null for NaN and infinities.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}
