package decide

import "github.com/epiloguehq/epilogue"

// PriorScorer scores offers from what is known before any learning: a prior engagement rate
// per kind, the payout and the merchant's priority. It is deterministic (no exploration).
type PriorScorer struct{}

// priorEngage is a prior p(engage | shown) per offer kind, from published post-purchase
// benchmarks: partner offers on thank-you pages are engaged with by a few percent of buyers,
// surveys more often, payment options and content less.
var priorEngage = map[string]float64{
	epilogue.KindUpsell: 0.04, epilogue.KindCrossSell: 0.035, epilogue.KindPartner: 0.03,
	epilogue.KindPayment: 0.02, epilogue.KindSurvey: 0.08, epilogue.KindLoyalty: 0.05, epilogue.KindContent: 0.02,
}

// priorConvertGivenEngage is a prior p(convert | engaged).
const priorConvertGivenEngage = 0.15

// Score fills each estimate from the priors, scaled by priority (each point is worth 5%).
func (PriorScorer) Score(_ *epilogue.Moment, offers []*epilogue.Offer, out []epilogue.Estimate) {
	for i, o := range offers {
		pe := priorEngage[o.Kind] * (1 + 0.05*float64(o.Priority))
		pe = min(max(pe, 0.0001), 0.9)
		pc := pe * priorConvertGivenEngage
		out[i] = epilogue.Estimate{PEngage: pe, PConvert: pc, Value: o.ValueOf(pe, pc)}
	}
}

// Version names the scorer in decision records.
func (PriorScorer) Version() string { return "prior-1" }
