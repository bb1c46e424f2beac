package decide

import "github.com/epiloguehq/epilogue"

// PriorScorer scores offers from what is known before any learning: a prior engagement rate
// per kind, the payout and the merchant's priority. It is deterministic (no exploration).
type PriorScorer struct{}

// priorEngage is a prior p(engage | shown) per offer kind, from published post-purchase
// benchmarks: partner offers on thank-you pages are engaged with by a few percent of buyers,
// surveys more often, payment options and content less.
func priorEngage(kind string) float64 {
	switch kind {
	case epilogue.KindUpsell:
		return 0.04
	case epilogue.KindCrossSell:
		return 0.035
	case epilogue.KindPartner:
		return 0.03
	case epilogue.KindSurvey:
		return 0.08
	case epilogue.KindLoyalty:
		return 0.05
	}
	return 0.02 // payment options and content
}

// priorConvertGivenEngage is a prior p(convert | engaged).
const priorConvertGivenEngage = 0.15

// Score fills each estimate from the priors, scaled by priority (each point is worth 5%).
func (PriorScorer) Score(_ *epilogue.Moment, offers []*epilogue.Offer, out []epilogue.Estimate) {
	for i, o := range offers {
		out[i] = priorEstimate(o)
	}
}

// priorEstimate depends on the offer alone, so snapshots compute it once per offer (Snapshot.priors)
// and decisions with the prior scorer copy it instead of scoring every candidate again.
func priorEstimate(o *epilogue.Offer) epilogue.Estimate {
	pe := priorEngage(o.Kind) * (1 + 0.05*float64(o.Priority))
	pe = min(max(pe, 0.0001), 0.9)
	pc := pe * priorConvertGivenEngage
	return epilogue.Estimate{PEngage: pe, PConvert: pc, Value: o.ValueOf(pe, pc)}
}

// Version names the scorer in decision records.
func (PriorScorer) Version() string { return "prior-1" }
