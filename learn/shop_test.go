package learn

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
)

// shop is a benchmark shop shaped like the decision benchmark's (epilogue bench decide): a
// thousand offers of every kind over 60 advertisers and 20 categories, requests with a cart, a
// country, a device and a loyalty tier, customers with history, and a model warmed up on a few
// hundred impressions per offer. Each decision scores about a quarter of the offers, as the
// benchmark's targeting leaves eligible.
type shop struct {
	offers   []*epilogue.Offer
	moments  []*epilogue.Moment
	eligible [][]*epilogue.Offer
	model    *Model
}

func newShop(seed uint64, nOffers, warm int) *shop {
	r := rand.New(rand.NewPCG(seed, 11))
	cats := make([]string, 20)
	for i := range cats {
		cats[i] = "category " + strconv.Itoa(i)
	}
	countries := []string{"US", "CA", "GB", "DE", "FR", "NL", "AU", "SE"}
	s := &shop{}
	for i := range nOffers {
		o := &epilogue.Offer{ID: "off_bench" + strconv.Itoa(i), Kind: epilogue.Kinds[r.IntN(len(epilogue.Kinds))],
			Advertiser: "adv" + strconv.Itoa(r.IntN(60)), Category: cats[r.IntN(len(cats))], Priority: r.IntN(5)}
		switch r.IntN(3) {
		case 0:
			o.Payout = epilogue.Payout{Model: epilogue.PayoutCPA, Amount: epilogue.AmountFromFloat(1 + r.Float64()*9)}
		case 1:
			o.Payout = epilogue.Payout{Model: epilogue.PayoutCPC, Amount: epilogue.AmountFromFloat(0.1 + r.Float64())}
		default:
			o.Payout = epilogue.Payout{Model: epilogue.PayoutNone}
			o.Margin = epilogue.AmountFromFloat(r.Float64() * 20)
		}
		s.offers = append(s.offers, o)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for range 2000 {
		cart := make([]epilogue.CartItem, 1+r.IntN(3))
		for i := range cart {
			cart[i] = epilogue.CartItem{SKU: "SKU" + strconv.Itoa(r.IntN(2000)), Category: cats[r.IntN(len(cats))], Quantity: 1}
		}
		h := &epilogue.History{Orders: 1 + r.IntN(3)}
		for range h.Orders {
			h.Categories = append(h.Categories, cats[r.IntN(len(cats))])
		}
		for range r.IntN(7) {
			id := s.offers[r.IntN(nOffers)].ID
			if r.IntN(20) == 0 {
				h.Dismissed = append(h.Dismissed, id)
			} else {
				h.Engaged = append(h.Engaged, id)
			}
		}
		s.moments = append(s.moments, &epilogue.Moment{ShopID: "shop_bench", Surface: epilogue.SurfaceConfirmation,
			Placement: "confirmation", Returning: true, History: h, Time: now.Add(time.Duration(r.IntN(7*24)) * time.Hour),
			Request: &epilogue.DecisionRequest{
				Transaction: epilogue.Transaction{Amount: epilogue.AmountFromFloat(5 + r.Float64()*600), PaymentType: "card"},
				Customer:    epilogue.CustomerRef{Attributes: map[string]string{"loyalty_tier": []string{"gold", "silver", "bronze"}[r.IntN(3)]}},
				Cart:        cart,
				Context:     epilogue.RequestContext{Device: epilogue.Devices[r.IntN(3)], Country: countries[r.IntN(len(countries))], Locale: "en-us"},
			}})
	}
	for range 64 {
		var el []*epilogue.Offer
		for _, o := range s.offers {
			if r.IntN(1000) < 238 {
				el = append(el, o)
			}
		}
		s.eligible = append(s.eligible, el)
	}
	appeal := make([]float64, nOffers)
	for i := range appeal {
		appeal[i] = -3.5 + 0.8*r.NormFloat64()
	}
	m := New(Config{})
	for i := range warm {
		mo := s.moments[i%len(s.moments)]
		j := r.IntN(nOffers)
		o := s.offers[j]
		z := appeal[j]
		for _, it := range mo.Request.Cart {
			if it.Category == o.Category {
				z += 0.8
				break
			}
		}
		engaged := r.Float64() < 1/(1+math.Exp(-z))
		m.Update(mo, o, engaged)
		if engaged {
			m.UpdateConvert(mo, o, r.IntN(5) == 0)
		}
	}
	s.model = m.Snapshot()
	return s
}

// BenchmarkScoreShop scores one decision of the benchmark shop: about 238 eligible offers of a
// thousand, a different customer each time.
func BenchmarkScoreShop(b *testing.B) {
	s := newShop(1, 1000, 300000)
	out := make([]epilogue.Estimate, len(s.offers))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.model.Score(s.moments[i%len(s.moments)], s.eligible[i%len(s.eligible)], out)
	}
}
