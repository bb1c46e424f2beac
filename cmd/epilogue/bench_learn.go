package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/learn"
)

// benchLearn measures how many examples the learner takes per second on one core, through the
// trainer's real path (Model.Update: hashing a moment and an offer, then the posterior update)
// and on pre-hashed feature vectors (Model.UpdateFeatures alone).
func benchLearn(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("bench learn", "bench learn [flags]", env, stderr)
	asJSON := f.boolean("json", false, "print one JSON document")
	reps := f.integer("repetitions", 5, "measurements; the median is reported")
	n := f.integer("updates", 200000, "updates per measurement")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.positive("repetitions", "updates"); err != nil {
		return err
	}
	if *reps < 1 || *n < 1000 {
		return errors.New("bench learn: --repetitions must be at least 1 and --updates at least 1000")
	}
	type example struct {
		mo *epilogue.Moment
		o  *epilogue.Offer
		y  bool
		x  []learn.Feature
	}
	moments, offers := benchMoments(2000, 1), benchOffers(300, 2)
	rng := rand.New(rand.NewPCG(3, 4))
	exs := make([]example, 50000)
	features := 0
	for i := range exs {
		e := &exs[i]
		e.mo, e.o, e.y = moments[rng.IntN(len(moments))], offers[rng.IntN(len(offers))], rng.IntN(30) == 0
		e.x = learn.AppendFeatures(nil, e.mo, e.o)
		features += len(e.x) + 1 // and the bias
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	measure := func(update func(m *learn.Model, e *example)) ([]float64, error) {
		var rates []float64
		for range *reps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			m := learn.New(learn.Config{})
			runtime.GC()
			start := time.Now()
			for i := range *n {
				update(m, &exs[i%len(exs)])
			}
			rates = append(rates, float64(*n)/time.Since(start).Seconds())
		}
		slices.Sort(rates)
		return rates, nil
	}
	full, err := measure(func(m *learn.Model, e *example) { m.Update(e.mo, e.o, e.y) })
	if err != nil {
		return err
	}
	hashed, err := measure(func(m *learn.Model, e *example) { m.UpdateFeatures(learn.Engage, e.x, e.y) })
	if err != nil {
		return err
	}
	res := struct {
		UpdatesPerSec          float64   `json:"updates_per_sec"`
		PrehashedUpdatesPerSec float64   `json:"prehashed_updates_per_sec"`
		FeaturesPerUpdate      float64   `json:"features_per_update"`
		Repetitions            int       `json:"repetitions"`
		UpdatesPerRepetition   int       `json:"updates_per_repetition"`
		Runs                   []float64 `json:"updates_per_sec_runs"`
	}{full[len(full)/2], hashed[len(hashed)/2], float64(features) / float64(len(exs)), *reps, *n, full}
	if *asJSON {
		return evalJSON(stdout, res)
	}
	_, err = fmt.Fprintf(stdout, "learner updates on one core (median of %d runs of %d):\n"+
		"  Model.Update (hash moment and offer, then update)  %10.0f /s\n"+
		"  Model.UpdateFeatures (pre-hashed vectors)           %10.0f /s\n"+
		"  %.1f active features per example\n", *reps, *n, res.UpdatesPerSec, res.PrehashedUpdatesPerSec, res.FeaturesPerUpdate)
	return err
}

// benchMoments makes varied, realistic moments: a cart of one to four lines, customer
// attributes, a history for returning customers.
func benchMoments(n int, seed uint64) []*epilogue.Moment {
	rng := rand.New(rand.NewPCG(seed, 1))
	pick := func(l ...string) string { return l[rng.IntN(len(l))] }
	cats := []string{"coffee", "tea", "shoes", "books", "garden", "toys", "beauty", "kitchen", "sports", "pets"}
	out := make([]*epilogue.Moment, n)
	for i := range out {
		cart := make([]epilogue.CartItem, 1+rng.IntN(4))
		for j := range cart {
			cart[j] = epilogue.CartItem{SKU: "sku_" + strconv.Itoa(rng.IntN(5000)), Category: cats[rng.IntN(len(cats))],
				Price: epilogue.Amount(1+rng.IntN(200)) * epilogue.Micro, Quantity: 1}
		}
		m := &epilogue.Moment{
			ShopID: "shop_1", Surface: pick(epilogue.Surfaces...), Placement: "pl_" + strconv.Itoa(rng.IntN(4)),
			Returning: rng.IntN(3) == 0, Time: time.Date(2025, 3, 1+rng.IntN(28), rng.IntN(24), 0, 0, 0, time.UTC),
			Request: &epilogue.DecisionRequest{
				Transaction: epilogue.Transaction{Amount: epilogue.Amount(5+rng.IntN(400)) * epilogue.Micro, Currency: "USD", PaymentType: pick("card", "paypal", "apple_pay")},
				Customer:    epilogue.CustomerRef{Attributes: map[string]string{"tier": pick("gold", "silver", "none"), "segment": pick("a", "b", "c", "d")}},
				Cart:        cart,
				Context:     epilogue.RequestContext{Device: pick("mobile", "desktop", "tablet"), Country: pick("US", "GB", "DE", "FR", "CA")},
			},
		}
		if m.Returning {
			m.History = &epilogue.History{Orders: 1 + rng.IntN(8), Categories: []string{cats[rng.IntN(len(cats))], cats[rng.IntN(len(cats))]},
				Engaged: []string{"off_" + strconv.Itoa(rng.IntN(300))}}
		}
		out[i] = m
	}
	return out
}

func benchOffers(n int, seed uint64) []*epilogue.Offer {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]*epilogue.Offer, n)
	for i := range out {
		out[i] = &epilogue.Offer{
			ID: "off_" + strconv.Itoa(i), Kind: epilogue.Kinds[rng.IntN(len(epilogue.Kinds))],
			Advertiser: "adv_" + strconv.Itoa(rng.IntN(20)), Category: "cat_" + strconv.Itoa(rng.IntN(10)),
			Payout: epilogue.Payout{Model: epilogue.PayoutCPA, Amount: epilogue.Amount(1+rng.IntN(20)) * epilogue.Micro, Currency: "USD"},
		}
	}
	return out
}
