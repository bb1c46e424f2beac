package eval

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/learn"
)

// policyOnTest computes, for each test row, the probability that the Thompson-sampling policy
// shows the logged item at the logged position, and the reward model's predictions for DR.
//
// The policy is the engine's: each item is scored with the model (no position, as the engine
// scores candidates for a placement), one Gaussian draw per item from (value, std) as
// learn.Model.Score reports them, and the items are shown in the order of their draws. The
// probability of each item at each position is estimated from opt.Draws such draws per
// distinct context.
func policyOnTest(ctx context.Context, fx *obdFeatures, m *learn.Model, test []obdRow, positions int, opt OBDOptions, pr *progress) ([]Logged, float64, error) {
	nItems := len(fx.items)
	cache := map[uint64][]float64{} // context key -> π[item*positions+pos]
	mean := make([]float64, nItems)
	std := make([]float64, nItems)
	var x []learn.Feature
	out := make([]Logged, len(test))
	loss := 0.0
	for i := range test {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
		}
		pr.tick(i)
		r := &test[i]
		key := r.contextKey()
		pi, ok := cache[key]
		if !ok {
			if err := ctx.Err(); err != nil { // a new context costs Draws draws: stop on time
				return nil, 0, err
			}
			x = fx.context(x[:0], r)
			_, _, ctxVar := m.PredictFeatures(learn.Engage, x)
			for a := range nItems {
				x = fx.features(x[:0], r, a, 0)
				p, _, v := m.PredictFeatures(learn.Engage, x)
				mean[a] = p
				std[a] = p * (1 - p) * math.Sqrt(math.Max(v-ctxVar, 0))
			}
			pi = actionProbs(mean, std, positions, opt.Draws, rand.New(rand.NewPCG(opt.Seed, key)))
			cache[key] = pi
		}
		k := int(r.pos) - 1
		var direct, predicted float64
		for a := range nItems {
			x = fx.features(x[:0], r, a, r.pos)
			q, _, _ := m.PredictFeatures(learn.Engage, x)
			direct += pi[a*positions+k] * q
			if a == int(r.item) {
				predicted = q
			}
		}
		loss += logLoss(predicted, r.click)
		reward := 0.0
		if r.click {
			reward = 1
		}
		out[i] = Logged{Reward: reward, Propensity: r.prop, Target: pi[int(r.item)*positions+k], Direct: direct, Predicted: predicted}
	}
	pr.say("%d distinct contexts on the test part, %d draws each", len(cache), opt.Draws)
	return out, loss / float64(len(test)), nil
}

// actionProbs estimates, from draws Thompson draws (one per item, as the decision engine makes
// them: epilogue.ThompsonDraw; items shown in the order of their draws), the probability of each item at each position: π[item*positions+k].
func actionProbs(mean, std []float64, positions, draws int, rng *rand.Rand) []float64 {
	n := len(mean)
	pi := make([]float64, n*positions)
	draw := make([]float64, n)
	top := make([]int, positions)
	for range draws {
		for a := range n {
			draw[a] = epilogue.ThompsonDraw(mean[a], std[a], rng.NormFloat64())
		}
		topK(draw, top)
		for k, a := range top {
			if a >= 0 {
				pi[a*positions+k]++
			}
		}
	}
	for k := range pi {
		pi[k] /= float64(draws)
	}
	return pi
}

// topK fills top with the indices of the largest values, best first (-1 when too few).
func topK(v []float64, top []int) {
	for k := range top {
		top[k] = -1
	}
	for a, x := range v {
		for k := range top {
			if top[k] < 0 || x > v[top[k]] {
				copy(top[k+1:], top[k:len(top)-1])
				top[k] = a
				break
			}
		}
	}
}

// contextKey identifies what the policy sees of a row's user: equal keys, equal policy.
func (r *obdRow) contextKey() uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, u := range r.user {
		h = learn.Cross(h, u)
	}
	for _, af := range r.aff {
		h = learn.Cross(h, learn.Int(uint64(af.item), int64(math.Float32bits(af.v))))
	}
	return h
}
