package learn

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

var tStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// catalog serves offers from a map, every shop in UTC.
type catalog map[string]*epilogue.Offer

func (c catalog) Offer(_, id string) *epilogue.Offer { return c[id] }
func (catalog) Location(string) *time.Location       { return time.UTC }

func catalogOf(offers []*epilogue.Offer) catalog {
	c := catalog{}
	for _, o := range offers {
		c[o.ID] = o
	}
	return c
}

func decisionAt(w *world, id string, at time.Time, offers ...*epilogue.Offer) *epilogue.Decision {
	mo := w.moment()
	d := &epilogue.Decision{ID: id, ShopID: "shop_1", PlacementID: mo.Placement, Surface: mo.Surface, Arm: epilogue.ArmPolicy,
		Time: at, Request: mo.Request, History: mo.History, Returning: mo.Returning}
	for i, o := range offers {
		d.Offers = append(d.Offers, epilogue.ShownOffer{OfferID: o.ID, Position: i, Propensity: 0.5})
	}
	return d
}

func event(typ string, d *epilogue.Decision, o *epilogue.Offer, at time.Time) *epilogue.Event {
	return &epilogue.Event{ID: typ + "-" + d.ID + "-" + o.ID + "-" + strconv.FormatInt(at.Unix(), 10), ShopID: d.ShopID, Type: typ,
		DecisionID: d.ID, OfferID: o.ID, PlacementID: d.PlacementID, Arm: d.Arm, Time: at, ReceivedAt: at}
}

// An impression is learned once its windows close, with the labels its windows saw: an
// engagement after the engagement window, or a conversion after the conversion window, is not
// a positive; a repeated impression is not learned twice; an engagement read before its
// impression still counts; and the model is exactly what updating it by hand gives.
func TestTrainerLabelsByWindow(t *testing.T) {
	w := newWorld(3, 4)
	cpa := w.offers[0]
	cpa.Payout = epilogue.Payout{Model: epilogue.PayoutCPA, Amount: 5 * epilogue.Micro, Currency: "USD"}
	cpc := w.offers[1]
	tr := NewTrainer(TrainerConfig{Catalog: catalogOf(w.offers), ConversionWindows: map[string]time.Duration{epilogue.PayoutCPC: 2 * time.Hour}}, New(Config{Bits: 16}))
	ref := New(Config{Bits: 16})

	d1 := decisionAt(w, "dec_1", tStart, cpa, cpc)
	d2 := decisionAt(w, "dec_2", tStart.Add(time.Minute), cpa)
	tr.AddDecision(d1, 0)
	tr.AddDecision(d2, 0)
	tr.AddDecision(&epilogue.Decision{ID: "dec_none", ShopID: "shop_1", Time: tStart}, 0) // showed nothing
	at := func(d time.Duration) time.Time { return tStart.Add(d) }
	for _, ev := range []*epilogue.Event{
		event(epilogue.EventImpression, d1, cpa, at(time.Second)),
		event(epilogue.EventImpression, d1, cpa, at(2*time.Second)), // a reload: the same impression
		event(epilogue.EventEngagement, d1, cpa, at(10*time.Minute)),
		event(epilogue.EventConversion, d1, cpa, at(20*time.Hour)), // inside cpa's 24 h
		event(epilogue.EventImpression, d1, cpc, at(time.Second)),
		event(epilogue.EventEngagement, d1, cpc, at(29*time.Minute)),
		event(epilogue.EventConversion, d1, cpc, at(3*time.Hour)),    // after cpc's 2 h: late
		event(epilogue.EventEngagement, d2, cpa, at(40*time.Minute)), // before its impression, outside the window
		event(epilogue.EventImpression, d2, cpa, at(time.Minute+time.Second)),
		event(epilogue.EventDismissal, d2, cpa, at(2*time.Minute)),
	} {
		tr.AddEvent(ev, 0)
	}
	if n := tr.Train(at(30 * time.Minute)); n != 0 {
		t.Fatalf("learned %d examples before any engagement window closed", n)
	}
	if n := tr.Train(at(35 * time.Minute)); n != 3 {
		t.Fatalf("learned %d engage examples at +35 min, want 3", n)
	}
	mo := func(d *epilogue.Decision) *epilogue.Moment { m := tr.moment(d); return &m }
	ref.Update(mo(d1), cpa, true)
	ref.Update(mo(d1), cpc, true)
	ref.Update(mo(d2), cpa, false)
	tr.AddEvent(event(epilogue.EventEngagement, d2, cpa, at(33*time.Minute)), 0) // its example is learned: too late
	if n := tr.Train(at(3 * time.Hour)); n != 1 {
		t.Fatalf("learned %d convert examples at +3 h, want cpc's", n)
	}
	ref.UpdateConvert(mo(d1), cpc, false)
	tr.AddEvent(event(epilogue.EventConversion, d1, cpa, at(25*time.Hour)), 0) // a second one, after the window
	tr.Train(at(48 * time.Hour))
	ref.UpdateConvert(mo(d1), cpa, true)
	s := tr.Stats()
	want := TrainerStats{Impressions: 3, Engage: 3, EngagePositive: 2, Convert: 2, ConvertPositive: 1, Duplicates: 1, Late: 4}
	if s != want {
		t.Errorf("stats %+v\nwant  %+v", s, want)
	}
	if !slices.Equal(tr.Model().tab, ref.tab) || tr.Model().Updates() != ref.Updates() {
		t.Error("the trainer's model differs from updating by hand")
	}
}

