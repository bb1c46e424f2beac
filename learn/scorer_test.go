package learn

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/epiloguehq/epilogue"
)

// trained returns a model that has seen n impressions of the world's offers.
func trained(w *world, n int) *Model {
	m := New(Config{})
	for range n {
		mo := w.moment()
		o := w.offers[w.rng.IntN(len(w.offers))]
		m.Update(mo, o, w.rng.Float64() < w.truth(mo, o))
	}
	return m
}

// A new offer starts from what is known of its advertiser and kind, not from zero: a new acme
// offer (acme engages better) is predicted above a new offer of another advertiser, and both
// carry more uncertainty than the offers the model has seen.
func TestColdStartFromAdvertiserAndKind(t *testing.T) {
	w := newWorld(5, 20)
	m := trained(w, 40000)
	good := &epilogue.Offer{ID: "off_new_1", Kind: epilogue.KindCrossSell, Advertiser: "acme", Category: "books",
		Payout: epilogue.Payout{Model: epilogue.PayoutCPC, Amount: epilogue.Micro}}
	plain := *good
	plain.ID, plain.Advertiser = "off_new_2", "globex"
	var pg, pp, sdNew, sdOld float64
	out := make([]epilogue.Estimate, 3)
	const n = 2000
	for range n {
		mo := w.moment()
		old := w.offers[w.rng.IntN(len(w.offers))]
		m.Score(mo, []*epilogue.Offer{good, &plain, old}, out)
		pg += out[0].PEngage
		pp += out[1].PEngage
		sdNew += out[1].Std / out[1].Value
		sdOld += out[2].Std / out[2].Value
	}
	t.Logf("new acme %.4f, new globex %.4f; relative std new %.3f old %.3f", pg/n, pp/n, sdNew/n, sdOld/n)
	if pg <= pp*1.3 {
		t.Errorf("new acme offer %.4f not above new globex offer %.4f: the advertiser prior is lost", pg/n, pp/n)
	}
	if sdNew <= 1.3*sdOld {
		t.Errorf("new offer relative std %.3f not above seen offers' %.3f", sdNew/n, sdOld/n)
	}
}

// Thompson sampling as the engine does it (Value + Std·z, best draw shown) gives a new offer
// traffic even against established offers with better expected values, and gives most of the
// traffic to the best offer.
func TestThompsonGivesNewOffersTraffic(t *testing.T) {
	w := newWorld(9, 8)
	m := trained(w, 40000)
	fresh := w.newOffer("off_fresh", "initech")
	offers := append([]*epilogue.Offer{fresh}, w.offers...)
	out := make([]epilogue.Estimate, len(offers))
	rng := rand.New(rand.NewPCG(1, 1))
	wins := make([]int, len(offers))
	const n = 5000
	for range n {
		m.Score(w.moment(), offers, out)
		best, bi := -1e9, 0
		for i, e := range out {
			if d := e.Value + e.Std*rng.NormFloat64(); d > best {
				best, bi = d, i
			}
		}
		wins[bi]++
	}
	t.Logf("wins %v", wins)
	share := float64(wins[0]) / n
	// Half a percent: the established offers draw from posteriors scaled by explorationScale,
	// the new one from its full prior (see explorationScale); it out-draws weaker offers.
	if share < 0.005 {
		t.Errorf("new offer won %.2f%% of draws: no exploration", 100*share)
	}
	top := 0
	for _, c := range wins[1:] {
		top = max(top, c)
	}
	if top < wins[0] {
		t.Errorf("the new offer (%d) out-drew every established offer (best %d)", wins[0], top)
	}
}

// Score allocates nothing in steady state, and the estimates agree with the training path's
// features (AppendFeatures + PredictFeatures).
func TestScoreAllocatesNothing(t *testing.T) {
	w := newWorld(1, 300)
	m := trained(w, 5000)
	mo := w.moment()
	out := make([]epilogue.Estimate, len(w.offers))
	m.Score(mo, w.offers, out)
	if a := testing.AllocsPerRun(50, func() { m.Score(mo, w.offers, out) }); a != 0 && !raceEnabled {
		t.Errorf("Score allocates %v times per call", a)
	}
	// Up to fullyScored candidates every estimate is complete (see retrieval).
	m.Score(mo, w.offers[:fullyScored], out)
	for i, o := range w.offers[:fullyScored] {
		p, _, _ := m.PredictFeatures(Engage, AppendFeatures(nil, mo, o))
		if !near(p, out[i].PEngage, 1e-9) {
			t.Fatalf("offer %d: Score %v, PredictFeatures %v", i, out[i].PEngage, p)
		}
	}
}

