package decide

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/epiloguehq/epilogue"
)

// fixed scores every offer with a given estimate, by offer id.
type fixed map[string]epilogue.Estimate

func (f fixed) Score(_ *epilogue.Moment, offers []*epilogue.Offer, out []epilogue.Estimate) {
	for i, o := range offers {
		out[i] = f[o.ID]
	}
}
func (fixed) Version() string { return "fixed" }

// The recorded propensity of an offer is the probability that the policy shows it: over many
// decisions at one moment, the share of decisions that showed an offer matches the propensity
// recorded when it was shown, with exclusion groups, a reserve, overlapping and hopeless
// candidates, and one certain offer.
func TestPropensitiesMatchShowRates(t *testing.T) {
	cases := []struct {
		name      string
		placement string
		est       []epilogue.Estimate
		groups    []string
	}{
		{"three slots, overlapping", "confirmation",
			[]epilogue.Estimate{{Value: 1, Std: 0.5}, {Value: 0.9, Std: 0.3}, {Value: 0.8, Std: 0.6}, {Value: 0.7, Std: 0.2},
				{Value: 0.3, Std: 0.05}, {Value: 0.1, Std: 0.01}},
			[]string{"", "", "", "", "", ""}},
		{"groups and a reserve", "rich",
			[]epilogue.Estimate{{Value: 1.5, Std: 0.5}, {Value: 1.4, Std: 0.5}, {Value: 1.2, Std: 0.8}, {Value: 0.9, Std: 0.4},
				{Value: 3, Std: 0}, {Value: 0.2, Std: 0.1}},
			[]string{"a", "a", "b", "", "", ""}},
		{"one slot", "cart",
			[]epilogue.Estimate{{Value: 1, Std: 0.3}, {Value: 1.1, Std: 0.1}, {Value: 0.5, Std: 0.4}, {Value: 0.2, Std: 0.2}},
			[]string{"", "", "", ""}},
		{"clear winners only", "confirmation",
			[]epilogue.Estimate{{Value: 10, Std: 0.1}, {Value: 9, Std: 0.1}, {Value: 8, Std: 0.2}, {Value: 1, Std: 0.1}},
			[]string{"", "", "", ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var offers []*epilogue.Offer
			sc := fixed{}
			for i, e := range c.est {
				o := offer(t, issueOffer, func(o *epilogue.Offer) {
					o.ID = fmt.Sprintf("off_%02d", i)
					o.ExclusionGroup, o.FrequencyCap.Count = c.groups[i], 0
					o.Targeting.Surfaces = nil
				})
				offers = append(offers, o)
				sc[o.ID] = e
			}
			f := newFixture(t, offers)
			f.e.SetScorer(sc)
			req := request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Placement = c.placement })
			const n = 3000
			shown := map[string]int{}
			recorded := map[string]float64{}
			for range n {
				res, err := f.e.Decide(f.shop.ID, req, false)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range res.Decision.Offers {
					shown[s.OfferID]++
					recorded[s.OfferID] += s.Propensity
				}
			}
			for _, o := range offers {
				rate := float64(shown[o.ID]) / n
				if shown[o.ID] == 0 {
					continue
				}
				p := recorded[o.ID] / float64(shown[o.ID])
				// The show rate's own binomial error, plus a little for pruning and flooring.
				tol := 3*math.Sqrt(rate*(1-rate)/n) + 0.01
				if math.Abs(p-rate) > tol {
					t.Errorf("%s: shown in %.3f of decisions, recorded propensity %.3f (tolerance %.3f)", o.ID, rate, p, tol)
				}
			}
		})
	}
}

// A seeded engine draws the same way every time: same seed, same choices and propensities.
func TestSeededEngineReplays(t *testing.T) {
	run := func() []epilogue.ShownOffer {
		var offers []*epilogue.Offer
		for i := 0; i < 6; i++ {
			offers = append(offers, offer(t, issueOffer, func(o *epilogue.Offer) { o.ExclusionGroup = ""; o.FrequencyCap.Count = 0 }))
		}
		f := newFixture(t, offers)
		f.e = New(Config{Clock: f.clock, Scorer: noisy{}, Rand: rand.New(rand.NewPCG(7, 7))})
		f.e.SetSnapshot(NewSnapshot(f.shop, 1, offers, []*epilogue.Placement{{ID: "confirmation", Surface: "confirmation", MaxOffers: 3, Status: "active"}}, f.e.Budgets()))
		var all []epilogue.ShownOffer
		for range 20 {
			all = append(all, f.decide(t, request(t, issueRequest)).Decision.Offers...)
		}
		return all
	}
	a, b := run(), run()
	for i := range a {
		if a[i].OfferID != b[i].OfferID || a[i].Propensity != b[i].Propensity {
			t.Fatalf("decision %d differs: %+v vs %+v", i, a[i], b[i])
		}
	}
}

// A reserve of zero shows an uncertain offer even when its draw falls below zero.
func TestZeroReserveShowsNegativeDraws(t *testing.T) {
	o := offer(t, issueOffer, func(o *epilogue.Offer) { o.FrequencyCap.Count = 0 })
	f := newFixture(t, []*epilogue.Offer{o})
	f.e.SetScorer(fixed{o.ID: {Value: 0.01, Std: 1}})
	for range 50 {
		res := f.decide(t, request(t, issueRequest))
		if len(res.Offers) != 1 || res.Decision.Offers[0].Propensity != 1 {
			t.Fatalf("offers %d, decision %+v", len(res.Offers), res.Decision.Offers)
		}
	}
}

// BenchmarkPropensities decides among 12 overlapping uncertain candidates for 3 slots.
func BenchmarkPropensities(b *testing.B) {
	t := &testing.T{}
	var offers []*epilogue.Offer
	sc := fixed{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 12; i++ {
		o := offer(t, issueOffer, func(o *epilogue.Offer) {
			o.ID = fmt.Sprintf("off_%02d", i)
			o.ExclusionGroup, o.FrequencyCap.Count = "", 0
		})
		offers = append(offers, o)
		v := 0.05 + 0.1*rng.Float64()
		sc[o.ID] = epilogue.Estimate{Value: v, Std: v * benchStd}
	}
	f := &fixture{clock: epilogue.NewManualClock(t0)}
	f.shop = &epilogue.Shop{ID: "shop_a", Name: "A", Secret: "secret-a", Settings: epilogue.DefaultSettings()}
	f.shop.Settings.HoldoutShare = 0
	f.e = New(Config{Clock: f.clock, Scorer: sc})
	f.e.SetSnapshot(NewSnapshot(f.shop, 1, offers, []*epilogue.Placement{{ID: "confirmation", Surface: "confirmation", MaxOffers: 3, Status: "active"}}, f.e.Budgets()))
	req := request(t, issueRequest)
	b.ReportAllocs()
	for b.Loop() {
		f.e.Decide(f.shop.ID, req, false)
	}
}

// benchStd is the benchmark candidates' spread relative to their values: wide enough that
// every candidate is a contender, the propensities' worst case (0 measures the rest).
const benchStd = 0.3
