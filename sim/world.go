// Package sim simulates a shop's post-purchase traffic with hidden true preferences and runs it
// through the real decision engine and the real trainer, so policies can be compared on
// click-through, conversion, revenue per transaction and regret against an oracle that knows
// the truth.
package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/epiloguehq/epilogue"
)

// The world's vocabulary. Customers fall into segments that like some offer categories and not
// others; the shop sells the first five categories itself, partners sell the last three.
var (
	segments       = []string{"enthusiast", "bargain", "gifter", "family", "traveler"}
	segmentShare   = []float64{0.2, 0.3, 0.15, 0.2, 0.15}
	categories     = []string{"coffee", "tea", "kitchen", "books", "beauty", "travel", "finance", "charity"}
	shopCategories = 5
	tiers          = []string{"gold", "silver", "bronze"}
	countries      = []string{"US", "GB", "DE", "CA"}
	devices        = epilogue.Devices
	kinds          = []string{epilogue.KindCrossSell, epilogue.KindUpsell, epilogue.KindPartner, epilogue.KindSurvey, epilogue.KindLoyalty, epilogue.KindContent}
)

// placements are the shop's slots: how many offers each shows and the reserve below which it
// shows nothing.
var placements = []struct {
	id, surface string
	max         int
	reserve     float64
	share       float64 // of transactions that reach it
}{
	{"thank_you", epilogue.SurfaceThankYou, 3, 0, 1},
	{"confirmation", epilogue.SurfaceConfirmation, 2, 0, 0.35},
	{"order_status", epilogue.SurfaceOrderStatus, 1, 0.02, 0.3},
	{"email", epilogue.SurfaceEmail, 2, 0, 0.3},
	{"upsell", epilogue.SurfaceUpsell, 1, 0.08, 0.15},
}

// customer is one shopper with hidden traits; only some of them show in requests.
type customer struct {
	id       string
	segment  int
	known    bool // the shop knows the segment (a profile quiz): sent as a customer attribute
	tier     int
	country  int
	device   []float64 // probabilities of each device
	cartPref []float64 // probabilities of each shop category in the cart
	effect   float64   // how offer-prone this person is, hidden from everyone
	orders   int       // transactions so far
}

// World is the hidden truth: customers, offers and the logistic effects that make a customer
// engage with an offer and convert.
type World struct {
	customers []*customer
	byID      map[string]*customer
	offers    []*epilogue.Offer
	index     map[string]int
	category  []int // of each offer, -1 for none

	base, convBase      float64
	offerEffect, offerQ []float64
	segCat, segCatQ     [][]float64 // segment × category
	kindSurface         [][]float64 // kind × placement
	deviceKind          [][]float64
	tierCat             [][]float64
	returningKind       [][]float64
	cartMatch           float64
}

// worldRand is the stream the world is drawn from, apart from traffic and outcomes.
const (
	streamWorld = iota + 1
	streamTraffic
	streamOutcome
	streamEngine
)

// NewWorld draws a world from a seed: the same seed gives the same customers and truths.
func NewWorld(seed uint64, nOffers, nCustomers int) *World {
	r := rand.New(rand.NewPCG(seed, streamWorld))
	w := &World{byID: map[string]*customer{}, index: map[string]int{}, base: -3.3, convBase: -1.4, cartMatch: 0.7}
	table := func(a, b int, sd float64) [][]float64 {
		t := make([][]float64, a)
		for i := range t {
			t[i] = make([]float64, b)
			for j := range t[i] {
				t[i][j] = sd * r.NormFloat64()
			}
		}
		return t
	}
	w.segCat = table(len(segments), len(categories), 0.9)
	w.segCatQ = table(len(segments), len(categories), 0.5)
	w.kindSurface = table(len(kinds), len(placements), 0.4)
	w.deviceKind = table(len(devices), len(kinds), 0.3)
	w.tierCat = table(len(tiers), len(categories), 0.3)
	w.returningKind = table(2, len(kinds), 0.3)
	for i := range nCustomers {
		c := &customer{id: "c" + strconv.Itoa(i), segment: pick(r, segmentShare), known: r.Float64() < 0.6,
			country: r.IntN(len(countries)), effect: 0.3 * r.NormFloat64()}
		c.tier = min(len(tiers)-1, max(0, c.segment%3+r.IntN(3)-1))
		c.device = dirichlet(r, len(devices), 0.7)
		c.cartPref = dirichlet(r, shopCategories, 0.5)
		// A segment's taste shows in its carts: half the weight goes to the category it likes most.
		best := 0
		for k := 1; k < shopCategories; k++ {
			if w.segCat[c.segment][k] > w.segCat[c.segment][best] {
				best = k
			}
		}
		for k := range c.cartPref {
			c.cartPref[k] /= 2
		}
		c.cartPref[best] += 0.5
		w.customers = append(w.customers, c)
		w.byID[c.id] = c
	}
	for i := range nOffers {
		o, cat := w.newOffer(r, i)
		w.index[o.ID] = len(w.offers)
		w.offers = append(w.offers, o)
		w.category = append(w.category, cat)
		w.offerEffect = append(w.offerEffect, 0.5*r.NormFloat64())
		w.offerQ = append(w.offerQ, 0.4*r.NormFloat64())
	}
	return w
}

