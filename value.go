package epilogue

// nominalEngagement is the value, in currency units, given to an engagement with an offer that
// pays nothing (a survey, content, loyalty): enough to rank them by engagement among themselves
// and to fill a placement when nothing pays, never enough to beat an offer that earns money.
const nominalEngagement = 0.01

// ValueOf returns the expected value of showing the offer given p(engage | shown) and
// p(convert | shown): cpc pays at engagement, cpa at conversion, first-party margin at conversion.
func (o *Offer) ValueOf(pEngage, pConvert float64) float64 {
	v := pEngage*nominalEngagement + pConvert*o.Margin.Float()
	switch o.Payout.Model {
	case PayoutCPC:
		v += pEngage * o.Payout.Amount.Float()
	case PayoutCPA:
		v += pConvert * o.Payout.Amount.Float()
	}
	return v
}