// traffic is a day of decisions and their events, written to a store as the clock reaches them.
type traffic struct {
	w         *world
	decisions []*epilogue.Decision
	events    []*epilogue.Event
}

func newTraffic(seed uint64, n int) *traffic {
	w := newWorld(seed, 12)
	for i, o := range w.offers {
		if i%3 == 0 {
			o.Payout = epilogue.Payout{Model: epilogue.PayoutCPA, Amount: 4 * epilogue.Micro, Currency: "USD"}
		}
	}
	tr := &traffic{w: w}
	r := w.rng
	for i := range n {
		at := tStart.Add(time.Duration(i) * 20 * time.Second)
		a, b := w.offers[r.IntN(len(w.offers))], w.offers[r.IntN(len(w.offers))]
		shown := []*epilogue.Offer{a}
		if b != a {
			shown = append(shown, b)
		}
		d := decisionAt(w, "dec_"+strconv.Itoa(i), at, shown...)
		tr.decisions = append(tr.decisions, d)
		mo := &epilogue.Moment{Request: d.Request, History: d.History, Returning: d.Returning}
		for _, o := range shown {
			tr.events = append(tr.events, event(epilogue.EventImpression, d, o, at.Add(2*time.Second)))
			if r.Float64() < 3*w.truth(mo, o) {
				te := at.Add(time.Duration(r.ExpFloat64() * float64(8*time.Minute)))
				tr.events = append(tr.events, event(epilogue.EventEngagement, d, o, te))
				if r.IntN(3) == 0 {
					tr.events = append(tr.events, event(epilogue.EventConversion, d, o, te.Add(time.Duration(r.ExpFloat64()*float64(6*time.Hour)))))
				}
			}
		}
	}
	slices.SortStableFunc(tr.events, func(a, b *epilogue.Event) int { return a.Time.Compare(b.Time) })
	return tr
}

// writeThrough stores what happened by now that is not stored yet.
func (tr *traffic) writeThrough(t *testing.T, db *store.DB, now time.Time, nd, ne *int) {
	t.Helper()
	ctx := context.Background()
	i := *nd
	for i < len(tr.decisions) && !tr.decisions[i].Time.After(now) {
		i++
	}
	if err := db.InsertDecisions(ctx, tr.decisions[*nd:i]); err != nil {
		t.Fatal(err)
	}
	*nd = i
	j := *ne
	for j < len(tr.events) && !tr.events[j].Time.After(now) {
		j++
	}
	if _, err := db.InsertEvents(ctx, tr.events[*ne:j]); err != nil {
		t.Fatal(err)
	}
	*ne = j
}