// Score remembers per-offer sums between calls (see offerInfo.pair): they must follow the
// model scored with, whether it is another model or the same one after an update.
func TestScoreFollowsTheModel(t *testing.T) {
	w := newWorld(4, 20)
	m := trained(w, 3000)
	other := trained(newWorld(5, 20), 3000)
	out := make([]epilogue.Estimate, len(w.offers))
	check := func(m *Model, step string) {
		t.Helper()
		mo := w.moment()
		m.Score(mo, w.offers, out)
		for i, o := range w.offers {
			p, _, _ := m.PredictFeatures(Engage, AppendFeatures(nil, mo, o))
			if !near(p, out[i].PEngage, 1e-9) {
				t.Fatalf("%s: offer %d: Score %v, PredictFeatures %v", step, i, out[i].PEngage, p)
			}
		}
	}
	check(m, "first")
	check(other, "another model")
	for _, o := range w.offers {
		m.UpdateFeatures(Engage, []Feature{{Value(fOfferID, o.ID), offerScale}}, true)
	}
	check(m, "updated")
	snap := m.Snapshot()
	for _, o := range w.offers {
		m.UpdateFeatures(Engage, []Feature{{Value(fOfferID, o.ID), offerScale}}, false)
	}
	check(snap, "snapshot")
	check(m, "updated again")
	c := m.Clone() // then both learn, differently, as many examples
	for _, o := range w.offers {
		m.UpdateFeatures(Engage, []Feature{{Value(fOfferID, o.ID), offerScale}}, true)
		c.UpdateFeatures(Engage, []Feature{{Value(fOfferID, o.ID), offerScale}}, false)
	}
	check(m, "original")
	check(c, "clone")
	var loaded Model
	blob, err := other.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	check(&loaded, "loaded")
	if err := loaded.UnmarshalBinary(must(m.MarshalBinary())); err != nil {
		t.Fatal(err)
	}
	check(&loaded, "reloaded in place")
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// Scoring goroutines read published snapshots while a trainer learns and publishes (run with
// -race to check the hand-over).
func TestScorerPublishWhileScoring(t *testing.T) {
	w := newWorld(2, 50)
	trainer := New(Config{Bits: 16})
	s := NewScorer(trainer)
	moments := make([]*epilogue.Moment, 64)
	for i := range moments {
		moments[i] = w.moment()
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]epilogue.Estimate, len(w.offers))
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				snap := s.Model()
				snap.Score(moments[i%len(moments)], w.offers, out)
				if out[0].PEngage <= 0 || out[0].PEngage >= 1 || snap.Version() == "" {
					t.Error("bad estimate")
					return
				}
			}
		}()
	}
	versions := map[string]bool{s.Version(): true}
	for i := range 2000 {
		o := w.offers[i%len(w.offers)]
		trainer.Update(moments[i%len(moments)], o, i%17 == 0)
		if i%500 == 0 {
			s.Publish(trainer)
			versions[s.Version()] = true
		}
	}
	close(stop)
	wg.Wait()
	if len(versions) != 5 {
		t.Errorf("versions %v, want 5 distinct", versions)
	}
}

func TestVersionNamesSnapshots(t *testing.T) {
	m := New(Config{Bits: 10})
	if m.Version() != "blr-0-0" {
		t.Fatalf("fresh version %q", m.Version())
	}
	m.UpdateFeatures(Engage, nil, true)
	m.UpdateFeatures(Engage, nil, false)
	s := m.Snapshot()
	if s.Version() != "blr-1-2" || m.Version() != "blr-1-2" {
		t.Fatalf("snapshot version %q, trainer %q", s.Version(), m.Version())
	}
	m.UpdateFeatures(Engage, nil, true)
	if s.tab[s.bias] == m.tab[m.bias] {
		t.Fatal("snapshot shares the trainer's weights")
	}
}

func BenchmarkScore300(b *testing.B) {
	w := newWorld(1, 300)
	m := trained(w, 20000)
	moments := make([]*epilogue.Moment, 16)
	for i := range moments {
		moments[i] = w.moment()
	}
	out := make([]epilogue.Estimate, len(w.offers))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Score(moments[i%len(moments)], w.offers, out)
	}
}

func BenchmarkUpdate(b *testing.B) {
	w := newWorld(1, 300)
	m := New(Config{})
	type ex struct {
		mo *epilogue.Moment
		o  *epilogue.Offer
		y  bool
	}
	exs := make([]ex, 4096)
	for i := range exs {
		mo := w.moment()
		o := w.offers[w.rng.IntN(len(w.offers))]
		exs[i] = ex{mo, o, w.rng.Float64() < w.truth(mo, o)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e := &exs[i%len(exs)]
		m.Update(e.mo, e.o, e.y)
	}
	b.ReportMetric(float64(len(AppendFeatures(nil, exs[0].mo, exs[0].o))), "features/op")
}
