package learn

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
)

// world is a synthetic shop whose customers follow a known logistic preference, for tests.
type world struct {
	rng    *rand.Rand
	offers []*epilogue.Offer
	effect map[string]float64 // offer id -> its own logit effect
}

var (
	categories  = []string{"coffee", "tea", "shoes", "books", "garden", "toys"}
	devices     = []string{"mobile", "desktop", "tablet"}
	countries   = []string{"US", "GB", "DE", "FR"}
	advertisers = []string{"acme", "globex", "initech", "umbrella"}
	kinds       = []string{epilogue.KindPartner, epilogue.KindCrossSell, epilogue.KindSurvey, epilogue.KindUpsell}
)

func newWorld(seed uint64, nOffers int) *world {
	w := &world{rng: rand.New(rand.NewPCG(seed, 7)), effect: map[string]float64{}}
	for i := range nOffers {
		w.offers = append(w.offers, w.newOffer("off_"+strconv.Itoa(i), advertisers[i%len(advertisers)]))
	}
	return w
}

func (w *world) newOffer(id, adv string) *epilogue.Offer {
	o := &epilogue.Offer{
		ID: id, Kind: kinds[w.rng.IntN(len(kinds))], Advertiser: adv,
		Category: categories[w.rng.IntN(len(categories))],
		Payout:   epilogue.Payout{Model: epilogue.PayoutCPC, Amount: epilogue.Micro, Currency: "USD"},
	}
	w.effect[id] = w.rng.NormFloat64() * 0.5
	return o
}

func (w *world) moment() *epilogue.Moment {
	r := w.rng
	n := 1 + r.IntN(3)
	cart := make([]epilogue.CartItem, n)
	for i := range cart {
		cart[i] = epilogue.CartItem{SKU: "sku" + strconv.Itoa(r.IntN(200)), Category: categories[r.IntN(len(categories))],
			Price: epilogue.Amount(1+r.IntN(100)) * epilogue.Micro, Quantity: 1}
	}
	returning := r.IntN(3) == 0
	var hist *epilogue.History
	if returning {
		hist = &epilogue.History{Orders: 1 + r.IntN(5), Categories: []string{categories[r.IntN(len(categories))]}}
	}
	return &epilogue.Moment{
		ShopID: "shop_1", Surface: epilogue.SurfaceThankYou, Placement: "pl_1", Returning: returning, History: hist,
		Time: time.Date(2025, 3, 1+r.IntN(28), r.IntN(24), 0, 0, 0, time.UTC),
		Request: &epilogue.DecisionRequest{
			Transaction: epilogue.Transaction{Amount: epilogue.Amount(10+r.IntN(300)) * epilogue.Micro, Currency: "USD", PaymentType: "card"},
			Customer:    epilogue.CustomerRef{Attributes: map[string]string{"tier": []string{"gold", "silver"}[r.IntN(2)]}},
			Cart:        cart,
			Context:     epilogue.RequestContext{Device: devices[r.IntN(len(devices))], Country: countries[r.IntN(len(countries))]},
		},
	}
}

// truth is the true engagement probability: a base rate, the offer's own effect, its
// advertiser, a category match with the cart, and a device-kind interaction.
func (w *world) truth(m *epilogue.Moment, o *epilogue.Offer) float64 {
	z := -3.2 + w.effect[o.ID]
	if o.Advertiser == "acme" {
		z += 0.7
	}
	for _, it := range m.Request.Cart {
		if it.Category == o.Category {
			z += 1.2
			break
		}
	}
	if m.Request.Context.Device == "mobile" && o.Kind == epilogue.KindPartner {
		z += 0.8
	}
	if m.Returning && o.Kind == epilogue.KindSurvey {
		z -= 0.8
	}
	return 1 / (1 + math.Exp(-z))
}

// auc is the area under the ROC curve (ties count one half).
func auc(p []float64, y []bool) float64 {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			j++
		}
		r := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			if y[idx[k]] {
				pos++
				rankSum += r
			}
		}
		i = j
	}
	neg = float64(len(p)) - pos
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
