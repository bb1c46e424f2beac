package shopify

import (
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/connect/internal/payload"
	"github.com/epiloguehq/epilogue/track"
)

// order is the part of Shopify's Order resource Epilogue keeps.
type order struct {
	ID                payload.ID      `json:"id"`
	GID               string          `json:"admin_graphql_api_id"`
	Email             string          `json:"email"`
	ContactEmail      string          `json:"contact_email"`
	Phone             string          `json:"phone"`
	CustomerLocale    string          `json:"customer_locale"`
	Currency          string          `json:"currency"`
	TotalPrice        payload.Decimal `json:"total_price"`
	FinancialStatus   string          `json:"financial_status"`
	FulfillmentStatus string          `json:"fulfillment_status"`
	CancelledAt       payload.Time    `json:"cancelled_at"`
	CreatedAt         payload.Time    `json:"created_at"`
	ProcessedAt       payload.Time    `json:"processed_at"`
	UpdatedAt         payload.Time    `json:"updated_at"`
	Customer          *customer       `json:"customer"`
	BillingAddress    *address        `json:"billing_address"`
	LineItems         []lineItem      `json:"line_items"`
	Fulfillments      []fulfillment   `json:"fulfillments"`
	Refunds           []refund        `json:"refunds"`
}

type customer struct {
	ID        payload.ID `json:"id"`
	Email     string     `json:"email"`
	FirstName string     `json:"first_name"`
	LastName  string     `json:"last_name"`
	Phone     string     `json:"phone"`
}

type address struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Phone     string `json:"phone"`
}

type lineItem struct {
	SKU              string          `json:"sku"`
	ProductID        payload.ID      `json:"product_id"`
	VariantID        payload.ID      `json:"variant_id"`
	Title            string          `json:"title"`
	Name             string          `json:"name"`
	Price            payload.Decimal `json:"price"`
	Quantity         int             `json:"quantity"`
	RequiresShipping *bool           `json:"requires_shipping"`
}

// paid are the financial statuses of an order the customer has paid for (an authorised card
// counts: the merchant ships against it).
var paid = map[string]bool{"paid": true, "partially_paid": true, "authorized": true, "partially_refunded": true}

// into fills an update with the order and the fulfillments and refunds it carries (an
// orders/updated webhook repeats them, which recovers any fulfillment or refund webhook lost).
func (o *order) into(u *track.Update, now time.Time) error {
	oid, err := id("id", o.ID)
	if err != nil {
		return err
	}
	cur := strings.ToUpper(strings.TrimSpace(o.Currency))
	if !epilogue.ValidCurrency(cur) {
		return epilogue.Invalid("currency", "unknown ISO 4217 currency %q", o.Currency)
	}
	if !o.TotalPrice.Set {
		return epilogue.Invalid("total_price", "is required")
	}
	created := track.ClampTime(payload.First(o.CreatedAt, o.ProcessedAt), now)
	updated := track.ClampTime(payload.First(o.UpdatedAt, o.CreatedAt, o.ProcessedAt), now)
	out := &epilogue.Order{ID: oid, Total: o.TotalPrice.Amount, Currency: cur, Status: track.OrderOpen,
		CreatedAt: created, UpdatedAt: updated, Items: make([]epilogue.LineItem, 0, len(o.LineItems))}
	if !o.CancelledAt.IsZero() {
		out.Status = track.OrderCancelled
	}
	ships := false
	for i, li := range o.LineItems {
		if !li.Price.Set {
			return epilogue.Invalid("line_items["+strconv.Itoa(i)+"].price", "is required")
		}
		if li.Quantity < 0 {
			return epilogue.Invalid("line_items["+strconv.Itoa(i)+"].quantity", "must not be negative")
		}
		title := li.Title
		if title == "" {
			title = li.Name
		}
		out.Items = append(out.Items, epilogue.LineItem{SKU: payload.Clip(li.SKU, 255), ProductID: payload.Clip(string(li.ProductID), 255),
			Title: payload.Clip(title, 1000), Price: li.Price.Amount, Quantity: li.Quantity})
		ships = ships || li.RequiresShipping == nil || *li.RequiresShipping
	}
	// An order with more lines than an update may carry keeps its first MaxItems: refused, the
	// webhook would only be retried and the order lost, while its total stays the whole order's.
	if len(out.Items) > track.MaxItems {
		out.Items = out.Items[:track.MaxItems]
	}
	out.Customer = o.customer()
	if out.Customer != nil {
		out.CustomerID = out.Customer.ID
	}
	u.Order = out
	fs := o.FulfillmentStatus
	u.AwaitingShipment = paid[o.FinancialStatus] && ships && out.Status != track.OrderCancelled &&
		(fs == "" || fs == "unfulfilled")

	for i := range o.Fulfillments {
		c, err := o.Fulfillments[i].change(oid, now)
		if err != nil {
			return epilogue.Prefix("fulfillments["+strconv.Itoa(i)+"]", err)
		}
		u.Shipments = append(u.Shipments, c)
	}
	for i := range o.Refunds {
		rf, err := o.Refunds[i].refund(oid, cur, now)
		if err != nil {
			return epilogue.Prefix("refunds["+strconv.Itoa(i)+"]", err)
		}
		u.Refunds = append(u.Refunds, rf)
	}
	return nil
}

// customer is who placed the order: Shopify's customer, or the contact of a guest checkout
// (no id: not stored as a customer, but the order keeps the contact for messages).
func (o *order) customer() *epilogue.Customer {
	c := &epilogue.Customer{Email: payload.Email(o.Email), Phone: payload.Phone(o.Phone, 32), Locale: payload.Clip(o.CustomerLocale, 35)}
	if c.Email == "" {
		c.Email = payload.Email(o.ContactEmail)
	}
	if sc := o.Customer; sc != nil {
		if epilogue.ValidExternalID(string(sc.ID)) {
			c.ID = string(sc.ID)
		}
		if c.Email == "" {
			c.Email = payload.Email(sc.Email)
		}
		c.FirstName, c.LastName = payload.Clip(sc.FirstName, 100), payload.Clip(sc.LastName, 100)
		if c.Phone == "" {
			c.Phone = payload.Phone(sc.Phone, 32)
		}
	}
	if b := o.BillingAddress; b != nil && c.FirstName == "" && c.LastName == "" {
		c.FirstName, c.LastName = payload.Clip(b.FirstName, 100), payload.Clip(b.LastName, 100)
	}
	if c.ID == "" && c.Email == "" {
		return nil
	}
	return c
}
