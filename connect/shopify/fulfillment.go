package shopify

import (
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/connect/internal/payload"
	"github.com/epiloguehq/epilogue/track"
)

// fulfillment is Shopify's Fulfillment: one parcel of an order, Epilogue's shipment.
type fulfillment struct {
	ID              payload.ID   `json:"id"`
	GID             string       `json:"admin_graphql_api_id"`
	OrderID         payload.ID   `json:"order_id"`
	TrackingCompany string       `json:"tracking_company"`
	TrackingNumber  string       `json:"tracking_number"`
	TrackingNumbers []string     `json:"tracking_numbers"`
	TrackingURL     string       `json:"tracking_url"`
	TrackingURLs    []string     `json:"tracking_urls"`
	ShipmentStatus  string       `json:"shipment_status"`
	CreatedAt       payload.Time `json:"created_at"`
	UpdatedAt       payload.Time `json:"updated_at"`
}

// change turns a fulfillment into a shipment change; orderID fills a missing order_id (a
// fulfillment inside its order). Its shipment_status, when Shopify set one, is a timeline event.
// A fulfillment webhook always names its order: without one, the body is another resource (an
// order sent under a fulfillment topic would become a shipment of no order).
func (f *fulfillment) change(orderID string, now time.Time) (track.ShipmentChange, error) {
	sid, err := id("id", f.ID)
	if err != nil {
		return track.ShipmentChange{}, err
	}
	if f.OrderID != "" || orderID == "" {
		if orderID, err = id("order_id", f.OrderID); err != nil {
			return track.ShipmentChange{}, err
		}
	}
	s := epilogue.Shipment{ID: sid, OrderID: orderID, Carrier: payload.Clip(f.TrackingCompany, 100),
		TrackingNumber: payload.Clip(f.TrackingNumber, 128), TrackingURL: url(f.TrackingURL)}
	if s.TrackingNumber == "" && len(f.TrackingNumbers) > 0 {
		s.TrackingNumber = payload.Clip(f.TrackingNumbers[0], 128)
	}
	if s.TrackingURL == "" && len(f.TrackingURLs) > 0 {
		s.TrackingURL = url(f.TrackingURLs[0])
	}
	if raw := strings.TrimSpace(f.ShipmentStatus); raw != "" {
		st, kept := status(raw)
		s.Events = []epilogue.ShipmentEvent{{Status: st, RawStatus: kept, Source: track.SourceShopify,
			Time: track.ClampTime(payload.First(f.UpdatedAt, f.CreatedAt), now)}}
	}
	// Its time orders versions of the fulfillment: an orders/updated carrying an older copy,
	// arriving late, leaves the newer tracking details alone.
	var version time.Time
	if v := payload.First(f.UpdatedAt, f.CreatedAt); !v.IsZero() {
		version = track.ClampTime(v, now)
	}
	return track.ShipmentChange{Shipment: s, Version: version}, nil
}

// url keeps a tracking URL only when it is a plausible web address: it ends up in messages.
func url(u string) string {
	u = strings.TrimSpace(u)
	if len(u) > 2048 || !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
		return ""
	}
	return u
}

// fulfillmentEvent is Shopify's FulfillmentEvent: one carrier scan of a fulfillment.
type fulfillmentEvent struct {
	ID                    payload.ID   `json:"id"`
	GID                   string       `json:"admin_graphql_api_id"`
	FulfillmentID         payload.ID   `json:"fulfillment_id"`
	OrderID               payload.ID   `json:"order_id"`
	Status                string       `json:"status"`
	Message               string       `json:"message"`
	HappenedAt            payload.Time `json:"happened_at"`
	CreatedAt             payload.Time `json:"created_at"`
	City                  string       `json:"city"`
	Province              string       `json:"province"`
	Country               string       `json:"country"`
	EstimatedDeliveryAt   payload.Time `json:"estimated_delivery_at"`
	EstimatedDeliveryDate payload.Time `json:"estimated_delivery_date"` // older API versions
}

