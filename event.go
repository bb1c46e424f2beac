package epilogue

import "time"

// Event types: what a customer did with an offer, and what happened to a message.
const (
	EventImpression = "impression"
	EventEngagement = "engagement"
	EventDismissal  = "dismissal"
	EventConversion = "conversion"
	EventClose      = "close"

	EventSent         = "sent"
	EventDelivered    = "delivered"
	EventOpened       = "opened"
	EventClicked      = "clicked"
	EventBounced      = "bounced"
	EventComplained   = "complained"
	EventUnsubscribed = "unsubscribed"
)

// OfferEventTypes are the events a client may send about an offer it was shown.
var OfferEventTypes = []string{EventImpression, EventEngagement, EventDismissal, EventConversion, EventClose}

// Event is one thing a customer did with a shown offer. Its id is the client's, so a retried
// event is recognised and changes nothing.
type Event struct {
	ID          string    `json:"id"`
	ShopID      string    `json:"-"`
	Type        string    `json:"type"`
	DecisionID  string    `json:"decision_id"`
	OfferID     string    `json:"offer_id"`
	PlacementID string    `json:"placement"`
	CustomerKey string    `json:"-"`
	Arm         string    `json:"arm"`
	Time        time.Time `json:"time"`
	Value       Amount    `json:"value,omitempty"`
	Currency    string    `json:"currency,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
	// Spend is what the event charged the offer's budget (cpc at engagement, cpa at conversion).
	Spend Amount `json:"spend,omitempty"`
}

// SameAs reports whether o, stored under e's id, is the event e describes: a retry, not another
// event reusing the id. The time is not compared: an event sent without one is stamped when it
// arrives, so each retry of it carries a new time.
func (e *Event) SameAs(o *Event) bool {
	return e.Type == o.Type && e.DecisionID == o.DecisionID && e.OfferID == o.OfferID &&
		e.Value == o.Value && e.Currency == o.Currency
}
