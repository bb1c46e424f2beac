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
