package eval

import (
	"bufio"
	"context"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// GenerateClickLog writes a synthetic post-purchase click log of rows impressions to w, the
// same for the same seed. Columns: time, surface, device, country, customer, offer, kind,
// advertiser, category, cart_category, amount, click. Clicks follow a logistic model with
// main effects and pairwise interactions (offer × surface, kind × device, category × cart
// category, kind × customer, kind × amount, hour of day), so a backtest has something to find
// that a model without crosses cannot.
//
// It stops with ctx's error when ctx ends (the generator can write gigabytes).
func GenerateClickLog(ctx context.Context, w io.Writer, rows int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0xc11c))
	surfaces := []string{"thank_you", "order_status", "email", "upsell", "tracking"}
	devices := []string{"mobile", "desktop", "tablet"}
	countries := []string{"US", "GB", "DE", "FR", "CA", "AU", "NL", "ES"}
	kinds := []string{"partner", "cross_sell", "upsell", "survey", "loyalty", "content"}
	categories := []string{"coffee", "tea", "shoes", "books", "garden", "toys", "beauty", "kitchen", "sports", "pets"}
	advertisers := []string{"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka"}
	type offer struct {
		kind, adv, cat int
		effect         float64
	}
	offers := make([]offer, 60)
	for i := range offers {
		offers[i] = offer{rng.IntN(len(kinds)), rng.IntN(len(advertisers)), rng.IntN(len(categories)), 0.6 * rng.NormFloat64()}
	}
	table := func(a, b int, sd float64) [][]float64 {
		t := make([][]float64, a)
		for i := range t {
			t[i] = make([]float64, b)
			for j := range t[i] {
				t[i][j] = sd * rng.NormFloat64()
			}
		}
		return t
	}
	offerSurface := table(len(offers), len(surfaces), 0.5)
	kindDevice := table(len(kinds), len(devices), 0.4)
	catCart := table(len(categories), len(categories), 0.4)
	kindCustomer := table(len(kinds), 2, 0.4)
	advEffect := table(len(advertisers), 1, 0.3)
	kindAmount := table(len(kinds), 1, 0.4)
	countryEffect := table(len(countries), 1, 0.2)

	bw := bufio.NewWriter(w)
	bw.WriteString("time,surface,device,country,customer,offer,kind,advertiser,category,cart_category,amount,click\n")
	t := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	var line []byte
	for i := range rows {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		t = t.Add(time.Duration(rng.ExpFloat64() * 20 * float64(time.Second)))
		s, d, c := rng.IntN(len(surfaces)), rng.IntN(len(devices)), rng.IntN(len(countries))
		cust := 0
		if rng.IntN(3) == 0 {
			cust = 1
		}
		oi := rng.IntN(len(offers))
		o := offers[oi]
		cart := o.cat
		if rng.IntN(3) != 0 {
			cart = rng.IntN(len(categories))
		}
		amount := math.Round(math.Exp(3.5+0.9*rng.NormFloat64())*100) / 100
		z := -3.4 + o.effect + advEffect[o.adv][0] + countryEffect[c][0] + offerSurface[oi][s] + kindDevice[o.kind][d] +
			catCart[o.cat][cart] + kindCustomer[o.kind][cust] + kindAmount[o.kind][0]*math.Log(amount/33) +
			0.3*math.Sin(2*math.Pi*float64(t.Hour())/24)
		if cart == o.cat {
			z += 0.8
		}
		click := "0"
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			click = "1"
		}
		line = t.AppendFormat(line[:0], time.RFC3339)
		for _, f := range []string{surfaces[s], devices[d], countries[c], []string{"new", "returning"}[cust],
			"off_" + strconv.Itoa(oi), kinds[o.kind], advertisers[o.adv], categories[o.cat], categories[cart]} {
			line = append(line, ',')
			line = append(line, f...)
		}
		line = append(line, ',')
		line = strconv.AppendFloat(line, amount, 'f', 2, 64)
		line = append(line, ',')
		line = append(line, click...)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}
