// Package track follows orders and their shipments after the purchase: the words for what one
// webhook or API call says about them (Update, Result), their validation, and the detector that
// notices orders that never ship and parcels that stop moving.
package track

import (
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Sources of updates.
const (
	SourceAPI      = "api"
	SourceShopify  = "shopify"
	SourceEasyPost = "easypost"
	// SourceEpilogue marks timeline events Epilogue itself records (stalls).
	SourceEpilogue = "epilogue"
)

// Outcomes of an update, per order, shipment or refund.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
	// Ignored: nothing in the shop matched (an EasyPost tracker for a tracking number no
	// shipment has yet). The next tracker update carries the whole history again.
	Ignored = "ignored"
)

// Order statuses (epilogue.Order.Status).
const (
	OrderOpen              = "open"
	OrderCancelled         = "cancelled"
	OrderRefunded          = "refunded"
	OrderPartiallyRefunded = "partially_refunded"
)

// Update is everything one webhook or API call says about one shop's order, its shipments and
// its refunds. The store applies it in one step and idempotently: what it has seen already
// changes nothing, and an update older than the stored order does not overwrite it.
type Update struct {
	ShopID string
	Source string // api, shopify, easypost
	// Order, when set, is created or updated, and its customer with it. Status "cancelled"
	// cancels it (for good); other statuses are derived from refunds. UpdatedAt orders
	// competing versions: an older one is stale and changes nothing.
	Order *epilogue.Order
	// AwaitingShipment says the order is paid, has something to ship and is not fulfilled:
	// stall detection watches it until a shipment appears.
	AwaitingShipment bool
	Shipments        []ShipmentChange
	Refunds          []Refund
	// ReceivedAt is when Epilogue received the update. A time the source did not give (an API
	// scan without "time", a webhook's missing or future time: ClampTime) is stamped with it,
	// which is how a retried scan without a time is told from a new one (RetriedScan).
	ReceivedAt time.Time
}

// ShipmentChange is what an update says about one shipment.
type ShipmentChange struct {
	// Shipment names the shipment by ID (or by TrackingNumber, with ByTracking). Each of
	// OrderID, Carrier, TrackingNumber, TrackingURL and EstimatedAt that is set replaces the
	// stored one; Events join the timeline unless they are there already. Status is ignored:
	// it follows from the timeline.
	Shipment epilogue.Shipment
	// MustExist refuses to create the shipment (events posted to a shipment by id).
	MustExist bool
	// ByTracking applies the change to every shipment of the shop with this tracking number
	// (EasyPost knows parcels, not orders); none is an Ignored result, not an error.
	ByTracking bool
	// Version is when the source last changed the shipment (a fulfillment's updated_at):
	// details older than the stored ones are left as they are. Zero (the API) always applies.
	Version time.Time
}

// Refund is money given back on an order, once per ID.
type Refund struct {
	ID       string
	OrderID  string
	Amount   epilogue.Amount
	Currency string // "" takes the order's
	Time     time.Time
}

// Result is what one update changed.
type Result struct {
	Order     string           // created, updated, unchanged; "" when the update had no order
	Shipments []ShipmentResult // one per shipment touched, in order
	Refunds   []string         // per refund: created, unchanged, or updated (a platform's refund whose money changed)
	// Err is this update's own failure (a shipment not found, a rejected value): the other
	// updates of its batch commit regardless.
	Err error
}

// ShipmentResult is what an update did to one shipment.
type ShipmentResult struct {
	ID             string `json:"id"`
	Status         string `json:"status"`                    // created, updated, unchanged, ignored
	ShipmentStatus string `json:"shipment_status,omitempty"` // the canonical status after the update
	NewEvents      int    `json:"new_events"`
}

// Order is an order as tracking sees it: the shop's order and what Epilogue adds.
type Order struct {
	epilogue.Order
	// Refunded is the sum of the order's refunds.
	Refunded epilogue.Amount `json:"refunded"`
	// FulfillmentStalledAt is when the order was reported as stalled_fulfillment.
	FulfillmentStalledAt *time.Time `json:"fulfillment_stalled_at,omitempty"`
}