// newOffer draws one offer: first-party cross-sells and upsells of the shop's categories
// (earning a margin), partner offers (cpa or cpc payouts), and surveys, loyalty and content
// (earning nothing but engagement).
func (w *World) newOffer(r *rand.Rand, i int) (*epilogue.Offer, int) {
	o := &epilogue.Offer{ID: fmt.Sprintf("off_sim%03d", i), ShopID: ShopID, Title: "Offer " + strconv.Itoa(i), Status: epilogue.StatusActive,
		Action: epilogue.Action{Type: "link", URL: "https://sim.example/" + strconv.Itoa(i)}}
	cat := -1
	all := []string{epilogue.SurfaceThankYou, epilogue.SurfaceConfirmation, epilogue.SurfaceOrderStatus, epilogue.SurfaceEmail, epilogue.SurfaceUpsell}
	switch x := r.Float64(); {
	case x < 0.45:
		o.Kind = epilogue.KindCrossSell
		if r.IntN(3) == 0 {
			o.Kind = epilogue.KindUpsell
		}
		cat = r.IntN(shopCategories)
		o.Advertiser = "shop"
		o.Payout = epilogue.Payout{Model: epilogue.PayoutNone, Currency: "USD"}
		o.Margin = epilogue.AmountFromFloat(math.Round((2+13*r.Float64())*100) / 100)
		o.ProductID = "prod" + strconv.Itoa(i)
		o.Targeting.Surfaces = subset(r, all, 2)
	case x < 0.85:
		o.Kind = epilogue.KindPartner
		adv := r.IntN(8)
		o.Advertiser = "adv" + strconv.Itoa(adv)
		cat = shopCategories + adv%(len(categories)-shopCategories)
		if r.IntN(4) == 0 {
			cat = r.IntN(shopCategories) // a partner selling what the shop sells (a beauty box)
		}
		if r.Float64() < 0.7 {
			o.Payout = epilogue.Payout{Model: epilogue.PayoutCPA, Amount: epilogue.AmountFromFloat(math.Round((3+17*r.Float64())*100) / 100), Currency: "USD"}
		} else {
			o.Payout = epilogue.Payout{Model: epilogue.PayoutCPC, Amount: epilogue.AmountFromFloat(math.Round((0.2+1.3*r.Float64())*100) / 100), Currency: "USD"}
		}
		if r.IntN(2) == 0 {
			o.ExclusionGroup = o.Advertiser
		}
		o.Targeting.Surfaces = subset(r, all[:4], 2)
	default:
		o.Kind = []string{epilogue.KindSurvey, epilogue.KindLoyalty, epilogue.KindContent}[r.IntN(3)]
		o.Advertiser = "shop"
		o.Payout = epilogue.Payout{Model: epilogue.PayoutNone, Currency: "USD"}
		o.Targeting.Surfaces = subset(r, all[:4], 2)
	}
	if cat >= 0 {
		o.Category = categories[cat]
	}
	if r.Float64() < 0.3 {
		o.FrequencyCap = epilogue.FrequencyCap{Count: 3, Period: epilogue.Duration(7 * 24 * 3600 * 1e9)}
	}
	o.Defaults("USD")
	if err := o.Validate(); err != nil {
		panic("sim: offer " + o.ID + ": " + err.Error())
	}
	return o, cat
}

// Offers returns the world's offers.
func (w *World) Offers() []*epilogue.Offer { return w.offers }

// truth returns the true p(engage | shown) and p(convert | engaged) of showing offer o on a
// visit.
func (w *World) truth(v *visit, o *epilogue.Offer) (pe, q float64) {
	c := v.c
	i := w.index[o.ID]
	k := indexOf(kinds, o.Kind)
	z := w.base + w.offerEffect[i] + c.effect
	z += w.kindSurface[k][v.placement]
	z += w.deviceKind[indexOf(devices, v.req.Context.Device)][k]
	z += w.returningKind[v.returning][k]
	zq := w.convBase + w.offerQ[i]
	if cat := w.category[i]; cat >= 0 {
		z += w.segCat[c.segment][cat] + w.tierCat[c.tier][cat]
		zq += w.segCatQ[c.segment][cat]
		for _, it := range v.req.Cart {
			if it.Category == categories[cat] {
				z += w.cartMatch
				zq += 0.3
				break
			}
		}
	}
	return sigmoid(z), sigmoid(zq)
}

// inWindow is the share of conversions that happen within the attribution window: the
// conversion delay is a mixture of quick (mean 1 h) and slow (mean 20 h) buyers.
var inWindow = 0.85*(1-math.Exp(-24)) + 0.15*(1-math.Exp(-24.0/20))

// value returns the true expected value of showing o on a visit, as the engine defines value
// (Offer.ValueOf), counting only conversions inside the attribution window.
func (w *World) value(v *visit, o *epilogue.Offer) float64 {
	pe, q := w.truth(v, o)
	return o.ValueOf(pe, pe*q*inWindow)
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func pick(r *rand.Rand, p []float64) int {
	x := r.Float64()
	for i, v := range p {
		if x < v {
			return i
		}
		x -= v
	}
	return len(p) - 1
}

// dirichlet draws a probability vector; a small alpha makes it peaked.
func dirichlet(r *rand.Rand, n int, alpha float64) []float64 {
	p := make([]float64, n)
	sum := 0.0
	for i := range p {
		p[i] = gamma(r, alpha)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// gamma draws from Gamma(alpha, 1) (Marsaglia and Tsang, boosted for alpha < 1).
func gamma(r *rand.Rand, alpha float64) float64 {
	if alpha < 1 {
		return gamma(r, alpha+1) * math.Pow(r.Float64(), 1/alpha)
	}
	d := alpha - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if u := r.Float64(); math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

func subset(r *rand.Rand, from []string, atLeast int) []string {
	var out []string
	for len(out) < atLeast {
		out = out[:0]
		for _, s := range from {
			if r.IntN(2) == 0 {
				out = append(out, s)
			}
		}
	}
	return out
}

func indexOf(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return 0
}
