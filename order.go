package epilogue

import "time"

// Order is one purchase, keyed by the shop's own order id.
type Order struct {
	ID         string     `json:"id"`
	ShopID     string     `json:"-"`
	CustomerID string     `json:"customer_id,omitempty"`
	Customer   *Customer  `json:"customer,omitempty"`
	Items      []LineItem `json:"items"`
	Total      Amount     `json:"total"`
	Currency   string     `json:"currency"`
	Status     string     `json:"status"` // open, cancelled, refunded, partially_refunded
	Source     string     `json:"source"` // api, shopify: where Epilogue first heard of it; later updates keep it
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// LineItem is one line of an order.
type LineItem struct {
	SKU       string `json:"sku"`
	ProductID string `json:"product_id,omitempty"`
	Title     string `json:"title"`
	Category  string `json:"category,omitempty"`
	Price     Amount `json:"price"`
	Quantity  int    `json:"quantity"`
	// ReplenishAfter, when set, is when the customer will likely need the product again.
	ReplenishAfter Duration `json:"replenish_after,omitempty"`
}

// Shipment is one parcel of an order, with its timeline of canonical statuses.
type Shipment struct {
	ID             string          `json:"id"`
	ShopID         string          `json:"-"`
	OrderID        string          `json:"order_id"`
	Carrier        string          `json:"carrier"`
	TrackingNumber string          `json:"tracking_number"`
	TrackingURL    string          `json:"tracking_url,omitempty"`
	Status         string          `json:"status"`
	EstimatedAt    *time.Time      `json:"estimated_delivery,omitempty"`
	Events         []ShipmentEvent `json:"events"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// ShipmentEvent is one carrier scan, mapped to a canonical status with the raw one kept.
type ShipmentEvent struct {
	Status    string    `json:"status"`
	RawStatus string    `json:"raw_status,omitempty"`
	Source    string    `json:"source,omitempty"` // api, shopify, easypost, aftership
	Message   string    `json:"message,omitempty"`
	Location  string    `json:"location,omitempty"`
	Time      time.Time `json:"time"`
}

// WebURL reports whether s is an absolute http or https URL with a host, at most 2048 bytes: the
// only kind Epilogue puts in a link that a customer may follow (javascript: and data: URLs run
// or carry content in the customer's browser). Offers follow the same rule.
func WebURL(s string) bool { return webURL(s) }