func openStore(t *testing.T, url string) *store.DB {
	t.Helper()
	ctx := context.Background()
	if url == "" {
		url = "sqlite://" + filepath.Join(t.TempDir(), "learn.db")
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateShop(ctx, &epilogue.Shop{ID: "shop_1", Name: "One", Secret: "s", Settings: epilogue.DefaultSettings(), CreatedAt: tStart}); err != nil && epilogue.ErrorCode(err) != epilogue.EConflict {
		t.Fatal(err)
	}
	return db
}

// A trainer resumed from a checkpoint (through its blob) and the logs after its cursors ends in
// exactly the model of a trainer that never stopped: no example is counted twice or dropped,
// however many were pending at the checkpoint.
func TestTrainerResumesExactly(t *testing.T) {
	ctx := context.Background()
	tr := newTraffic(11, 2000)
	db := openStore(t, "")
	cfg := TrainerConfig{Catalog: catalogOf(tr.w.offers), Decisions: db}
	a := NewTrainer(cfg, New(Config{Bits: 16}))
	var b *Trainer
	var nd, ne int
	clock := epilogue.NewManualClock(tStart)
	end := tr.decisions[len(tr.decisions)-1].Time.Add(30 * time.Hour)
	for step := 0; !clock.Now().After(end); step++ {
		now := clock.Now()
		tr.writeThrough(t, db, now, &nd, &ne)
		if _, err := a.Poll(ctx, db, now); err != nil {
			t.Fatal(err)
		}
		if b != nil {
			if _, err := b.Poll(ctx, db, now); err != nil {
				t.Fatal(err)
			}
		}
		if step == 25 { // mid-traffic: examples pending in both windows
			if a.Stats().Pending == 0 {
				t.Fatal("nothing pending at the checkpoint")
			}
			blob, err := a.Checkpoint().MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var cp Checkpoint
			if err := cp.UnmarshalBinary(blob); err != nil {
				t.Fatal(err)
			}
			b = Resume(cfg, &cp)
		}
		clock.Advance(5 * time.Minute)
	}
	sa, sb := a.Stats(), b.Stats()
	t.Logf("uninterrupted %+v\nresumed       %+v", sa, sb)
	if sa.Engage < 1500 || sa.Convert == 0 || sa.Pending != 0 || sb.Pending != 0 {
		t.Fatalf("traffic too thin or unfinished: %+v / %+v", sa, sb)
	}
	if sb.Skipped == 0 {
		t.Error("the resumed trainer re-read nothing it had learned: the test does not exercise the skip")
	}
	if a.Model().Updates() != b.Model().Updates() || !slices.Equal(a.Model().tab, b.Model().tab) {
		t.Fatalf("resumed model differs: %d updates vs %d", b.Model().Updates(), a.Model().Updates())
	}
	// Every impression was learned exactly once.
	impressions := 0
	for _, ev := range tr.events {
		if ev.Type == epilogue.EventImpression {
			impressions++
		}
	}
	if int(sa.Engage) != impressions {
		t.Errorf("engage examples %d, impressions %d", sa.Engage, impressions)
	}
}

// A checkpoint blob that is truncated or altered is an error wrapping ErrCorrupt.
func TestCheckpointDetectsCorruption(t *testing.T) {
	w := newWorld(2, 5)
	tr := NewTrainer(TrainerConfig{Catalog: catalogOf(w.offers)}, New(Config{Bits: 12}))
	d := decisionAt(w, "dec_1", tStart, w.offers[0])
	tr.AddDecision(d, 3)
	tr.AddEvent(event(epilogue.EventImpression, d, w.offers[0], tStart), 7)
	tr.decRead, tr.evRead = 3, 9
	tr.Train(tStart.Add(time.Minute))
	cp := tr.Checkpoint()
	blob, err := cp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Checkpoint
	if err := got.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	if got.DecisionCursor != 3 || got.EventCursor != 7 || !got.Through.Equal(tStart.Add(time.Minute)) || got.Model.Version() != cp.Model.Version() {
		t.Fatalf("round trip: %+v", got)
	}
	for name, bad := range map[string][]byte{
		"truncated": blob[:len(blob)-10],
		"flipped":   flip(blob, len(blob)/2),
		"header":    flip(blob, 9),
		"empty":     nil,
	} {
		if err := got.UnmarshalBinary(bad); err == nil || !isCorrupt(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func isCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }

func flip(b []byte, i int) []byte {
	c := slices.Clone(b)
	c[i] ^= 0x40
	return c
}

// What the trainer keeps of a large decision gives the same features as the whole of it, and is
// small: a thousand cart items become the few the features read.
func TestForLearningKeepsTheFeatures(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cats := []string{"Coffee", "coffee", "tea", "Grinders", "beans", "cups", "filters", "kettles", "scales", "mugs", "pots", "bags"}
	o := &epilogue.Offer{ID: "off_1", Kind: epilogue.KindCrossSell, Advertiser: "a", Category: "tea"}
	for round := range 50 {
		req := &epilogue.DecisionRequest{Customer: epilogue.CustomerRef{ID: "c", Attributes: map[string]string{"tier": "gold"}}}
		for i := range r.IntN(1000) {
			it := epilogue.CartItem{Quantity: 1}
			if r.IntN(3) > 0 {
				it.Category = cats[r.IntN(len(cats))]
			}
			if r.IntN(4) == 0 {
				it.SKU = "sku" + strconv.Itoa(i)
			}
			req.Cart = append(req.Cart, it)
		}
		d := &epilogue.Decision{ID: "dec", Surface: "confirmation", PlacementID: "confirmation", Request: req,
			Candidates: make([]epilogue.Verdict, 10), Time: tStart}
		kept := forLearning(d)
		moment := func(d *epilogue.Decision) *epilogue.Moment {
			return &epilogue.Moment{Surface: d.Surface, Placement: d.PlacementID, Request: d.Request, Time: d.Time}
		}
		if want, got := AppendFeatures(nil, moment(d), o), AppendFeatures(nil, moment(kept), o); !slices.Equal(want, got) {
			t.Fatalf("round %d (%d items): features differ\n%v\n%v", round, len(req.Cart), want, got)
		}
		if len(kept.Request.Cart) > cartSizeCap+maxCartCats+maxSKUs || kept.Candidates != nil {
			t.Fatalf("round %d: kept %d items and %d verdicts", round, len(kept.Request.Cart), len(kept.Candidates))
		}
		if len(d.Request.Cart) != len(req.Cart) || len(d.Candidates) != 10 {
			t.Fatal("the decision itself was changed")
		}
	}
}
