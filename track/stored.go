package track

import (
	"github.com/epiloguehq/epilogue"
)

// The checks in this file compare an update with what the store holds, so the store runs them
// inside the transaction that applies the update: checked earlier, two requests racing could
// both pass.

// OrderMoney is what checking a refund needs to know of its order as stored.
type OrderMoney struct {
	Total    epilogue.Amount
	Currency string
	// Refunded is the sum of the refunds recorded before this one.
	Refunded epilogue.Amount
}

// CheckRefund checks a new refund against its order (nil when the order is not known yet: the
// refund is then kept as sent, because webhooks and a shop's own queues deliver out of order,
// and only what it says of itself was checked). A refund through the API must be in the
// order's currency, fit its minor unit, and not bring the refunds past the order's total. A
// platform's refund is not refused: the platform already gave the money back, and a refused
// webhook is only sent again (Shopify's refund transactions may be in the customer's
// presentment currency).
func CheckRefund(source string, rf Refund, o *OrderMoney) error {
	if o == nil || source != SourceAPI {
		return nil
	}
	if rf.Currency != "" && rf.Currency != o.Currency {
		return epilogue.Invalid("currency", "must be the order's currency %s, not %s", o.Currency, rf.Currency)
	}
	if !rf.Amount.FitsCurrency(o.Currency) {
		return epilogue.TooPrecise("amount", rf.Amount, o.Currency)
	}
	if o.Refunded+rf.Amount > o.Total {
		return epilogue.Invalid("amount", "would refund %s %s in all, more than the order's total of %s (%s refunded already)",
			o.Refunded+rf.Amount, o.Currency, o.Total, o.Refunded)
	}
	return nil
}

// CheckRefundAgain decides what a refund whose id is recorded already means. The same amount
// and currency again is a retry and changes nothing (nil; an empty currency, sent or stored, is
// the order's). Through the API, another amount or currency under the same id is a conflict:
// answering "unchanged" would tell the caller a refund it never recorded went through. From a
// platform it is not: Shopify repeats a refund in every orders/updated, and its sum grows when
// a pending transaction succeeds.
func CheckRefundAgain(source string, rf, stored Refund) error {
	if source != SourceAPI || rf.Same(stored) {
		return nil
	}
	cur := stored.Currency
	if cur != "" {
		cur = " " + cur
	}
	return epilogue.Errorf(epilogue.EConflict, "refund %q of order %q was recorded as %s%s: a refund id is for one refund; "+
		"give another refund another id", epilogue.Clip(rf.ID), epilogue.Clip(rf.OrderID), stored.Amount, cur)
}

// Same reports whether rf gives back the money stored did: the same amount in the same currency
// (an empty currency, sent or stored, is the order's).
func (rf Refund) Same(stored Refund) bool {
	return rf.Amount == stored.Amount && (rf.Currency == "" || stored.Currency == "" || rf.Currency == stored.Currency)
}

// CheckOrderChange checks an update of a stored order. Its currency cannot change: the refunds
// recorded against the order, the activities that journeys and reports read, and what the
// customer paid are all in it, and no converted amount would be right. Everything else an
// order says may change, as it does at the platforms (a corrected total, another customer).
func CheckOrderChange(storedCurrency string, o *epilogue.Order) error {
	if storedCurrency != "" && o.Currency != storedCurrency {
		e := epilogue.Errorf(epilogue.EConflict, "order %q was placed in %s: an order's currency cannot change to %s",
			epilogue.Clip(o.ID), storedCurrency, o.Currency)
		e.Field = "currency"
		return e
	}
	return nil
}

// RetriedScan reports whether e is a retry of the shipment's latest scan, which latest loads
// (nil when the shipment has none): e carries no time of its own (it was stamped with
// ReceivedAt) and says what that scan says. A scan with a time is told from others by its time;
// one without is stamped anew on each try, so without this rule every retry would join the
// timeline again. A client that reports the same status twice on purpose gives each its time.
// latest is called only for a scan without a time.
func (u *Update) RetriedScan(e *epilogue.ShipmentEvent, latest func() (*epilogue.ShipmentEvent, error)) (bool, error) {
	if !e.Time.Equal(u.ReceivedAt) {
		return false, nil
	}
	l, err := latest()
	if err != nil || l == nil {
		return false, err
	}
	return e.Status == l.Status && e.RawStatus == l.RawStatus && e.Message == l.Message && e.Location == l.Location, nil
}
