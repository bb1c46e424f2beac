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
func (f *fulfillment) change(orderID string, now time.Time) (track.ShipmentChange, error) {
	sid, err := id("id", f.ID)
	if err != nil {
		return track.ShipmentChange{}, err
	}
	if f.OrderID != "" {
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
	return track.ShipmentChange{Shipment: s}, nil
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
func (r *refund) refund(orderID string, now time.Time) (track.Refund, error) {
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
	for i, t := range r.Transactions {
		if t.Kind != "refund" || (t.Status != "success" && t.Status != "") {
			continue
		}
		out.Amount += t.Amount.Amount
		if c := strings.ToUpper(strings.TrimSpace(t.Currency)); c != "" {
			if !epilogue.ValidCurrency(c) {
				return track.Refund{}, epilogue.Invalid("transactions["+strconv.Itoa(i)+"].currency", "unknown ISO 4217 currency %q", t.Currency)
			}
			out.Currency = c
		}
	}
	return out, nil
}
