package decide

import "github.com/epiloguehq/epilogue"

// reason is why an offer is filtered, as a small number: the hot path counts reasons in an
// array instead of a map, and turns them into words only for the record.
type reason uint8

const (
	rNone reason = iota
	rPaused
	rNotOnSurface
	rOutOfSchedule
	rCountries
	rDevices
	rLocales
	rPaymentTypes
	rMinAmount
	rMaxAmount
	rCurrency
	rCategoriesAny
	rCategoriesNone
	rSKUsAny
	rSKUsNone
	rAttributes
	rCustomerType
	rNoConsent
	rBudgetExhausted
	rBudgetPaced
	rFrequencyCap
	rDismissed
	rConverted
	rPurchased
	rExclusionGroup
	rBelowReserve
	rAttention
	nReasons
)

var reasonText = [nReasons]string{
	rPaused:          epilogue.ReasonPaused,
	rNotOnSurface:    epilogue.ReasonNotOnSurface,
	rOutOfSchedule:   epilogue.ReasonOutOfSchedule,
	rCountries:       epilogue.ReasonTargetingPrefix + "countries",
	rDevices:         epilogue.ReasonTargetingPrefix + "devices",
	rLocales:         epilogue.ReasonTargetingPrefix + "locales",
	rPaymentTypes:    epilogue.ReasonTargetingPrefix + "payment_types",
	rMinAmount:       epilogue.ReasonTargetingPrefix + "min_amount",
	rMaxAmount:       epilogue.ReasonTargetingPrefix + "max_amount",
	rCurrency:        epilogue.ReasonCurrency,
	rCategoriesAny:   epilogue.ReasonTargetingPrefix + "cart_categories_any",
	rCategoriesNone:  epilogue.ReasonTargetingPrefix + "cart_categories_none",
	rSKUsAny:         epilogue.ReasonTargetingPrefix + "cart_skus_any",
	rSKUsNone:        epilogue.ReasonTargetingPrefix + "cart_skus_none",
	rAttributes:      epilogue.ReasonTargetingPrefix + "customer_attributes",
	rCustomerType:    epilogue.ReasonTargetingPrefix + "customer_type",
	rNoConsent:       epilogue.ReasonNoConsent,
	rBudgetExhausted: epilogue.ReasonBudgetExhausted,
	rBudgetPaced:     epilogue.ReasonBudgetPaced,
	rFrequencyCap:    epilogue.ReasonFrequencyCap,
	rDismissed:       epilogue.ReasonDismissed,
	rConverted:       epilogue.ReasonConverted,
	rPurchased:       epilogue.ReasonPurchased,
	rExclusionGroup:  epilogue.ReasonExclusionGroup,
	rBelowReserve:    epilogue.ReasonBelowReserve,
	rAttention:       epilogue.ReasonAttentionBudget,
}

func (r reason) String() string { return reasonText[r] }

// tally counts filtered offers by reason.
type tally [nReasons]int32

// record returns the counts as the decision record keeps them (nil when nothing was filtered).
func (t *tally) record() map[string]int {
	var m map[string]int
	for r, n := range t {
		if n > 0 {
			if m == nil {
				m = make(map[string]int, 4)
			}
			m[reasonText[r]] = int(n)
		}
	}
	return m
}
