package decide

import (
	"time"

	"github.com/epiloguehq/epilogue"
)

// EventInput is one offer event as a client sends it.
type EventInput struct {
	ID       string
	Type     string
	Token    string
	Time     time.Time
	Value    epilogue.Amount
	Currency string
}

// maxFuture is how far ahead of the server's clock an event time may be (clock skew).
const maxFuture = 10 * time.Minute

// maxPast is how old an event may be: older than any token.
const maxPast = TokenTTL + 24*time.Hour

// Prepare checks one event against the shop (its token above all) and returns the event to
// store, with what it charges the offer's budget. Nothing is changed until Apply.
func (e *Engine) Prepare(shopID string, in EventInput) (*epilogue.Event, error) {
	snap := e.Snapshot(shopID)
	if snap == nil {
		return nil, epilogue.NotFound("shop", shopID)
	}
	now := e.clock.Now()
	if in.ID == "" {
		return nil, epilogue.Invalid("id", "is required: 1 to 128 characters of your own, unique per event")
	}
	if !epilogue.ValidExternalID(in.ID) {
		return nil, epilogue.Invalid("id", "must be 1 to 128 characters without spaces or control characters")
	}
	if !contains(epilogue.OfferEventTypes, in.Type) {
		return nil, epilogue.Invalid("type", "unknown event type %q; one of %v", in.Type, epilogue.OfferEventTypes)
	}
	if in.Time.IsZero() {
		in.Time = now
	}
	if in.Time.After(now.Add(maxFuture)) {
		return nil, epilogue.Invalid("time", "is in the future")
	}
	if in.Time.Before(now.Add(-maxPast)) {
		return nil, epilogue.Invalid("time", "is too old")
	}
	if in.Value > 0 && in.Type != epilogue.EventConversion {
		return nil, epilogue.Invalid("value", "only a conversion has a value, not an event of type %q", in.Type)
	}
	switch {
	case in.Value > 0 && in.Currency == "":
		return nil, epilogue.Invalid("currency", "is required with a value: an ISO 4217 currency such as \"USD\"")
	case in.Currency != "" && !epilogue.ValidCurrency(in.Currency):
		return nil, epilogue.Invalid("currency", "unknown ISO 4217 currency %q", in.Currency)
	}
	if !in.Value.FitsCurrency(in.Currency) {
		return nil, epilogue.TooPrecise("value", in.Value, in.Currency)
	}
	if in.Token == "" {
		return nil, epilogue.Invalid("token", "is required: the token of the offer shown, from the decision")
	}
	c, err := Verify(snap.Shop.Secret, in.Token, now)
	if err != nil {
		return nil, err
	}
	// The token was signed when the offer was shown, tokenTTL before it expires (to the second).
	// An event cannot come before that; maxFuture allows for the client's clock.
	if in.Time.Before(c.Expires.Add(-e.tokenTTL - time.Second - maxFuture)) {
		return nil, epilogue.Invalid("time", "is before the offer was shown")
	}
	o := snap.Charged(c.OfferID)
	ev := &epilogue.Event{
		ID: in.ID, ShopID: shopID, Type: in.Type, DecisionID: c.DecisionID, OfferID: c.OfferID,
		PlacementID: c.Placement, CustomerKey: c.CustomerKey, Arm: c.Arm, Time: in.Time.UTC(),
		Value: in.Value, Currency: in.Currency, ReceivedAt: now,
	}
	if e.people.Erased(shopID, ev.CustomerKey) {
		// A token handed out before the customer was erased: the event still counts (the
		// offer's rates, its budget), but for nobody.
		ev.CustomerKey = ""
	}
	if o != nil && charges(o, in.Type) && e.firstCharge(ev) {
		day, _ := LocalDay(ev.Time, snap.loc)
		ev.Spend = e.claims.claim(keyOf(ev), now, o.Payout.Amount, func(pending epilogue.Amount) epilogue.Amount {
			return e.budgets.room(o.ID, o.Budget, day) - pending
		})
	}
	return ev, nil
}

// charges reports whether an event of this type charges the offer's budget: cpc offers pay at
// engagement, cpa offers at conversion.
func charges(o *epilogue.Offer, typ string) bool {
	return typ == epilogue.EventEngagement && o.Payout.Model == epilogue.PayoutCPC ||
		typ == epilogue.EventConversion && o.Payout.Model == epilogue.PayoutCPA
}

// firstCharge reports whether this engagement or conversion is the first of its kind for the
// decision and offer, so replaying one token with new event ids cannot inflate spend.
func (e *Engine) firstCharge(ev *epilogue.Event) bool {
	return e.people.firstCharge(ev.ShopID, ev.CustomerKey, ev.OfferID, ev.Type, ev.DecisionID)
}

// Apply makes a stored event count: per-customer state (caps, dismissals, conversions) and the
// offer's budget. Call it only once the event is durable and new.
func (e *Engine) Apply(ev *epilogue.Event) {
	e.local.add(ev.ShopID, ev.ID)
	e.apply(ev)
	e.Release(ev) // the customer's state now holds the charge (see chargeClaims)
}

func (e *Engine) apply(ev *epilogue.Event) {
	snap := e.Snapshot(ev.ShopID)
	e.people.Observe(ev.ShopID, ev.CustomerKey, ev.OfferID, ev.Type, ev.Time, ev.DecisionID)
	if a := e.attention(); a != nil && ev.Type == epilogue.EventImpression && ev.CustomerKey != "" && snap != nil {
		// A page of partner offers is one call on the customer's attention, however many it shows.
		if o := snap.Offer(ev.OfferID); o != nil && o.Kind == epilogue.KindPartner && e.people.firstAttention(ev.ShopID, ev.CustomerKey, ev.DecisionID) {
			a.Spend(ev.ShopID, ev.CustomerKey, ev.Time)
		}
	}
	if ev.Spend > 0 && snap != nil {
		day, _ := LocalDay(ev.Time, snap.loc)
		e.budgets.Spend(ev.OfferID, ev.Spend, day)
	}
}
