package main

import (
	"math"
	"math/rand/v2"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/learn"
)

// warmImpressions is how many simulated impressions the benchmark's model learns from first:
// a few hundred per offer, so its weights and uncertainties look like a live shop's rather
// than a blank prior's (which would make every candidate a close call for the propensities).
const warmImpressions = 300000

// warmModel trains a model on simulated impressions of the scenario's requests and offers
// (engagement and conversion drawn from a hidden per-offer appeal, raised when the offer's
// category is in the cart) through the trainer's update path, and returns a snapshot.
func warmModel(sc *scenario, n int) *learn.Model {
	rng := rand.New(rand.NewPCG(17, 29))
	appeal := make([]float64, len(sc.offers))
	for i := range appeal {
		appeal[i] = -3.5 + 0.8*rng.NormFloat64()
	}
	m := learn.New(learn.Config{})
	empty := &epilogue.History{}
	for i := 0; i < n; i++ {
		req := sc.requests[i%len(sc.requests)]
		mo := &epilogue.Moment{ShopID: sc.shop.ID, Surface: sc.placement.Surface, Placement: sc.placement.ID,
			Request: req, History: empty, Time: epilogue.SystemClock{}.Now()}
		j := rng.IntN(len(sc.offers))
		o := sc.offers[j]
		z := appeal[j]
		for _, it := range req.Cart {
			if it.Category == o.Category {
				z += 0.8
				break
			}
		}
		engaged := rng.Float64() < 1/(1+math.Exp(-z))
		m.Update(mo, o, engaged)
		if engaged {
			m.UpdateConvert(mo, o, rng.IntN(5) == 0)
		}
	}
	return m.Snapshot()
}
