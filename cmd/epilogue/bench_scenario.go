package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/store"
)

// scenario is the standard decision benchmark: one shop with many offers of mixed targeting,
// many customers with purchase and impression history, and a 3-offer placement.
type scenario struct {
	shop      *epilogue.Shop
	placement *epilogue.Placement
	offers    []*epilogue.Offer
	customers int
	bodies    [][]byte                    // request bodies, as a checkout page would send them
	requests  []*epilogue.DecisionRequest // the same, parsed and normalized
	rng       *rand.Rand
}

var benchCategories = []string{"coffee machines", "grinders", "coffee beans", "tea", "pour-over", "accessories",
	"mugs", "kettles", "filters", "care", "cold brew", "syrups", "milk", "scales", "books", "gifts", "cups",
	"storage", "cleaning", "spare parts"}

var benchCountries = []string{"US", "CA", "GB", "DE", "FR", "NL", "AU", "SE"}

func newScenario(seed uint64, offers, customers, requests int, now time.Time) *scenario {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s := &scenario{rng: rng, customers: customers}
	st := epilogue.DefaultSettings()
	s.shop = &epilogue.Shop{ID: "shop_bench", Name: "Bench Shop", Secret: "bench-secret-" + strconv.FormatUint(seed, 10), Settings: st, CreatedAt: now}
	s.placement = &epilogue.Placement{ID: "confirmation", ShopID: s.shop.ID, Surface: epilogue.SurfaceConfirmation, MaxOffers: 3, Status: epilogue.StatusActive, CreatedAt: now, UpdatedAt: now}
	s.placement.Defaults()
	for i := 0; i < offers; i++ {
		s.offers = append(s.offers, s.offer(i, now))
	}
	for i := 0; i < requests; i++ {
		body := s.request()
		var r epilogue.DecisionRequest
		if err := json.Unmarshal(body, &r); err != nil {
			panic(err)
		}
		if err := r.Normalize(); err != nil {
			panic(err)
		}
		s.bodies, s.requests = append(s.bodies, body), append(s.requests, &r)
	}
	return s
}

func (s *scenario) pick(list []string, n int) []string {
	out := make([]string, 0, n)
	for len(out) < n {
		v := list[s.rng.IntN(len(list))]
		if !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// offer makes one offer with a realistic mix of targeting: most run on the confirmation page,
// half target countries, some need a cart category, a minimum amount or a loyalty tier.
func (s *scenario) offer(i int, now time.Time) *epilogue.Offer {
	r := s.rng
	kind := epilogue.Kinds[r.IntN(len(epilogue.Kinds))]
	o := &epilogue.Offer{
		ID: fmt.Sprintf("off_bench%05d", i), ShopID: s.shop.ID, Kind: kind, Title: fmt.Sprintf("Offer %d", i),
		Body: "A benchmark offer.", Action: epilogue.Action{Type: "link", URL: "https://bench.example/" + strconv.Itoa(i)},
		Payout:         epilogue.Payout{Model: epilogue.PayoutNone, Currency: "USD"},
		Priority:       r.IntN(5),
		ExclusionGroup: "g" + strconv.Itoa(r.IntN(150)),
		Advertiser:     "adv" + strconv.Itoa(r.IntN(60)),
		Category:       benchCategories[r.IntN(len(benchCategories))],
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
		t.Countries = s.pick(benchCountries, 1+r.IntN(3))
	}
	if r.Float64() < 0.3 {
		t.Devices = s.pick(epilogue.Devices, 1+r.IntN(2))
	}
	if r.Float64() < 0.3 {
		t.CartCategoriesAny = s.pick(benchCategories, 1+r.IntN(3))
	}
	if r.Float64() < 0.2 {
		t.MinAmount = epilogue.AmountFromFloat(float64(10 + r.IntN(200)))
	}
	if r.Float64() < 0.1 {
		t.CustomerAttributes = map[string][]string{"loyalty_tier": s.pick([]string{"gold", "silver", "bronze"}, 1+r.IntN(2))}
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

// request makes one decision request body in the structured form.
func (s *scenario) request() []byte {
	r := s.rng
	cart := make([]map[string]any, 1+r.IntN(3))
	total := 0.0
	for i := range cart {
		price := 5 + r.Float64()*300
		total += price
		cart[i] = map[string]any{"sku": "SKU" + strconv.Itoa(r.IntN(2000)), "product_id": "prod" + strconv.Itoa(r.IntN(400)),
			"category": benchCategories[r.IntN(len(benchCategories))], "price": strconv.FormatFloat(price, 'f', 2, 64), "quantity": 1}
	}
	body := map[string]any{
		"placement":   "confirmation",
		"transaction": map[string]any{"confirmationref": "o" + strconv.Itoa(r.IntN(1<<30)), "amount": strconv.FormatFloat(total, 'f', 2, 64), "currency": "USD", "paymenttype": "card"},
		"customer":    map[string]any{"id": "cust" + strconv.Itoa(r.IntN(s.customers)), "attributes": map[string]string{"loyalty_tier": []string{"gold", "silver", "bronze"}[r.IntN(3)]}},
		"cart":        cart,
		"context":     map[string]any{"device": epilogue.Devices[r.IntN(3)], "country": benchCountries[r.IntN(len(benchCountries))], "locale": "en-us"},
	}
	b, _ := json.Marshal(body)
	return b
}

// seedStore writes the shop, placement and offers.
func (s *scenario) seedStore(ctx context.Context, db *store.DB) error {
	if err := db.CreateShop(ctx, s.shop); err != nil {
		return err
	}
	if err := db.CreatePlacement(ctx, s.placement); err != nil {
		return err
	}
	for _, o := range s.offers {
		if err := db.CreateOffer(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// seedHistory gives every customer past orders and offer impressions over the last week, with
// some dismissals and conversions, straight into the engine's per-customer state.
func (s *scenario) seedHistory(e *decide.Engine, now time.Time) {
	p := e.People()
	for c := 0; c < s.customers; c++ {
		key := "id:cust" + strconv.Itoa(c)
		for o := 0; o < 1+s.rng.IntN(3); o++ {
			items := []epilogue.CartItem{{SKU: "SKU" + strconv.Itoa(s.rng.IntN(2000)), ProductID: "prod" + strconv.Itoa(s.rng.IntN(400)),
				Category: benchCategories[s.rng.IntN(len(benchCategories))], Quantity: 1}}
			p.Purchased(s.shop.ID, key, "past"+strconv.Itoa(c)+"-"+strconv.Itoa(o), items)
		}
		for i := 0; i < s.rng.IntN(7); i++ {
			off := s.offers[s.rng.IntN(len(s.offers))].ID
			at := now.Add(-time.Duration(s.rng.IntN(7*24)) * time.Hour)
			typ := epilogue.EventImpression
			switch x := s.rng.Float64(); {
			case x < 0.05:
				typ = epilogue.EventDismissal
			case x < 0.06:
				typ = epilogue.EventConversion
			}
			p.Observe(s.shop.ID, key, off, typ, at, "dec_past")
		}
	}
}