// Limits on what one update may carry.
const (
	MaxItems     = 1000
	MaxShipments = 100
	MaxEvents    = 1000
	MaxRefunds   = 100
	// MaxFuture is how far ahead of the receiving clock a time may be: clocks drift, and a
	// carrier's local time may be mislabeled, but a date next month is a mistake.
	MaxFuture = 24 * time.Hour
)

// Validate checks an update before it reaches the database, naming the field at fault
// ("order.items[0].quantity"), so one bad update fails alone and never inside a transaction.
func (u *Update) Validate() error {
	if u.ShopID == "" {
		return epilogue.Invalid("shop_id", "is required")
	}
	switch u.Source {
	case SourceAPI, SourceShopify, SourceEasyPost:
	default:
		return epilogue.Invalid("source", "unknown source %q", u.Source)
	}
	if u.ReceivedAt.IsZero() {
		return epilogue.Invalid("received_at", "is required")
	}
	if u.Order != nil {
		if err := validateOrder(u.Order, u.ReceivedAt, u.Source == SourceAPI); err != nil {
			return epilogue.Prefix("order", err)
		}
	}
	if len(u.Shipments) > MaxShipments {
		return epilogue.Invalid("shipments", "at most %d shipments", MaxShipments)
	}
	for i := range u.Shipments {
		c := &u.Shipments[i]
		if err := validateShipment(&c.Shipment, c.ByTracking, u.ReceivedAt, u.Source == SourceAPI); err != nil {
			return epilogue.Prefix("shipments["+strconv.Itoa(i)+"]", err)
		}
	}
	if len(u.Refunds) > MaxRefunds {
		return epilogue.Invalid("refunds", "at most %d refunds", MaxRefunds)
	}
	for i, r := range u.Refunds {
		if err := validateRefund(r, u.Source, u.ReceivedAt); err != nil {
			return epilogue.Prefix("refunds["+strconv.Itoa(i)+"]", err)
		}
	}
	return nil
}

// ValidateOrder checks an order's fields, named as in its JSON, as the API takes them.
func ValidateOrder(o *epilogue.Order, now time.Time) error {
	return validateOrder(o, now, true)
}

