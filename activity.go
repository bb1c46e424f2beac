package epilogue

import "time"

// Activity kinds: what happened to an order, shipment or customer after the purchase. They are
// written in the same transaction as the change they describe and consumed in order by the
// journey scheduler, so no trigger is ever lost or seen twice.
const (
	ActivityOrderPlaced     = "order_placed"
	ActivityOrderUpdated    = "order_updated"
	ActivityOrderCancelled  = "order_cancelled"
	ActivityOrderRefunded   = "order_refunded"
	ActivityShipmentCreated = "shipment_created"
	// ActivityShipmentStatus: a shipment reached Status for the first time (a repeated scan is
	// not news). Stall detection writes it too, with stalled_fulfillment or stalled_transit.
	ActivityShipmentStatus  = "shipment_status"
	ActivityReviewSubmitted = "review_submitted"
	ActivitySurveyAnswered  = "survey_answered"
	// ActivityCustomerChanged: a customer's record was put or erased. Every replica reloads the
	// customer's profile (consent, attributes), which decisions read from memory.
	ActivityCustomerChanged = "customer_changed"
)

// Activity is one thing that happened, in the shop's durable activity log.
type Activity struct {
	Seq        int64             `json:"seq"`
	ShopID     string            `json:"-"`
	Kind       string            `json:"kind"`
	OrderID    string            `json:"order_id,omitempty"`
	ShipmentID string            `json:"shipment_id,omitempty"`
	CustomerID string            `json:"customer_id,omitempty"`
	Status     string            `json:"status,omitempty"`
	Time       time.Time         `json:"time"`
	Data       map[string]string `json:"data,omitempty"`
}
