// Package benchshop generates the standard decision benchmark's shop: a coffee-equipment store's
// offers of mixed targeting and its customers' history. `epilogue bench decide` builds its
// scenario from it, and the decide package's benchmarks use the same shapes, so a figure of one
// speaks for the other.
package benchshop

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Categories are the shop's product categories.
var Categories = []string{"coffee machines", "grinders", "coffee beans", "tea", "pour-over", "accessories",
	"mugs", "kettles", "filters", "care", "cold brew", "syrups", "milk", "scales", "books", "gifts", "cups",
	"storage", "cleaning", "spare parts"}

// Countries are where its customers are.
var Countries = []string{"US", "CA", "GB", "DE", "FR", "NL", "AU", "SE"}

// Pick returns n different values of list, drawn with r.
func Pick(r *rand.Rand, list []string, n int) []string {
	out := make([]string, 0, n)
	for len(out) < n {
		v := list[r.IntN(len(list))]
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Offer makes offer i of the shop with a realistic mix of targeting: most run on the
// confirmation page, half target countries, some need a cart category, a minimum amount or a
// loyalty tier; most are frequency-capped, some have budgets.
func Offer(r *rand.Rand, shopID string, i int, now time.Time) *epilogue.Offer {
	kind := epilogue.Kinds[r.IntN(len(epilogue.Kinds))]
	o := &epilogue.Offer{
		ID: fmt.Sprintf("off_bench%05d", i), ShopID: shopID, Kind: kind, Title: fmt.Sprintf("Offer %d", i),
		Body: "A benchmark offer.", Action: epilogue.Action{Type: "link", URL: "https://bench.example/" + strconv.Itoa(i)},
		Payout:         epilogue.Payout{Model: epilogue.PayoutNone, Currency: "USD"},
		Priority:       r.IntN(5),
		ExclusionGroup: "g" + strconv.Itoa(r.IntN(150)),
		Advertiser:     "adv" + strconv.Itoa(r.IntN(60)),
		Category:       Categories[r.IntN(len(Categories))],
		ProductID:      "prod" + strconv.Itoa(r.IntN(400)),
		CreatedAt:      now, UpdatedAt: now,
	}
	switch r.IntN(3) {
	case 0:
		o.Payout = epilogue.Payout{Model: epilogue.PayoutCPA, Amount: epilogue.AmountFromFloat(1 + r.Float64()*9), Currency: "USD"}
	case 1:
		o.Payout = epilogue.Payout{Model: epilogue.PayoutCPC, Amount: epilogue.AmountFromFloat(0.1 + r.Float64()), Currency: "USD"}
	default:
		o.Margin = epilogue.AmountFromFloat(r.Float64() * 20)
	}
	t := &o.Targeting
	if r.Float64() < 0.7 {
		t.Surfaces = []string{epilogue.SurfaceConfirmation, epilogue.SurfaceThankYou}
	} else {
		t.Surfaces = []string{epilogue.SurfaceCart, epilogue.SurfaceEmail}
	}
	if r.Float64() < 0.5 {
		t.Countries = Pick(r, Countries, 1+r.IntN(3))
	}
	if r.Float64() < 0.3 {
		t.Devices = Pick(r, epilogue.Devices, 1+r.IntN(2))
	}
	if r.Float64() < 0.3 {
		t.CartCategoriesAny = Pick(r, Categories, 1+r.IntN(3))
	}
	if r.Float64() < 0.2 {
		t.MinAmount = epilogue.AmountFromFloat(float64(10 + r.IntN(200)))
	}
	if r.Float64() < 0.1 {
		t.CustomerAttributes = map[string][]string{"loyalty_tier": Pick(r, []string{"gold", "silver", "bronze"}, 1+r.IntN(2))}
	}
	if r.Float64() < 0.6 {
		o.FrequencyCap = epilogue.FrequencyCap{Count: 1 + r.IntN(5), Period: epilogue.Duration(7 * 24 * time.Hour)}
	}
	if r.Float64() < 0.3 && o.Payout.Model != epilogue.PayoutNone {
		o.Budget = epilogue.Budget{Total: 1_000_000 * epilogue.Micro, Daily: 50_000 * epilogue.Micro}
	}
	o.Defaults("USD")
	if err := o.Validate(); err != nil {
		panic(fmt.Sprintf("bench offer %d: %v", i, err))
	}
	return o
}

// People is where History puts what customers did: decide.People.
type People interface {
	Purchased(shopID, customerKey, ref string, items []epilogue.CartItem)
	Observe(shopID, customerKey, offerID, typ string, t time.Time, decisionID string)
}

// History gives customers 0..n-1 ("id:cust<i>") 1–3 past orders of one item and up to 6 offer
// events over the week before now: mostly impressions, some dismissals and conversions.
func History(p People, r *rand.Rand, shopID string, offers []*epilogue.Offer, n int, now time.Time) {
	for c := 0; c < n; c++ {
		key := "id:cust" + strconv.Itoa(c)
		for o := 0; o < 1+r.IntN(3); o++ {
			items := []epilogue.CartItem{{SKU: "SKU" + strconv.Itoa(r.IntN(2000)), ProductID: "prod" + strconv.Itoa(r.IntN(400)),
				Category: Categories[r.IntN(len(Categories))], Quantity: 1}}
			p.Purchased(shopID, key, "past"+strconv.Itoa(c)+"-"+strconv.Itoa(o), items)
		}
		for i := 0; i < r.IntN(7); i++ {
			off := offers[r.IntN(len(offers))].ID
			at := now.Add(-time.Duration(r.IntN(7*24)) * time.Hour)
			typ := epilogue.EventImpression
			switch x := r.Float64(); {
			case x < 0.05:
				typ = epilogue.EventDismissal
			case x < 0.06:
				typ = epilogue.EventConversion
			}
			p.Observe(shopID, key, off, typ, at, "dec_past"+strconv.Itoa(i)) // a showing each
		}
	}
}

// Request makes a decision request body in the structured form, as a confirmation page sends
// it: 1–3 cart items, one of customers 0..customers-1, a random device and country.
func Request(r *rand.Rand, customers int) []byte {
	cart := make([]map[string]any, 1+r.IntN(3))
	total := 0.0
	for i := range cart {
		price := 5 + r.Float64()*300
		total += price
		cart[i] = map[string]any{"sku": "SKU" + strconv.Itoa(r.IntN(2000)), "product_id": "prod" + strconv.Itoa(r.IntN(400)),
			"category": Categories[r.IntN(len(Categories))], "price": strconv.FormatFloat(price, 'f', 2, 64), "quantity": 1}
	}
	body := map[string]any{
		"placement":   "confirmation",
		"transaction": map[string]any{"confirmationref": "o" + strconv.Itoa(r.IntN(1<<30)), "amount": strconv.FormatFloat(total, 'f', 2, 64), "currency": "USD", "paymenttype": "card"},
		"customer":    map[string]any{"id": "cust" + strconv.Itoa(r.IntN(customers)), "attributes": map[string]string{"loyalty_tier": []string{"gold", "silver", "bronze"}[r.IntN(3)]}},
		"cart":        cart,
		"context":     map[string]any{"device": epilogue.Devices[r.IntN(3)], "country": Countries[r.IntN(len(Countries))], "locale": "en-us"},
	}
	b, _ := json.Marshal(body)
	return b
}