// validateOrder checks an order. strict is for the API, whose caller can correct a request: a
// platform's webhook that is refused is only sent again, and loses the order, so from platforms
// an email is checked only for what makes it dangerous (a line break can smuggle headers into a
// message), not for RFC 5322, which real addresses (Japanese carriers' "a..b@docomo.ne.jp")
// and the platforms' own checks do not always follow.
func validateOrder(o *epilogue.Order, now time.Time, strict bool) error {
	if !epilogue.ValidExternalID(o.ID) {
		return epilogue.Invalid("id", "must be 1 to 128 characters without spaces")
	}
	if o.CustomerID != "" && !epilogue.ValidExternalID(o.CustomerID) {
		return epilogue.Invalid("customer.id", "must be 1 to 128 characters without spaces")
	}
	if c := o.Customer; c != nil {
		if c.ID != o.CustomerID {
			return epilogue.Invalid("customer.id", "differs from the order's customer_id")
		}
		if c.Email != "" && !epilogue.ValidEmail(c.Email, strict) {
			return epilogue.Invalid("customer.email", "is not an email address (one bare address such as \"ana@example.com\")")
		}
		// A phone number is an address: one with a line break is refused from anywhere, as
		// taking characters out of it could send texts to someone else.
		for _, f := range []struct {
			name   string
			v      *string
			strict bool
		}{{"first_name", &c.FirstName, strict}, {"last_name", &c.LastName, strict}, {"phone", &c.Phone, true},
			{"locale", &c.Locale, strict}, {"timezone", &c.Timezone, strict}} {
			if len(*f.v) > 100 {
				return epilogue.Invalid("customer."+f.name, "must be at most 100 characters")
			}
			if err := plainText("customer."+f.name, f.v, f.strict); err != nil {
				return err
			}
		}
		if c.Timezone != "" {
			if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "Local" {
				return epilogue.Invalid("customer.timezone", "unknown IANA time zone %q", c.Timezone)
			}
		}
	}
	if !epilogue.ValidCurrency(o.Currency) {
		return epilogue.Invalid("currency", "unknown ISO 4217 currency %q", o.Currency)
	}
	if o.Total < 0 {
		return epilogue.Invalid("total", "must not be negative")
	}
	if !o.Total.FitsCurrency(o.Currency) {
		return epilogue.TooPrecise("total", o.Total, o.Currency)
	}
	if len(o.Items) > MaxItems {
		return epilogue.Invalid("items", "at most %d items", MaxItems)
	}
	for i := range o.Items {
		it := &o.Items[i]
		field := "items[" + strconv.Itoa(i) + "]"
		for _, f := range []struct {
			name string
			v    *string
		}{{"sku", &it.SKU}, {"product_id", &it.ProductID}, {"title", &it.Title}, {"category", &it.Category}} {
			if err := plainText(field+"."+f.name, f.v, strict); err != nil {
				return err
			}
		}
		switch {
		case len(it.SKU) > 255:
			return epilogue.Invalid(field+".sku", "must be at most 255 characters")
		case len(it.ProductID) > 255:
			return epilogue.Invalid(field+".product_id", "must be at most 255 characters")
		case len(it.Title) > 1000:
			return epilogue.Invalid(field+".title", "must be at most 1000 characters")
		case len(it.Category) > 255:
			return epilogue.Invalid(field+".category", "must be at most 255 characters")
		case it.Price < 0:
			return epilogue.Invalid(field+".price", "must not be negative")
		case !it.Price.FitsCurrency(o.Currency):
			return epilogue.TooPrecise(field+".price", it.Price, o.Currency)
		case it.Quantity < 0 || it.Quantity > 1_000_000:
			return epilogue.Invalid(field+".quantity", "must be between 0 and 1000000")
		}
	}
	switch o.Status {
	case "", OrderOpen, OrderCancelled:
	default:
		return epilogue.Invalid("status", "must be open or cancelled (refund statuses follow from refunds)")
	}
	if err := validTime("created_at", o.CreatedAt, now); err != nil {
		return err
	}
	return validTime("updated_at", o.UpdatedAt, now)
}

// ValidateShipment checks a shipment's fields and events, named as in its JSON, as the API
// takes them.
func ValidateShipment(s *epilogue.Shipment, byTracking bool, now time.Time) error {
	return validateShipment(s, byTracking, now, true)
}

// validateShipment checks a shipment; strict is for the API (see validateOrder).
func validateShipment(s *epilogue.Shipment, byTracking bool, now time.Time, strict bool) error {
	for _, f := range []struct {
		name string
		v    *string
	}{{"carrier", &s.Carrier}, {"tracking_number", &s.TrackingNumber}} {
		if err := plainText(f.name, f.v, strict); err != nil {
			return err
		}
	}
	if byTracking {
		if s.TrackingNumber == "" {
			return epilogue.Invalid("tracking_number", "is required")
		}
	} else if !epilogue.ValidExternalID(s.ID) {
		return epilogue.Invalid("id", "must be 1 to 128 characters without spaces")
	}
	if s.OrderID != "" && !epilogue.ValidExternalID(s.OrderID) {
		return epilogue.Invalid("order_id", "must be 1 to 128 characters without spaces")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"carrier", s.Carrier, 100}, {"tracking_number", s.TrackingNumber, 128}, {"tracking_url", s.TrackingURL, 2048}} {
		if len(f.v) > f.max {
			return epilogue.Invalid(f.name, "must be at most %d characters", f.max)
		}
	}
	// It becomes a link in emails and on the tracking page.
	if s.TrackingURL != "" && !epilogue.WebURL(s.TrackingURL) {
		return epilogue.Invalid("tracking_url", "must be an http or https URL such as \"https://carrier.example/track/1Z999\"")
	}
	if s.EstimatedAt != nil && s.EstimatedAt.IsZero() {
		return epilogue.Invalid("estimated_delivery", "is not a time")
	}
	if len(s.Events) > MaxEvents {
		return epilogue.Invalid("events", "at most %d events", MaxEvents)
	}
	for i := range s.Events {
		e := &s.Events[i]
		field := "events[" + strconv.Itoa(i) + "]"
		for _, f := range []struct {
			name string
			v    *string
		}{{"raw_status", &e.RawStatus}, {"message", &e.Message}, {"location", &e.Location}} {
			if err := plainText(field+"."+f.name, f.v, strict); err != nil {
				return err
			}
		}
		if !epilogue.ValidShipmentStatus(e.Status) {
			return epilogue.Invalid(field+".status", "unknown status %q", e.Status)
		}
		if len(e.RawStatus) > 100 || len(e.Source) > 32 {
			return epilogue.Invalid(field+".raw_status", "must be at most 100 characters")
		}
		if len(e.Message) > 1000 || len(e.Location) > 200 {
			return epilogue.Invalid(field+".message", "messages are at most 1000 and locations 200 characters")
		}
		if err := validTime(field+".time", e.Time, now); err != nil {
			return err
		}
	}
	return nil
}

