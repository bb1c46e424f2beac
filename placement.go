package epilogue

import "time"

// Surfaces: the moments after "Buy" that a shop owns.
const (
	SurfaceCart         = "cart"
	SurfacePayment      = "payment"
	SurfaceUpsell       = "upsell"
	SurfaceThankYou     = "thank_you"
	SurfaceConfirmation = "confirmation"
	SurfaceOrderStatus  = "order_status"
	SurfaceTracking     = "tracking"
	SurfaceEmail        = "email"
	SurfaceSMS          = "sms"
)

// Surfaces lists every surface in funnel order.
var Surfaces = []string{SurfaceCart, SurfacePayment, SurfaceUpsell, SurfaceThankYou, SurfaceConfirmation,
	SurfaceOrderStatus, SurfaceTracking, SurfaceEmail, SurfaceSMS}

// SurfaceIndex returns the surface's position in Surfaces, or -1 when it is not one.
func SurfaceIndex(s string) int {
	for i, v := range Surfaces {
		if v == s {
			return i
		}
	}
	return -1
}

// Placement is a shop's configured slot on a surface.
type Placement struct {
	ID        string    `json:"id"`
	ShopID    string    `json:"-"`
	Surface   string    `json:"surface"`
	MaxOffers int       `json:"max_offers"`
	Reserve   Amount    `json:"reserve"` // minimum expected value per offer shown
	Layout    string    `json:"layout"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Layouts a placement may ask the browser SDK for.
var layouts = []string{"list", "carousel", "single", "inline"}

// DefaultMaxOffers is a new placement's max_offers when none is given. It is set before
// decoding, so an explicit 0 is refused rather than silently replaced.
const DefaultMaxOffers = 3

// Defaults fills every unset optional text field.
func (p *Placement) Defaults() {
	if p.Layout == "" {
		p.Layout = "list"
	}
	if p.Status == "" {
		p.Status = StatusActive
	}
}

// Validate checks the placement and names the first field at fault.
func (p *Placement) Validate() error {
	if !ValidExternalID(p.ID) {
		return Invalid("id", "is required: 1 to 128 characters without spaces")
	}
	if SurfaceIndex(p.Surface) < 0 {
		return Invalid("surface", "unknown surface %q; one of %v", p.Surface, Surfaces)
	}
	if p.MaxOffers < 1 || p.MaxOffers > 10 {
		return Invalid("max_offers", "must be between 1 and 10")
	}
	if !oneOf(p.Layout, layouts) {
		return Invalid("layout", "unknown layout %q; one of %v", p.Layout, layouts)
	}
	if p.Status != StatusActive && p.Status != StatusPaused && p.Status != StatusArchived {
		return Invalid("status", "must be active, paused or archived")
	}
	return nil
}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
