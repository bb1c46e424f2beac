package notify

import (
	"time"

	"github.com/epiloguehq/epilogue"
)

// Data is what a template knows besides the brand. Order, Shipment and Loyalty are nil when
// the message is not about one; templates guard them with {{with}}.
type Data struct {
	Customer Customer  `json:"customer"`
	Order    *Order    `json:"order,omitempty"`
	Shipment *Shipment `json:"shipment,omitempty"`
	Links    Links     `json:"links"`
	Offers   []Offer   `json:"offers,omitempty"`
	Loyalty  *Loyalty  `json:"loyalty,omitempty"`
}

// Customer is the recipient as a template greets them.
type Customer struct {
	FirstName string `json:"first_name"`
}

// Order is the order a message is about.
type Order struct {
	ID       string          `json:"id"`
	Items    []Item          `json:"items"`
	Total    epilogue.Amount `json:"total"`
	Currency string          `json:"currency"`
	PlacedAt time.Time       `json:"placed_at"`
}

// Item is one line of an order.
type Item struct {
	Title    string          `json:"title"`
	Quantity int             `json:"quantity"`
	Price    epilogue.Amount `json:"price"`
	ImageURL string          `json:"image_url,omitempty"`
	URL      string          `json:"url,omitempty"` // the product page, for a reorder
}

// Shipment is the parcel a message is about.
type Shipment struct {
	Carrier           string     `json:"carrier"`
	TrackingNumber    string     `json:"tracking_number"`
	TrackingURL       string     `json:"tracking_url,omitempty"` // the carrier's page
	Status            string     `json:"status"`                 // canonical shipment status
	EstimatedDelivery *time.Time `json:"estimated_delivery,omitempty"`
}

// Links are the personal links a message may carry; each is already signed for its recipient.
type Links struct {
	Shop        string `json:"shop,omitempty"`
	Tracking    string `json:"tracking,omitempty"` // the shop's branded tracking page
	Review      string `json:"review,omitempty"`
	Survey      string `json:"survey,omitempty"` // the NPS page; templates add ?score=N
	Reorder     string `json:"reorder,omitempty"`
	Loyalty     string `json:"loyalty,omitempty"`
	Unsubscribe string `json:"unsubscribe"`
}

// Offer is one offer shown in a message's offers block.
type Offer struct {
	Title    string `json:"title"`
	Body     string `json:"body,omitempty"`
	ImageURL string `json:"image_url,omitempty"`
	CTA      string `json:"cta"`
	URL      string `json:"url"` // the tracked click link
}

// Loyalty is the points news of a loyalty message.
type Loyalty struct {
	Points  int `json:"points"`  // earned by this order
	Balance int `json:"balance"` // after it
}

// NewOrder returns an order's template view.
func NewOrder(o *epilogue.Order) *Order {
	out := &Order{ID: o.ID, Total: o.Total, Currency: o.Currency, PlacedAt: o.CreatedAt, Items: make([]Item, 0, len(o.Items))}
	for _, it := range o.Items {
		out.Items = append(out.Items, Item{Title: it.Title, Quantity: it.Quantity, Price: it.Price})
	}
	return out
}

// NewShipment returns a shipment's template view.
func NewShipment(s *epilogue.Shipment) *Shipment {
	return &Shipment{Carrier: s.Carrier, TrackingNumber: s.TrackingNumber, TrackingURL: s.TrackingURL,
		Status: s.Status, EstimatedDelivery: s.EstimatedAt}
}

// NewOffer returns an offer's view in a message; url is its tracked click link.
func NewOffer(o *epilogue.Offer, url string) Offer {
	return Offer{Title: o.Title, Body: o.Body, ImageURL: o.ImageURL, CTA: o.CTA, URL: url}
}

// sampleTime is the fixed "now" of sample data, so previews do not change from day to day.
var sampleTime = time.Date(2026, time.March, 16, 10, 0, 0, 0, time.UTC)

// SampleData returns data for previews and for Validate, with every field set.
func SampleData() Data {
	eta := sampleTime.Add(72 * time.Hour)
	return Data{
		Customer: Customer{FirstName: "Ada"},
		Order: &Order{
			ID: "1001", Currency: "USD", Total: 58_500_000, PlacedAt: sampleTime,
			Items: []Item{
				{Title: "Single-origin espresso beans, 1 kg", Quantity: 1, Price: 34_000_000,
					ImageURL: "https://cdn.shop.example/img/beans.jpg", URL: "https://shop.example/products/beans"},
				{Title: "Paper filters (100)", Quantity: 2, Price: 12_250_000, URL: "https://shop.example/products/filters"},
			},
		},
		Shipment: &Shipment{Carrier: "UPS", TrackingNumber: "1Z999AA10123456784",
			TrackingURL: "https://www.ups.com/track?tracknum=1Z999AA10123456784", Status: epilogue.ShipInTransit, EstimatedDelivery: &eta},
		Links: Links{
			Shop:        "https://shop.example/",
			Tracking:    "https://track.shop.example/t/1001?sig=abc",
			Review:      "https://shop.example/review/1001?sig=abc",
			Survey:      "https://shop.example/nps/1001?sig=abc",
			Reorder:     "https://shop.example/reorder/1001?sig=abc",
			Loyalty:     "https://shop.example/rewards",
			Unsubscribe: "https://epilogue.example/u/tok_sample",
		},
		Offers: []Offer{
			{Title: "Ceramic pour-over dripper", Body: "Brew a cleaner cup: 15% off for the next 48 hours.",
				ImageURL: "https://cdn.shop.example/img/dripper.jpg", CTA: "Shop now", URL: "https://epilogue.example/c/off_1"},
			{Title: "Coffee subscription", Body: "Fresh beans every month, pause any time.", CTA: "Learn more",
				URL: "https://epilogue.example/c/off_2"},
		},
		Loyalty: &Loyalty{Points: 58, Balance: 420},
	}
}

// SampleBrand returns a brand for previews.
func SampleBrand() Brand {
	return Brand{
		Name: "Brew & Co", LogoURL: "https://cdn.shop.example/logo.png", PrimaryColor: "#6b3e26", AccentColor: "#c0763a",
		SenderAddress: "orders@shop.example", SenderName: "Brew & Co", ReplyTo: "help@shop.example",
		PostalAddress: "12 Roastery Lane, Portland, OR 97201, USA", WebsiteURL: "https://shop.example/",
	}
}
