// Package journey turns what happens to orders and shipments into timed, branded messages.
// A Journey is a trigger and steps (wait, condition, send, offers, points, review request,
// survey, webhook); an Enrollment is one order, shipment or customer walking it. The Scheduler
// reads the activity log, advances enrollments and sends their messages through an outbox with
// one idempotency key per enrollment and step, so a crash repeats work but never its effects.
// Marketing messages and on-page partner offers share one per-customer Attention budget.
package journey

import (
	"time"

	"github.com/epiloguehq/epilogue"
)

// Journey is a shop's automated follow-up: when Trigger happens, walk Steps, unless an Exit
// event comes first.
type Journey struct {
	ID      string  `json:"id"` // jrn_…
	ShopID  string  `json:"-"`
	Name    string  `json:"name"`
	Status  string  `json:"status"` // active, paused, archived
	Trigger Trigger `json:"trigger"`
	Steps   []Step  `json:"steps"`
	// Exit lists the events that end an enrollment early: "order_refunded",
	// "order_cancelled", "review_submitted", "shipment_status:returning_to_sender"…
	Exit      []string  `json:"exit"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Trigger is what starts an enrollment.
type Trigger struct {
	// Event is an activity kind: order_placed, order_updated, order_cancelled, order_refunded,
	// shipment_created, shipment_status, review_submitted or survey_answered. "delivered" and
	// "stalled" are short for shipment_status with those statuses.
	Event string `json:"event"`
	// Statuses narrows shipment_status to these canonical statuses (any when empty).
	Statuses []string `json:"statuses,omitempty"`
	// Delay starts the journey this long after the event: "N days after delivery".
	Delay epilogue.Duration `json:"delay,omitempty"`
	// If is a condition the order, customer and shipment must meet to enroll.
	If string `json:"if,omitempty"`
	// OncePer is what an enrollment is unique to: "order", "shipment", "customer" or "event"
	// (every occurrence). Default: shipment for shipment triggers, order otherwise.
	OncePer string `json:"once_per,omitempty"`
}

// Step types.
const (
	StepWait          = "wait"
	StepCondition     = "condition"
	StepSend          = "send"
	StepOffers        = "offers"
	StepPoints        = "points"
	StepReviewRequest = "review_request"
	StepSurvey        = "survey"
	StepWebhook       = "webhook"
)

// StepTypes lists every step type.
var StepTypes = []string{StepWait, StepCondition, StepSend, StepOffers, StepPoints, StepReviewRequest, StepSurvey, StepWebhook}

// What a wait step waits until, besides a plain duration.
const (
	UntilEvent      = "event"       // an activity of the enrollment's order, or Timeout
	UntilSendWindow = "send_window" // the end of the customer's local quiet hours
	UntilReplenish  = "replenish"   // the order's earliest LineItem.ReplenishAfter
)

// Channels a send step may ask for: email, sms, or auto (a text where the shop enables SMS and
// the customer agreed to texts, email otherwise).
const ChannelAuto = "auto"

// Step is one step of a journey. Which fields apply depends on Type; Validate refuses the rest.
type Step struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Next is the step that follows (default: the next in the list; "end" ends the journey).
	Next string `json:"next,omitempty"`

	// wait
	Duration epilogue.Duration `json:"duration,omitempty"`
	Until    string            `json:"until,omitempty"`
	Event    string            `json:"event,omitempty"`   // until event: "shipment_status:delivered"
	Timeout  epilogue.Duration `json:"timeout,omitempty"` // until event: give up and go on

	// condition
	If   string `json:"if,omitempty"`
	Then string `json:"then,omitempty"` // default: Next
	Else string `json:"else,omitempty"` // default: the end

	// send, review_request, survey
	Channel       string `json:"channel,omitempty"`
	Template      string `json:"template,omitempty"`
	Transactional *bool  `json:"transactional,omitempty"` // default: true for order and shipping updates
	// ExpiresAfter drops a message that the attention budget or quiet hours held back this
	// long past its time (it is marked expired, never silently lost). Zero waits forever.
	ExpiresAfter epilogue.Duration `json:"expires_after,omitempty"`

	// offers
	Placement string `json:"placement,omitempty"` // default: the shop's first active email placement

	// points
	Points  int    `json:"points,omitempty"`   // a fixed number of points
	PerUnit int    `json:"per_unit,omitempty"` // points per currency unit of the order total
	Reason  string `json:"reason,omitempty"`   // shown in the ledger

	// webhook
	URL       string `json:"url,omitempty"`
	EventName string `json:"event_name,omitempty"` // the event type the receiver sees
}

// End is the step id that ends a journey.
const End = "end"

// Enrollment statuses.
const (
	EnrollActive    = "active"
	EnrollCompleted = "completed"
	EnrollExited    = "exited"
)

// Enrollment is one order, shipment or customer walking one journey.
type Enrollment struct {
	ID         string `json:"id"` // enr_…, derived from shop, journey and subject
	ShopID     string `json:"-"`
	JourneyID  string `json:"journey_id"`
	Subject    string `json:"subject"` // what it is unique to: "order:1001", "shipment:S1"…
	OrderID    string `json:"order_id,omitempty"`
	ShipmentID string `json:"shipment_id,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
	// Step is the step to run next, or the wait step it is in when Waiting.
	Step    string    `json:"step"`
	Waiting bool      `json:"waiting"`
	WakeAt  time.Time `json:"wake_at"`
	// WaitEvent is the event a wait step waits for ("" otherwise).
	WaitEvent string    `json:"wait_event,omitempty"`
	State     State     `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// State is what an enrollment carries from step to step.
type State struct {
	Trigger  TriggerInfo   `json:"trigger"`
	Offers   []ChosenOffer `json:"offers,omitempty"`
	Decision string        `json:"decision,omitempty"`
	Points   int           `json:"points,omitempty"` // earned on this journey so far
	Steps    int           `json:"steps,omitempty"`  // steps run, a guard against runaway journeys
}

// TriggerInfo is the activity that started an enrollment.
type TriggerInfo struct {
	Seq    int64     `json:"seq"`
	Kind   string    `json:"kind"`
	Status string    `json:"status,omitempty"`
	Time   time.Time `json:"time"`
	// Data keeps what messages may show of the activity when the orders store cannot be read
	// (carrier, tracking_number, tracking_url).
	Data map[string]string `json:"data,omitempty"`
}

// ChosenOffer is an offer the decision engine picked for this enrollment's messages.
type ChosenOffer struct {
	OfferID  string `json:"offer_id"`
	Title    string `json:"title"`
	Body     string `json:"body,omitempty"`
	ImageURL string `json:"image_url,omitempty"`
	CTA      string `json:"cta"`
	URL      string `json:"url"`   // the tracked, signed click link
	Token    string `json:"token"` // the offer token, for the impression when a message shows it
}

// Message is one outbound message in the outbox, with what the scheduler needs to send it and
// to explain it on the order's timeline.
type Message struct {
	epilogue.Message
	JourneyID    string     `json:"journey_id,omitempty"`
	EnrollmentID string     `json:"enrollment_id,omitempty"`
	StepID       string     `json:"step_id,omitempty"`
	Template     string     `json:"template,omitempty"`
	Why          string     `json:"why,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	// OfferTokens are the tokens of the offers the message shows: once it is sent, each
	// counts as an impression.
	OfferTokens []string `json:"offer_tokens,omitempty"`
	// Charged: the message has taken its place in the attention budget (a retry does not pay
	// twice).
	Charged bool `json:"-"`
}

