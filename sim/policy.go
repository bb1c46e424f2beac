package sim

import (
	"math/rand/v2"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
)

// scorer returns the decision engine's scorer for the run's policy. The model's is set once
// its trainer exists.
func (r *run) scorer() decide.Scorer {
	switch r.cfg.Policy {
	case "random":
		return randomScorer{rand.New(rand.NewPCG(r.cfg.Seed, streamEngine+1))}
	case "oracle":
		return oracleScorer{r}
	}
	return decide.PriorScorer{}
}

// randomScorer gives every offer a random value far above any reserve: the engine then shows a
// uniformly random choice of the eligible offers (still one per exclusion group). It is used
// by one goroutine only.
type randomScorer struct{ r *rand.Rand }

func (s randomScorer) Score(_ *epilogue.Moment, offers []*epilogue.Offer, out []epilogue.Estimate) {
	for i := range offers {
		out[i] = epilogue.Estimate{Value: 1e6 + s.r.Float64()}
	}
}

func (randomScorer) Version() string { return "random" }

// oracleScorer knows the true probabilities of the visit being decided.
type oracleScorer struct{ r *run }

func (s oracleScorer) Score(_ *epilogue.Moment, offers []*epilogue.Offer, out []epilogue.Estimate) {
	for i, o := range offers {
		pe, q := s.r.w.truth(s.r.cur, o)
		pc := pe * q * inWindow
		out[i] = epilogue.Estimate{PEngage: pe, PConvert: pc, Value: o.ValueOf(pe, pc)}
	}
}

func (oracleScorer) Version() string { return "oracle" }
