package epilogue

import "time"

// Moment is everything known when a decision is asked for: where, who, what they bought and
// when. Scorers see the request through it.
type Moment struct {
	ShopID    string
	Surface   string
	Placement string
	Request   *DecisionRequest
	History   *History
	Returning bool      // the customer ordered before this transaction
	Time      time.Time // in the shop's time zone
}

// Estimate is a scorer's belief about the value of showing one offer at one moment: the
// probabilities behind it and a Gaussian over the value (in currency units), so the decision
// engine can draw from it (Thompson sampling) and estimate propensities.
type Estimate struct {
	PEngage  float64 // p(engage | shown)
	PConvert float64 // p(convert | shown) = p(engage | shown) × p(convert | engaged)
	Value    float64 // expected value of showing the offer
	Std      float64 // standard deviation of the value under the scorer's uncertainty
}

// ThompsonDraw is the value a candidate is ranked by in one decision, from z, one standard
// normal draw: optimistic Thompson sampling (May, Korda, Lee & Leslie, "Optimistic Bayesian
// sampling in contextual-bandit problems", JMLR 2012), a draw from the posterior of the value,
// or about its mean where the draw falls below it. An uncertain candidate still wins in
// proportion to the chance that it is best, but a known good one is no longer passed over for
// an unlucky draw of its own, which only cost the customer a worse offer and taught nothing. In
// the simulator (epilogue sim, seeds 1 to 80) it cut the model policy's cumulative regret by 9%
// (5,988 against 6,573 on average) and raised its CTR from 0.927 to 0.931 of the oracle's.
//
// Below the mean the draw is shrunk by ThompsonBelow rather than cut off: candidates with the
// same estimate (two new offers of one kind) would otherwise tie at it half the time, and the
// tie would go to whichever comes first. The draw stays strictly increasing in z, so its
// distribution has a closed form for propensities (see decide's tail).
func ThompsonDraw(mean, std, z float64) float64 {
	return mean + std*(max(z, 0)+ThompsonBelow*min(z, 0))
}

// ThompsonBelow is how much of a draw's shortfall below the mean ThompsonDraw keeps.
const ThompsonBelow = 1e-3
