package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/track"
)

// OrderStore is what the order, shipment and webhook endpoints read and write. Ingest commits
// updates durably and reports per update what changed (the server's writer batches concurrent
// calls into one transaction).
type OrderStore interface {
	Ingest(ctx context.Context, us []*track.Update) ([]track.Result, error)
	Order(ctx context.Context, shopID, id string) (*track.Order, error)
	Shipment(ctx context.Context, shopID, id string) (*epilogue.Shipment, error)
	OrderShipments(ctx context.Context, shopID, orderID string) ([]*epilogue.Shipment, error)
}

// needOrders answers 503 when the server runs without the orders store.
func (s *Server) needOrders(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.orders == nil {
			s.fail(w, r, epilogue.Errorf(epilogue.EUnavailable, "orders and shipments are not enabled on this server"))
			return
		}
		h(w, r)
	}
}

// ingest commits one update and returns its result; the update's own failure is the error.
func (s *Server) ingest(ctx context.Context, u *track.Update) (track.Result, error) {
	rs, err := s.orders.Ingest(ctx, []*track.Update{u})
	if err != nil {
		return track.Result{}, err
	}
	return rs[0], rs[0].Err
}

// createdOr answers 201 when something was created, 200 otherwise (a retry, an update).
func createdOr(status string) int {
	if status == track.Created {
		return http.StatusCreated
	}
	return http.StatusOK
}

type customerRef struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Locale    string `json:"locale"`
	Timezone  string `json:"timezone"`
	// Consent and Attributes are the customer's own record's (PUT /v1/customers/{id}), which
	// decisions read at once; an order that carried them would have them dropped unseen.
	Consent    json.RawMessage `json:"consent"`
	Attributes json.RawMessage `json:"attributes"`
}

type lineItemIn struct {
	SKU            string            `json:"sku"`
	ProductID      string            `json:"product_id"`
	Title          string            `json:"title"`
	Category       string            `json:"category"`
	Price          *epilogue.Amount  `json:"price"`
	Quantity       *int              `json:"quantity"`
	ReplenishAfter epilogue.Duration `json:"replenish_after"`
}

type orderIn struct {
	ID         string           `json:"id"`
	CustomerID string           `json:"customer_id"`
	Customer   *customerRef     `json:"customer"`
	Items      []lineItemIn     `json:"items"`
	Total      *epilogue.Amount `json:"total"`
	Currency   string           `json:"currency"`
	Status     string           `json:"status"`
	CreatedAt  string           `json:"created_at"`
	UpdatedAt  string           `json:"updated_at"`
	// Paid and RequiresShipping default to true: an order sent here is assumed paid and physical,
	// so stall detection watches it until a shipment is posted.
	Paid             *bool `json:"paid"`
	RequiresShipping *bool `json:"requires_shipping"`
}

