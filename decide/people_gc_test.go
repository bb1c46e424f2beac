package decide

import (
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/benchshop"
)

// The customers and offers are the standard decision benchmark's (internal/benchshop), so these
// figures speak for `epilogue bench decide` too.

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
	offers := benchOffers(r, 1000, now)
	p := NewPeople(2_000_000)
	benchshop.History(p, r, "shop_bench", offers, customers, now)
	for c := range customers {
		for range orders {
			items := make([]epilogue.CartItem, 1+r.IntN(3))
			for i := range items {
				items[i] = epilogue.CartItem{SKU: "SKU" + strconv.Itoa(r.IntN(2000)), ProductID: "prod" + strconv.Itoa(r.IntN(400)),
					Category: benchshop.Categories[r.IntN(len(benchshop.Categories))], Quantity: 1}
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
	offers := benchOffers(r, 100, now)
	shop := &epilogue.Shop{ID: "shop_bench", Name: "Bench Shop", Secret: "bench-secret", Settings: epilogue.DefaultSettings(), CreatedAt: now}
	pl := &epilogue.Placement{ID: "confirmation", ShopID: shop.ID, Surface: epilogue.SurfaceConfirmation, MaxOffers: 3, Status: epilogue.StatusActive}
	pl.Defaults()
	e := New(Config{Clock: epilogue.NewManualClock(now)})
	e.SetSnapshot(NewSnapshot(shop, 1, offers, []*epilogue.Placement{pl}, e.Budgets()))
	const customers = 10_000
	benchshop.History(e.People(), r, shop.ID, offers, customers, now)

	reqs := make([]*epilogue.DecisionRequest, 4096)
	for i := range reqs {
		body := benchshop.Request(r, customers)
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

func benchOffers(r *rand.Rand, n int, now time.Time) []*epilogue.Offer {
	offers := make([]*epilogue.Offer, n)
	for i := range offers {
		offers[i] = benchshop.Offer(r, "shop_bench", i, now)
	}
	return offers
}
