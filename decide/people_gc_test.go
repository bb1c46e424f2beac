package decide

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
)

// The standard decision benchmark's shop (cmd/epilogue/bench_scenario.go), reduced to what
// customer state and decisions need: its categories, offers of mixed targeting and customers with
// past orders and a week of offer events in the same proportions as its seedHistory.

var gcBenchCategories = []string{"coffee machines", "grinders", "coffee beans", "tea", "pour-over", "accessories",
	"mugs", "kettles", "filters", "care", "cold brew", "syrups", "milk", "scales", "books", "gifts", "cups",
	"storage", "cleaning", "spare parts"}

var gcBenchCountries = []string{"US", "CA", "GB", "DE", "FR", "NL", "AU", "SE"}

func gcBenchPick(r *rand.Rand, list []string, n int) []string {
	out := make([]string, 0, n)
	for len(out) < n {
		if v := list[r.IntN(len(list))]; !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// gcBenchOffers makes n offers like the benchmark scenario's.
func gcBenchOffers(tb testing.TB, r *rand.Rand, n int, now time.Time) []*epilogue.Offer {
	offers := make([]*epilogue.Offer, n)
	for i := range offers {
		o := &epilogue.Offer{
			ID: fmt.Sprintf("off_bench%05d", i), ShopID: "shop_bench", Kind: epilogue.Kinds[r.IntN(len(epilogue.Kinds))],
			Title: fmt.Sprintf("Offer %d", i), Body: "A benchmark offer.",
			Action:         epilogue.Action{Type: "link", URL: "https://bench.example/" + strconv.Itoa(i)},
			Payout:         epilogue.Payout{Model: epilogue.PayoutNone, Currency: "USD"},
			Priority:       r.IntN(5),
			ExclusionGroup: "g" + strconv.Itoa(r.IntN(150)),
			Advertiser:     "adv" + strconv.Itoa(r.IntN(60)),
			Category:       gcBenchCategories[r.IntN(len(gcBenchCategories))],
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
			t.Countries = gcBenchPick(r, gcBenchCountries, 1+r.IntN(3))
		}
		if r.Float64() < 0.3 {
			t.Devices = gcBenchPick(r, epilogue.Devices, 1+r.IntN(2))
		}
		if r.Float64() < 0.3 {
			t.CartCategoriesAny = gcBenchPick(r, gcBenchCategories, 1+r.IntN(3))
		}
		if r.Float64() < 0.6 {
			o.FrequencyCap = epilogue.FrequencyCap{Count: 1 + r.IntN(5), Period: epilogue.Duration(7 * 24 * time.Hour)}
		}
		o.Defaults("USD")
		if err := o.Validate(); err != nil {
			tb.Fatalf("offer %d: %v", i, err)
		}
		offers[i] = o
	}
	return offers
}

// gcBenchHistory gives customers 0..n-1 of the shop what the scenario's seedHistory gives them:
// 1-3 past orders of one item (a product id and a sku) and up to 6 offer events over the last
// week, mostly impressions, some dismissals and conversions.
func gcBenchHistory(p *People, r *rand.Rand, offers []*epilogue.Offer, n int, now time.Time) {
	for c := 0; c < n; c++ {
		key := "id:cust" + strconv.Itoa(c)
		for o := 0; o < 1+r.IntN(3); o++ {
			items := []epilogue.CartItem{{SKU: "SKU" + strconv.Itoa(r.IntN(2000)), ProductID: "prod" + strconv.Itoa(r.IntN(400)),
				Category: gcBenchCategories[r.IntN(len(gcBenchCategories))], Quantity: 1}}
			p.Purchased("shop_bench", key, "past"+strconv.Itoa(c)+"-"+strconv.Itoa(o), items)
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
			p.Observe("shop_bench", key, off, typ, at, "dec_past")
		}
	}
}

// BenchmarkPeopleGC measures what 100,000 customers' state costs the garbage collector: the
// time of one forced collection with them live (on one P, so machines and runs compare) and the
// live heap after it. The customers have the benchmark scenario's history.
func BenchmarkPeopleGC(b *testing.B) {
	benchPeopleGC(b, 0)
}

// BenchmarkPeopleGCAfterOrders is BenchmarkPeopleGC once every customer has also placed four
// orders of 1-3 items, as a decision benchmark run does to them: longer collections.
func BenchmarkPeopleGCAfterOrders(b *testing.B) {
	benchPeopleGC(b, 4)
}

func benchPeopleGC(b *testing.B, orders int) {
	const customers = 100_000
	now := time.Now()
	r := rand.New(rand.NewPCG(1, 2))
	offers := gcBenchOffers(b, r, 1000, now)
	p := NewPeople(2_000_000)
	gcBenchHistory(p, r, offers, customers, now)
	for c := range customers {
		for range orders {
			items := make([]epilogue.CartItem, 1+r.IntN(3))
			for i := range items {
				items[i] = epilogue.CartItem{SKU: "SKU" + strconv.Itoa(r.IntN(2000)), ProductID: "prod" + strconv.Itoa(r.IntN(400)),
					Category: gcBenchCategories[r.IntN(len(gcBenchCategories))], Quantity: 1}
			}
			p.Purchased("shop_bench", "id:cust"+strconv.Itoa(c), "o"+strconv.Itoa(r.IntN(1<<30)), items)
		}
	}
	offers = nil

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runtime.GC()
	var n int
	start := time.Now()
	for b.Loop() {
		runtime.GC()
		n++
	}
	elapsed := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(p)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/GC")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
	b.ReportMetric(float64(ms.HeapObjects), "heap-objects")
}

// BenchmarkDecide is decisions on a small shop (100 offers) for 10,000 customers with the
// benchmark scenario's history, requests like the scenario's.
func BenchmarkDecide(b *testing.B) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(3, 4))
	offers := gcBenchOffers(b, r, 100, now)
	shop := &epilogue.Shop{ID: "shop_bench", Name: "Bench Shop", Secret: "bench-secret", Settings: epilogue.DefaultSettings(), CreatedAt: now}
	pl := &epilogue.Placement{ID: "confirmation", ShopID: shop.ID, Surface: epilogue.SurfaceConfirmation, MaxOffers: 3, Status: epilogue.StatusActive}
	pl.Defaults()
	e := New(Config{Clock: epilogue.NewManualClock(now)})
	e.SetSnapshot(NewSnapshot(shop, 1, offers, []*epilogue.Placement{pl}, e.Budgets()))
	const customers = 10_000
	gcBenchHistory(e.People(), r, offers, customers, now)

	reqs := make([]*epilogue.DecisionRequest, 4096)
	for i := range reqs {
		cart := make([]map[string]any, 1+r.IntN(3))
		total := 0.0
		for j := range cart {
			price := 5 + r.Float64()*300
			total += price
			cart[j] = map[string]any{"sku": "SKU" + strconv.Itoa(r.IntN(2000)), "product_id": "prod" + strconv.Itoa(r.IntN(400)),
				"category": gcBenchCategories[r.IntN(len(gcBenchCategories))], "price": strconv.FormatFloat(price, 'f', 2, 64), "quantity": 1}
		}
		body, _ := json.Marshal(map[string]any{
			"placement":   "confirmation",
			"transaction": map[string]any{"confirmationref": "o" + strconv.Itoa(r.IntN(1<<30)), "amount": strconv.FormatFloat(total, 'f', 2, 64), "currency": "USD", "paymenttype": "card"},
			"customer":    map[string]any{"id": "cust" + strconv.Itoa(r.IntN(customers)), "attributes": map[string]string{"loyalty_tier": []string{"gold", "silver", "bronze"}[r.IntN(3)]}},
			"cart":        cart,
			"context":     map[string]any{"device": epilogue.Devices[r.IntN(3)], "country": gcBenchCountries[r.IntN(len(gcBenchCountries))], "locale": "en-us"},
		})
		var req epilogue.DecisionRequest
		if err := json.Unmarshal(body, &req); err != nil {
			b.Fatal(err)
		}
		if err := req.Normalize(); err != nil {
			b.Fatal(err)
		}
		reqs[i] = &req
	}
	i := 0
	for b.Loop() {
		if _, err := e.Decide(shop.ID, reqs[i%len(reqs)], false); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