// plainText checks a line of text that messages and pages show: from the API, a control
// character (a NUL, a line break, an escape) is refused, naming the field; from a platform,
// whose refused webhook would only come again and lose the order, it is taken out. PostgreSQL
// cannot store a NUL at all, and a line break in a name could break a message's headers.
func plainText(field string, v *string, strict bool) error {
	if strict {
		return epilogue.NoControl(field, *v, false)
	}
	*v = epilogue.StripControl(*v)
	return nil
}

// validateRefund checks what a refund says by itself; CheckRefund checks it against its order.
func validateRefund(r Refund, source string, now time.Time) error {
	if !epilogue.ValidExternalID(r.ID) {
		return epilogue.Invalid("id", "must be 1 to 128 characters without spaces")
	}
	if !epilogue.ValidExternalID(r.OrderID) {
		return epilogue.Invalid("order_id", "must be 1 to 128 characters without spaces")
	}
	if r.Amount < 0 {
		return epilogue.Invalid("amount", "must not be negative")
	}
	if r.Currency != "" && !epilogue.ValidCurrency(r.Currency) {
		return epilogue.Invalid("currency", "unknown ISO 4217 currency %q", r.Currency)
	}
	// Shopify sends a refund without money for a restock, and it counts as a refund there; a
	// refund of nothing through the API is a mistake.
	if r.Amount == 0 && source == SourceAPI {
		return epilogue.Invalid("amount", "must be more than zero")
	}
	if r.Currency != "" && !r.Amount.FitsCurrency(r.Currency) {
		return epilogue.TooPrecise("amount", r.Amount, r.Currency)
	}
	return validTime("time", r.Time, now)
}

// validTime checks a time of an update. A zero time is out of range like any other before 1970:
// the API stamps a time it was not given, so a zero one was sent as "0001-01-01T00:00:00Z".
func validTime(field string, t, now time.Time) error {
	if t.After(now.Add(MaxFuture)) {
		return epilogue.Invalid(field, "is more than %v in the future", MaxFuture)
	}
	if t.Year() < 1970 {
		return epilogue.Invalid(field, "is out of range: %s is before 1970", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// OrderStatus derives an order's status from its cancellation, total and refunds.
func OrderStatus(cancelled bool, total, refunded epilogue.Amount) string {
	switch {
	case cancelled:
		return OrderCancelled
	case refunded > 0 && refunded >= total:
		return OrderRefunded
	case refunded > 0:
		return OrderPartiallyRefunded
	}
	return OrderOpen
}

// ClampTime returns t, or now when t is unset or later than now: parsers of webhooks use it,
// because refusing a platform's webhook for a bad clock only makes it retry the same payload.
func ClampTime(t, now time.Time) time.Time {
	if t.IsZero() || t.After(now) {
		return now
	}
	return t
}