// change turns a scan into a change of its fulfillment's shipment. The fulfillment webhook may
// not have arrived yet, so the change creates the shipment if needed; the fulfillment fills in
// carrier and tracking number when it comes.
func (e *fulfillmentEvent) change(now time.Time) (track.ShipmentChange, error) {
	sid, err := id("fulfillment_id", e.FulfillmentID)
	if err != nil {
		return track.ShipmentChange{}, err
	}
	var orderID string
	if e.OrderID != "" {
		if orderID, err = id("order_id", e.OrderID); err != nil {
			return track.ShipmentChange{}, err
		}
	}
	raw := strings.TrimSpace(e.Status)
	if raw == "" {
		return track.ShipmentChange{}, epilogue.Invalid("status", "is required")
	}
	st, kept := status(raw)
	s := epilogue.Shipment{ID: sid, OrderID: orderID, Events: []epilogue.ShipmentEvent{{Status: st, RawStatus: kept,
		Source: track.SourceShopify, Message: payload.Clip(e.Message, 1000), Location: payload.Clip(payload.Join(e.City, e.Province, e.Country), 200),
		Time: track.ClampTime(payload.First(e.HappenedAt, e.CreatedAt), now)}}}
	if est := payload.First(e.EstimatedDeliveryAt, e.EstimatedDeliveryDate); !est.IsZero() {
		s.EstimatedAt = &est
	}
	return track.ShipmentChange{Shipment: s}, nil
}

// refund is Shopify's Refund; the money is in its refund transactions.
type refund struct {
	ID           payload.ID    `json:"id"`
	GID          string        `json:"admin_graphql_api_id"`
	OrderID      payload.ID    `json:"order_id"`
	CreatedAt    payload.Time  `json:"created_at"`
	ProcessedAt  payload.Time  `json:"processed_at"`
	Transactions []transaction `json:"transactions"`
}

type transaction struct {
	Kind     string          `json:"kind"`
	Status   string          `json:"status"`
	Amount   payload.Decimal `json:"amount"`
	Currency string          `json:"currency"`
}

// refund sums the successful refund transactions; a refund without one (a restock) is zero.
// orderCurrency is the order's currency when the refund comes inside its order ("" otherwise):
// a transaction without a currency is in it. Shopify's refund transactions are in the
// customer's presentment currency, which may not be the order's (the shop's); one refund's
// transactions are all in one, and amounts in two currencies are not added up.
func (r *refund) refund(orderID, orderCurrency string, now time.Time) (track.Refund, error) {
	rid, err := id("id", r.ID)
	if err != nil {
		return track.Refund{}, err
	}
	if r.OrderID != "" || orderID == "" {
		if orderID, err = id("order_id", r.OrderID); err != nil {
			return track.Refund{}, err
		}
	}
	out := track.Refund{ID: rid, OrderID: orderID, Time: track.ClampTime(payload.First(r.ProcessedAt, r.CreatedAt), now)}
	first := -1 // the first counted transaction with a currency
	for i, t := range r.Transactions {
		if t.Kind != "refund" || (t.Status != "success" && t.Status != "") {
			continue
		}
		c := strings.ToUpper(strings.TrimSpace(t.Currency))
		if c == "" {
			c = orderCurrency
		}
		if c != "" {
			field := "transactions[" + strconv.Itoa(i) + "].currency"
			switch {
			case !epilogue.ValidCurrency(c):
				return track.Refund{}, epilogue.Invalid(field, "unknown ISO 4217 currency %q", t.Currency)
			case first >= 0 && c != out.Currency:
				return track.Refund{}, epilogue.Invalid(field, "is %s, but transactions[%d] is in %s: one refund's amounts "+
					"are in one currency and cannot be added up", c, first, out.Currency)
			case first < 0:
				first, out.Currency = i, c
			}
		}
		out.Amount += t.Amount.Amount
	}
	if out.Currency == "" {
		out.Currency = orderCurrency
	}
	return out, nil
}
