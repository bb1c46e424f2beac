package sim

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
)

// visit is one decision a transaction asks for: a placement at a time.
type visit struct {
	at        time.Time
	tx        int // transaction number
	placement int
	req       *epilogue.DecisionRequest
	c         *customer
	returning int // 1 when the customer had ordered before this transaction
}

// traffic draws transactions from its own stream, so every policy sees the same customers,
// carts and visits whatever it shows them.
type traffic struct {
	w   *World
	r   *rand.Rand
	now time.Time
	n   int
}

func newTraffic(w *World, seed uint64, start time.Time) *traffic {
	return &traffic{w: w, r: rand.New(rand.NewPCG(seed, streamTraffic)), now: start}
}

// meanGap is the mean time between transactions.
const meanGap = 35 * time.Second

// next draws the next transaction and returns its visits: the thank-you page at once, and
// with some probability the confirmation page, the order-status page (within two days), the
// follow-up email (within a day) and the one-click upsell.
func (t *traffic) next() []visit {
	r := t.r
	t.now = t.now.Add(time.Duration(r.ExpFloat64() * float64(meanGap)))
	c := t.w.customers[r.IntN(len(t.w.customers))]
	returning := 0
	if c.orders > 0 {
		returning = 1
	}
	c.orders++
	tx := t.n
	t.n++
	items := 1 + r.IntN(3)
	cart := make([]epilogue.CartItem, items)
	total := 0.0
	for i := range cart {
		k := pick(r, c.cartPref)
		price := math.Round((8+r.ExpFloat64()*40)*100) / 100
		total += price
		cart[i] = epilogue.CartItem{SKU: categories[k] + "-" + strconv.Itoa(r.IntN(20)), Category: categories[k],
			Price: epilogue.AmountFromFloat(price), Quantity: 1}
	}
	device := devices[pick(r, c.device)]
	payment := []string{"card", "card", "paypal", "apple_pay"}[r.IntN(4)]
	var vs []visit
	for p, pl := range placements {
		if r.Float64() >= pl.share {
			continue
		}
		at := t.now
		switch pl.surface {
		case epilogue.SurfaceConfirmation:
			at = at.Add(20 * time.Second)
		case epilogue.SurfaceUpsell:
			at = at.Add(5 * time.Second)
		case epilogue.SurfaceEmail:
			at = at.Add(time.Duration((1 + 23*r.Float64()) * float64(time.Hour)))
		case epilogue.SurfaceOrderStatus:
			at = at.Add(time.Duration((2 + 46*r.Float64()) * float64(time.Hour)))
		}
		attrs := map[string]string{"tier": tiers[c.tier]}
		if c.known {
			attrs["segment"] = segments[c.segment]
		}
		req := &epilogue.DecisionRequest{
			Placement:   pl.id,
			Transaction: epilogue.Transaction{ConfirmationRef: "t" + strconv.Itoa(tx), Amount: epilogue.AmountFromFloat(total), Currency: "USD", PaymentType: payment},
			Customer:    epilogue.CustomerRef{ID: c.id, Attributes: attrs},
			Cart:        cart,
			Context:     epilogue.RequestContext{Device: device, Country: countries[c.country]},
		}
		if err := req.Normalize(); err != nil {
			panic("sim: request: " + err.Error())
		}
		vs = append(vs, visit{at: at, tx: tx, placement: p, req: req, c: c, returning: returning})
	}
	return vs
}
