package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/internal/benchshop"
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

func newScenario(seed uint64, offers, customers, requests int, now time.Time) *scenario {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s := &scenario{rng: rng, customers: customers}
	st := epilogue.DefaultSettings()
	s.shop = &epilogue.Shop{ID: "shop_bench", Name: "Bench Shop", Secret: "bench-secret-" + strconv.FormatUint(seed, 10), Settings: st, CreatedAt: now}
	s.placement = &epilogue.Placement{ID: "confirmation", ShopID: s.shop.ID, Surface: epilogue.SurfaceConfirmation, MaxOffers: 3, Status: epilogue.StatusActive, CreatedAt: now, UpdatedAt: now}
	s.placement.Defaults()
	for i := 0; i < offers; i++ {
		s.offers = append(s.offers, benchshop.Offer(s.rng, s.shop.ID, i, now))
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

// request makes one decision request body in the structured form.
func (s *scenario) request() []byte { return benchshop.Request(s.rng, s.customers) }

// seedStore writes the shop, placement and offers.
func (s *scenario) seedStore(ctx context.Context, db *store.DB) error {
	// A database given with --db may hold the scenario already: bench decide's server process
	// opens the one its parent seeded, and a rerun opens the last run's. The same seed makes the
	// same scenario, so what is there is what would be written.
	if _, err := db.Shop(ctx, s.shop.ID); err == nil {
		return nil
	}
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
	benchshop.History(e.People(), s.rng, s.shop.ID, s.offers, s.customers, now)
}
