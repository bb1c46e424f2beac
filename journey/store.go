package journey

import (
	"context"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/notify"
)

// Store is what journeys read and write; *store.DB implements it.
type Store interface {
	Shop(ctx context.Context, id string) (*epilogue.Shop, error)
	Customer(ctx context.Context, shopID, id string) (*epilogue.Customer, error)
	// UpdateCustomer applies change to a stored customer (to a new one, created then, when
	// found is false) and writes the result only over what change was applied to, applying it
	// again when another writer got there first.
	UpdateCustomer(ctx context.Context, shopID, id string, change func(c *epilogue.Customer, found bool) error) (*epilogue.Customer, error)
	AllPlacements(ctx context.Context, shopID string) ([]*epilogue.Placement, error)
	ActivitiesAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Activity, int64, error)

	// Configuration.
	CreateJourney(ctx context.Context, j *Journey) error
	UpdateJourney(ctx context.Context, shopID, id string, change func(*Journey) error) (*Journey, error)
	Journey(ctx context.Context, shopID, id string) (*Journey, error)
	Journeys(ctx context.Context, shopID string, f epilogue.ListFilter) ([]*Journey, string, error)
	ShopJourneys(ctx context.Context, shopID string) ([]*Journey, error)
	MessagingSettings(ctx context.Context, shopID string) (Settings, bool, error)
	// UpdateMessagingSettings and UpdateBrand apply change to what is stored and write the
	// result only over what change was applied to, applying it again when another writer got
	// there first (so no replica loses another's change).
	UpdateMessagingSettings(ctx context.Context, shopID string, change func(*Settings) error, at time.Time) (Settings, error)
	// InstallDefaults stores a shop's first settings and default journeys, once: a shop
	// that has settings keeps what it has.
	InstallDefaults(ctx context.Context, shopID string, s Settings, js []*Journey, at time.Time) error
	Brand(ctx context.Context, shopID string) (notify.Brand, bool, error)
	UpdateBrand(ctx context.Context, shopID string, change func(*notify.Brand) error, at time.Time) (notify.Brand, error)
	Templates(ctx context.Context, shopID string) ([]notify.Template, error)
	SaveTemplate(ctx context.Context, shopID string, t notify.Template, at time.Time) error

	// The scheduler.
	Cursor(ctx context.Context, name string) (int64, error)
	CommitBatch(ctx context.Context, b *Batch) error
	// OpenEnrollments are an order's active and completed enrollments (see react).
	OpenEnrollments(ctx context.Context, shopID, orderID string) ([]*Enrollment, error)
	ClaimEnrollments(ctx context.Context, now time.Time, owner string, lease time.Duration, limit int) ([]*Enrollment, error)
	ClaimMessages(ctx context.Context, now time.Time, owner string, lease time.Duration, limit int) ([]*Message, error)
	FinishMessages(ctx context.Context, owner string, now time.Time, outcomes []Outcome) error
	Suppression(ctx context.Context, shopID, channel, addressHash string) (*Suppression, error)
	AddSuppression(ctx context.Context, s *Suppression) error
	Suppressions(ctx context.Context, shopID string, f epilogue.ListFilter) ([]*Suppression, string, error)
	AttentionMarks(ctx context.Context, since time.Time) ([]Mark, error)

	// Loyalty, reviews and surveys.
	LoyaltyBalance(ctx context.Context, shopID, customerID string) (int, error)
	Loyalty(ctx context.Context, shopID, customerID string, limit int) (int, []*LoyaltyEntry, error)
	// SaveFeedback stores a review or survey answer with the activity it causes and the points
	// it earns, all or nothing; false when the link was used already.
	SaveFeedback(ctx context.Context, f *Feedback, a *epilogue.Activity, points *LoyaltyEntry) (bool, error)

	// Timelines.
	OrderActivities(ctx context.Context, shopID, orderID string) ([]*epilogue.Activity, error)
	OrderEnrollments(ctx context.Context, shopID, orderID string) ([]*Enrollment, error)
	OrderMessages(ctx context.Context, shopID, orderID string) ([]*Message, []*MessageEvent, error)
	DecisionsByRef(ctx context.Context, shopID, ref string) ([]*epilogue.Decision, error)
	CustomerEvents(ctx context.Context, shopID, customerKey string, since time.Time) ([]*epilogue.Event, error)
}

// Orders reads orders and shipments (the orders store). Until it exists journeys see no order
// data: conditions read zero values and templates leave the order out.
type Orders interface {
	Order(ctx context.Context, shopID, id string) (*epilogue.Order, error)
	Shipment(ctx context.Context, shopID, id string) (*epilogue.Shipment, error)
}

// Impressions records that the offers a sent message shows were shown, so engagement rates and
// learning count them. Calls for one message use its id: a repeat records nothing new.
type Impressions interface {
	Shown(ctx context.Context, shopID, messageID string, tokens []string) error
}

// Decider chooses offers for an offers step: the decision engine.
type Decider interface {
	Decide(shopID string, req *epilogue.DecisionRequest, explain bool) (*decide.Result, error)
}

// Batch is what one pass of the scheduler commits in one transaction: the activities it
// consumed, the enrollments it started, woke, advanced or ended, and every effect of their
// steps. Effects carry keys (one per enrollment and step), so a pass repeated after a crash
// changes nothing that was committed.
type Batch struct {
	// Cursor moves the activity cursor; the commit fails with a conflict when another replica
	// moved it first, and the pass is then dropped.
	Cursor *CursorMove
	Exits  []Exit
	Wakes  []Wake
	// Enroll are new enrollments; one that exists already is left alone with its effects.
	Enroll []*Run
	// Advance are claimed enrollments; one whose lease Owner lost, or that ended meanwhile,
	// is left alone with its effects.
	Advance []*Run
	Owner   string
	Now     time.Time
}

// CursorMove advances a named cursor from From to To.
type CursorMove struct {
	Name     string
	From, To int64
}

// Exit ends an active enrollment because an exit event came; its pending messages are skipped.
type Exit struct {
	ShopID, EnrollmentID, Reason string
}

// Wake ends a wait for an event: the enrollment runs again from At.
type Wake struct {
	ShopID, EnrollmentID string
	At                   time.Time
}

// Run is an enrollment after its steps ran, with what they produced.
type Run struct {
	Enrollment *Enrollment
	Messages   []*Message
	Points     []*LoyaltyEntry
}

// Outcome is what became of one claimed message.
type Outcome struct {
	Message  *Message      // with its new Status, Reason, Attempts, NextAttemptAt, SentAt, Charged
	Event    *MessageEvent // the change for its history; nil when nothing happened worth telling
	Suppress *Suppression  // an address to stop sending to (a hard bounce)
}
