// Package track follows orders and their shipments after the purchase: the words for what one
// webhook or API call says about them (Update, Result), their validation, and the detector that
// notices orders that never ship and parcels that stop moving.
package track

import (
	"strconv"
	"strings"
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
	ReceivedAt       time.Time
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
	Refunds   []string         // per refund: created or unchanged
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
		if err := ValidateOrder(u.Order, u.ReceivedAt); err != nil {
			return epilogue.Prefix("order", err)
		}
	}
	if len(u.Shipments) > MaxShipments {
		return epilogue.Invalid("shipments", "at most %d shipments", MaxShipments)
	}
	for i := range u.Shipments {
		c := &u.Shipments[i]
		if err := ValidateShipment(&c.Shipment, c.ByTracking, u.ReceivedAt); err != nil {
			return epilogue.Prefix("shipments["+strconv.Itoa(i)+"]", err)
		}
	}
	if len(u.Refunds) > MaxRefunds {
		return epilogue.Invalid("refunds", "at most %d refunds", MaxRefunds)
	}
	for i, r := range u.Refunds {
		if err := validateRefund(r, u.ReceivedAt); err != nil {
			return epilogue.Prefix("refunds["+strconv.Itoa(i)+"]", err)
		}
	}
	return nil
}

// ValidateOrder checks an order's fields, named as in its JSON.
func ValidateOrder(o *epilogue.Order, now time.Time) error {
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
		if c.Email != "" && (len(c.Email) > 320 || !strings.Contains(c.Email, "@")) {
			return epilogue.Invalid("customer.email", "is not an email address")
		}
		for _, f := range []struct{ name, v string }{{"first_name", c.FirstName}, {"last_name", c.LastName},
			{"phone", c.Phone}, {"locale", c.Locale}, {"timezone", c.Timezone}} {
			if len(f.v) > 100 {
				return epilogue.Invalid("customer."+f.name, "must be at most 100 characters")
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
	if len(o.Items) > MaxItems {
		return epilogue.Invalid("items", "at most %d items", MaxItems)
	}
	for i, it := range o.Items {
		field := "items[" + strconv.Itoa(i) + "]"
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

// ValidateShipment checks a shipment's fields and events, named as in its JSON.
func ValidateShipment(s *epilogue.Shipment, byTracking bool, now time.Time) error {
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
	if s.EstimatedAt != nil && s.EstimatedAt.IsZero() {
		return epilogue.Invalid("estimated_delivery", "is not a time")
	}
	if len(s.Events) > MaxEvents {
		return epilogue.Invalid("events", "at most %d events", MaxEvents)
	}
	for i, e := range s.Events {
		field := "events[" + strconv.Itoa(i) + "]"
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

func validateRefund(r Refund, now time.Time) error {
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
	return validTime("time", r.Time, now)
}

func validTime(field string, t, now time.Time) error {
	if t.IsZero() {
		return epilogue.Invalid(field, "is required")
	}
	if t.After(now.Add(MaxFuture)) {
		return epilogue.Invalid(field, "is more than %v in the future", MaxFuture)
	}
	if t.Year() < 1970 {
		return epilogue.Invalid(field, "is before 1970")
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
