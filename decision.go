package epilogue

import (
	"bytes"
	"encoding/json"
	"time"
)

// Arms of a decision.
const (
	ArmPolicy  = "policy"
	ArmHoldout = "holdout"
)

// Verdicts of a candidate offer.
const (
	VerdictChosen   = "chosen"
	VerdictScored   = "scored"
	VerdictFiltered = "filtered"
)

// Reasons an offer is filtered out, and reasons a decision returns nothing.
const (
	ReasonNotOnSurface     = "not_on_surface"
	ReasonOutOfSchedule    = "out_of_schedule"
	ReasonPaused           = "paused"
	ReasonArchived         = "archived"
	ReasonBudgetExhausted  = "budget_exhausted"
	ReasonBudgetPaced      = "budget_paced" // the daily budget is ahead of its pace for the hour
	ReasonFrequencyCap     = "frequency_cap"
	ReasonDismissed        = "dismissed_recently"
	ReasonConverted        = "already_converted"
	ReasonPurchased        = "already_purchased"
	ReasonExclusionGroup   = "exclusion_group"
	ReasonBelowReserve     = "below_reserve"
	ReasonNoConsent        = "no_consent"
	ReasonCurrency         = "currency_mismatch"
	ReasonTargetingPrefix  = "targeting:" // followed by the targeting field, e.g. targeting:countries
	ReasonHoldout          = "holdout"
	ReasonNoOffers         = "no_active_offers"
	ReasonNoneEligible     = "none_eligible"
	ReasonPlacementPaused  = "placement_paused"
	ReasonAllBelowReserve  = "all_below_reserve"
	ReasonAttentionBudget  = "attention_budget"
	ReasonCustomerOptedOut = "customer_opted_out"
)

// DecisionRequest is one ask for offers, normalized from either request form.
type DecisionRequest struct {
	Placement   string            `json:"placement"`
	Transaction Transaction       `json:"transaction"`
	Customer    CustomerRef       `json:"customer"`
	Cart        []CartItem        `json:"cart"`
	Context     RequestContext    `json:"context"`
	Attributes  FlatAttributes    `json:"attributes,omitempty"` // the flat form, folded into the fields above
	Explain     bool              `json:"explain,omitempty"`
	Extra       map[string]string `json:"-"`
}

// FlatAttributes are the attributes of a request's flat form. Numbers keep their digits
// (json.Number): an order number of 17 digits must not come back rounded. Only this field
// needs that, so the rest of a request decodes without a json.Decoder's extra work.
type FlatAttributes map[string]any

func (f *FlatAttributes) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	*f = m
	return nil
}

// Transaction is the checkout a decision belongs to.
type Transaction struct {
	ConfirmationRef string `json:"confirmationref"`
	Amount          Amount `json:"amount"`
	Currency        string `json:"currency"`
	PaymentType     string `json:"paymenttype"`
}

// CustomerRef identifies the customer of a request. A raw email is hashed at the edge and
// dropped; only its SHA-256 travels further.
type CustomerRef struct {
	ID          string            `json:"id,omitempty"`
	Email       string            `json:"email,omitempty"`
	EmailSHA256 string            `json:"email_sha256,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	// Type is "new" or "returning" when the shop knows; otherwise Epilogue derives it from history.
	Type string `json:"type,omitempty"`
}

// Key returns the stable internal key of the customer ("id:…" or "em:…"), or "" when anonymous.
func (c *CustomerRef) Key() string {
	switch {
	case c.ID != "":
		return "id:" + c.ID
	case c.EmailSHA256 != "":
		return "em:" + c.EmailSHA256
	}
	return ""
}

// CartItem is one line of the cart or order a decision is asked for.
type CartItem struct {
	SKU       string `json:"sku"`
	ProductID string `json:"product_id,omitempty"`
	Category  string `json:"category,omitempty"`
	Price     Amount `json:"price"`
	Quantity  int    `json:"quantity"`
}

// RequestContext is where and how the customer is.
type RequestContext struct {
	Device  string `json:"device,omitempty"`
	Country string `json:"country,omitempty"`
	Locale  string `json:"locale,omitempty"`
	PageURL string `json:"page_url,omitempty"`
}

// History is what Epilogue knows of a customer's past, as the scorer sees it.
type History struct {
	Orders     int      `json:"orders,omitempty"`     // orders before this one
	Categories []string `json:"categories,omitempty"` // categories bought before
	Engaged    []string `json:"engaged,omitempty"`    // offer ids engaged with before
	Dismissed  []string `json:"dismissed,omitempty"`  // offer ids dismissed before
}

// Decision is the record of one answer: what was asked, what was considered, what was shown.
type Decision struct {
	ID              string           `json:"id"`
	ShopID          string           `json:"-"`
	PlacementID     string           `json:"placement"`
	Surface         string           `json:"surface"`
	Arm             string           `json:"arm"`
	CustomerKey     string           `json:"-"`
	ConfirmationRef string           `json:"confirmationref,omitempty"`
	Offers          []ShownOffer     `json:"offers"`
	Candidates      []Verdict        `json:"candidates"` // chosen and scored offers
	Filtered        map[string]int   `json:"filtered"`   // filtered offers counted by reason
	NoOfferReason   string           `json:"no_offer_reason,omitempty"`
	ModelVersion    string           `json:"model_version"`
	Latency         time.Duration    `json:"latency_us"` // in microseconds in JSON (see MarshalJSON)
	Time            time.Time        `json:"time"`
	Request         *DecisionRequest `json:"request,omitempty"` // without the raw email
	// History and Returning are the customer's past as the scorer saw it, kept so the learner
	// rebuilds exactly the features that were scored (the cache they came from moves on).
	History   *History `json:"-"`
	Returning bool     `json:"-"`
}

// decisionJSON is a Decision's JSON form: its latency in whole microseconds, as the name says,
// not a Duration's nanoseconds. The shallower Latency field wins over the embedded one.
type decisionJSON struct {
	plainDecision
	Latency int64 `json:"latency_us"`
}

type plainDecision Decision // without the methods, so encoding does not recurse

// MarshalJSON writes the decision with latency_us in microseconds.
func (d Decision) MarshalJSON() ([]byte, error) {
	return json.Marshal(decisionJSON{plainDecision(d), d.Latency.Microseconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (d *Decision) UnmarshalJSON(b []byte) error {
	var v decisionJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*d = Decision(v.plainDecision)
	d.Latency = time.Duration(v.Latency) * time.Microsecond
	return nil
}

// ShownOffer is an offer a decision chose, with the probability that the policy would show it
// here (for off-policy evaluation).
type ShownOffer struct {
	OfferID    string  `json:"offer_id"`
	Position   int     `json:"position"`
	Score      float64 `json:"score"`
	Propensity float64 `json:"propensity"`
}

// Verdict is what happened to one candidate offer.
type Verdict struct {
	OfferID string  `json:"offer_id"`
	Verdict string  `json:"verdict"`
	Reason  string  `json:"reason,omitempty"`
	Score   float64 `json:"score,omitempty"`
}