// Message statuses beyond the root's documented set.
const (
	MsgQueued     = "queued"
	MsgDeferred   = "deferred"
	MsgSent       = "sent"
	MsgFailed     = "failed"
	MsgExpired    = "expired"
	MsgSkipped    = "skipped"
	MsgSuppressed = "suppressed"
	MsgRetry      = "retry" // only in a message's history: a temporary failure, tried again later
)

// MessageEvent is one change of a message's status, for the timeline.
type MessageEvent struct {
	ShopID    string    `json:"-"`
	MessageID string    `json:"message_id"`
	OrderID   string    `json:"-"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	Attempt   int       `json:"attempt,omitempty"`
	Time      time.Time `json:"time"`
}

// LoyaltyEntry is one line of a customer's points ledger. Its id makes an earning happen once.
type LoyaltyEntry struct {
	ID         string    `json:"id"`
	ShopID     string    `json:"-"`
	CustomerID string    `json:"customer_id"`
	Points     int       `json:"points"`
	Reason     string    `json:"reason"` // purchase, review, survey, or a step's reason
	OrderID    string    `json:"order_id,omitempty"`
	Time       time.Time `json:"time"`
}

// Feedback kinds.
const (
	FeedbackReview = "review"
	FeedbackNPS    = "nps"
)

// Feedback is a review (1 to 5 stars) or an NPS answer (0 to 10) sent from a signed link.
type Feedback struct {
	ID         string    `json:"id"`
	ShopID     string    `json:"-"`
	Kind       string    `json:"kind"`
	OrderID    string    `json:"order_id,omitempty"`
	CustomerID string    `json:"customer_id,omitempty"`
	Score      int       `json:"score"`
	Comment    string    `json:"comment,omitempty"`
	Time       time.Time `json:"time"`
}

// Suppression scopes.
const (
	// ScopeAll stops every message to the address: it bounced hard or complained.
	ScopeAll = "all"
	// ScopeMarketing stops marketing and offers; order updates still go (an unsubscribe).
	ScopeMarketing = "marketing"
)

// Suppression stops messages to one address of a shop. The address is kept only as its hash.
type Suppression struct {
	ShopID      string    `json:"-"`
	Channel     string    `json:"channel"`
	AddressHash string    `json:"address_sha256"`
	Scope       string    `json:"scope"`
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"created_at"`
}

// AddressHash returns the hash a suppression keeps of an address: SHA-256 of the trimmed,
// lower-cased address (emails compare case-insensitively in practice).
func AddressHash(address string) string { return epilogue.EmailSHA256(address) }