// createOrder creates or updates an order under the shop's own id. The same order again answers
// "unchanged"; changed content answers "updated"; an older updated_at than stored is ignored.
func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	var in orderIn
	if err := decode(w, r, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.clock.Now().UTC()
	o, err := in.order(now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := &track.Update{ShopID: shopID(r), Source: track.SourceAPI, Order: o, ReceivedAt: now,
		AwaitingShipment: (in.Paid == nil || *in.Paid) && (in.RequiresShipping == nil || *in.RequiresShipping) && o.Status != track.OrderCancelled}
	res, err := s.ingest(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, createdOr(res.Order), map[string]string{"id": o.ID, "status": res.Order})
}

func (in *orderIn) order(now time.Time) (*epilogue.Order, error) {
	if in.Total == nil {
		return nil, epilogue.Invalid("total", "is required: a decimal string such as \"499.00\"")
	}
	o := &epilogue.Order{ID: in.ID, CustomerID: in.CustomerID, Total: *in.Total, Currency: strings.ToUpper(in.Currency),
		Status: in.Status, Items: make([]epilogue.LineItem, 0, len(in.Items))}
	if o.Status == "" {
		o.Status = track.OrderOpen
	}
	var err error
	if o.CreatedAt, err = apiTime("created_at", in.CreatedAt, now); err != nil {
		return nil, err
	}
	if o.UpdatedAt, err = apiTime("updated_at", in.UpdatedAt, now); err != nil {
		return nil, err
	}
	if in.UpdatedAt == "" {
		o.UpdatedAt = now // the latest version is the one sent last
	}
	if c := in.Customer; c != nil {
		for _, f := range []struct {
			name string
			v    json.RawMessage
		}{{"consent", c.Consent}, {"attributes", c.Attributes}} {
			if len(f.v) > 0 && string(f.v) != "null" {
				return nil, epilogue.Invalid("customer."+f.name, "is set with PUT /v1/customers/{id}, not with an order")
			}
		}
		if o.CustomerID == "" {
			o.CustomerID = c.ID
		}
		if c.ID != "" && c.ID != o.CustomerID {
			return nil, epilogue.Invalid("customer.id", "differs from customer_id")
		}
		o.Customer = &epilogue.Customer{ID: o.CustomerID, Email: strings.TrimSpace(c.Email), Phone: strings.TrimSpace(c.Phone),
			FirstName: strings.TrimSpace(c.FirstName), LastName: strings.TrimSpace(c.LastName), Locale: c.Locale, Timezone: c.Timezone}
	} else if o.CustomerID != "" {
		o.Customer = &epilogue.Customer{ID: o.CustomerID}
	}
	for i, it := range in.Items {
		field := "items[" + strconv.Itoa(i) + "]"
		if it.Price == nil {
			return nil, epilogue.Invalid(field+".price", "is required")
		}
		q := 1
		if it.Quantity != nil {
			q = *it.Quantity
		}
		if it.SKU == "" && it.ProductID == "" {
			return nil, epilogue.Invalid(field+".sku", "an item needs a sku or a product_id")
		}
		o.Items = append(o.Items, epilogue.LineItem{SKU: it.SKU, ProductID: it.ProductID, Title: it.Title, Category: it.Category,
			Price: *it.Price, Quantity: q, ReplenishAfter: it.ReplenishAfter})
	}
	return o, track.ValidateOrder(o, now)
}

// apiTime parses an optional RFC 3339 time of the request; unset is now.
func apiTime(field, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, epilogue.Invalid(field, "must be an RFC 3339 time such as \"2025-03-14T15:09:26Z\"")
	}
	if t.After(now.Add(track.MaxFuture)) {
		return t, epilogue.Invalid(field, "is more than %v in the future", track.MaxFuture)
	}
	return t.UTC(), nil
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	o, err := s.orders.Order(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

type refundIn struct {
	ID       string           `json:"id"`
	Amount   *epilogue.Amount `json:"amount"`
	Currency string           `json:"currency"`
	Time     string           `json:"time"`
}

// createRefund records a refund of an order once per refund id.
func (s *Server) createRefund(w http.ResponseWriter, r *http.Request) {
	var in refundIn
	if err := decode(w, r, &in, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Amount == nil {
		s.fail(w, r, epilogue.Invalid("amount", "is required: a decimal string such as \"20.00\""))
		return
	}
	now := s.clock.Now().UTC()
	at, err := apiTime("time", in.Time, now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := &track.Update{ShopID: shopID(r), Source: track.SourceAPI, ReceivedAt: now, Refunds: []track.Refund{{ID: in.ID,
		OrderID: r.PathValue("id"), Amount: *in.Amount, Currency: strings.ToUpper(in.Currency), Time: at}}}
	if err := u.Validate(); err != nil {
		s.fail(w, r, stripPrefix(err, "refunds[0]."))
		return
	}
	res, err := s.ingest(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, createdOr(res.Refunds[0]), map[string]string{"id": in.ID, "order_id": r.PathValue("id"), "status": res.Refunds[0]})
}

// stripPrefix names a field as the request does when validation named it within an update.
func stripPrefix(err error, prefix string) error {
	if e, ok := err.(*epilogue.Error); ok && strings.HasPrefix(e.Field, prefix) {
		c := *e
		c.Field = strings.TrimPrefix(c.Field, prefix)
		return &c
	}
	return err
}
