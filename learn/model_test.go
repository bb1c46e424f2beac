package learn

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"

	"github.com/epiloguehq/epilogue"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// The posterior after one example, worked by hand: with only the bias (prior N(0, 1)) and a
// click, the mode s solves s = 1 - σ(s), s = 0.401058…, and the precision grows by σ(s)(1-σ(s)).
func TestUpdateOneExampleByHand(t *testing.T) {
	m := New(Config{Bits: 8, PriorVariance: 1, BiasVariance: 1, EngageRate: 0.5})
	m.UpdateFeatures(Engage, nil, true)
	b := m.tab[m.bias]
	if !near(float64(b[0]), 0.40105813754154696, 1e-6) || !near(float64(b[1]), 0.8063147293687699, 1e-6) {
		t.Fatalf("bias posterior = N(%v, %v), want N(0.401058, 0.806315)", b[0], b[1])
	}
	if b[2] != float32(logit(0.1)) || b[3] != 1 {
		t.Fatalf("convert head moved: %v", b)
	}

	// Bias and one feature, both N(0, 1), no click: s + 2σ(s) = 0, s = -0.674832, and each
	// weight moves by -σ(s) = -0.337416.
	m = New(Config{Bits: 8, PriorVariance: 1, BiasVariance: 1, EngageRate: 0.5})
	a := Field("a")
	if a>>m.shift == m.bias {
		t.Fatal("test feature collides with the bias")
	}
	m.UpdateFeatures(Engage, []Feature{{a, 1}}, false)
	for _, e := range []entry{m.tab[m.bias], m.tab[a>>m.shift]} {
		if !near(float64(e[0]), -0.3374158071711997, 1e-6) || !near(float64(e[1]), 0.817282998411617, 1e-6) {
			t.Fatalf("posterior = N(%v, %v), want N(-0.337416, 0.817283)", e[0], e[1])
		}
	}
	if m.Updates() != 1 {
		t.Fatalf("Updates = %d", m.Updates())
	}
}

// The update's mean must be the exact mode of prior × likelihood, found here independently by
// gradient descent on the full objective, for an example with unequal priors and values.
func TestUpdateIsPosteriorMode(t *testing.T) {
	m := New(Config{Bits: 12, PriorVariance: 0.5, BiasVariance: 2, EngageRate: 0.1})
	rng := rand.New(rand.NewPCG(1, 2))
	var x []Feature
	for i := range 6 {
		x = append(x, Feature{Field("f" + strconv.Itoa(i)), float32(0.5 + rng.Float64())})
	}
	for range 20 { // make the priors unequal
		m.UpdateFeatures(Engage, x[:1+rng.IntN(len(x))], rng.IntN(3) == 0)
	}
	slots := []uint64{m.bias}
	vals := []float64{1}
	for _, f := range x {
		slots = append(slots, f.Hash>>m.shift)
		vals = append(vals, float64(f.Value))
	}
	mean, vari := make([]float64, len(slots)), make([]float64, len(slots))
	for i, s := range slots {
		mean[i], vari[i] = float64(m.tab[s][0]), float64(m.tab[s][1])
	}
	// Minimise ½Σ(w_i-m_i)²/v_i + log(1+e^{-s}) (a click) by gradient descent.
	w := append([]float64(nil), mean...)
	for range 200000 {
		s := 0.0
		for i := range w {
			s += w[i] * vals[i]
		}
		g := sigmoid(s) - 1
		for i := range w {
			w[i] -= 0.01 * ((w[i]-mean[i])/vari[i] + g*vals[i])
		}
	}
	m.UpdateFeatures(Engage, x, true)
	for i, s := range slots {
		if !near(float64(m.tab[s][0]), w[i], 1e-4) {
			t.Fatalf("weight %d: update gives %v, mode is %v", i, m.tab[s][0], w[i])
		}
		if m.tab[s][1] >= float32(vari[i]) {
			t.Fatalf("weight %d: variance did not shrink", i)
		}
	}
}

func TestSolveMode(t *testing.T) {
	for _, c := range []struct{ mu, v, t float64 }{{0, 1, 1}, {-8, 30, 1}, {5, 50, 0}, {0, 0, 1}, {-3, 1e-6, 0}, {20, 200, 0}} {
		s := solveMode(c.mu, c.v, c.t)
		if f := s - c.mu + c.v*(sigmoid(s)-c.t); math.Abs(f) > 1e-8*(1+c.v) {
			t.Errorf("solveMode(%v) = %v, residual %v", c, s, f)
		}
	}
}

// The model learns the synthetic world's preferences from impressions, ranks well on new data
// and stays calibrated: a reliability table by decile of prediction matches observed rates.
func TestLearnsPreferenceAndCalibrated(t *testing.T) {
	w := newWorld(42, 30)
	m := New(Config{})
	n := 60000
	if testing.Short() {
		n = 25000
	}
	for range n {
		mo := w.moment()
		o := w.offers[w.rng.IntN(len(w.offers))]
		m.Update(mo, o, w.rng.Float64() < w.truth(mo, o))
	}
	const test = 20000
	p, tp := make([]float64, test), make([]float64, test)
	y := make([]bool, test)
	out := make([]epilogue.Estimate, 1)
	for i := range test {
		mo := w.moment()
		o := w.offers[w.rng.IntN(len(w.offers))]
		m.Score(mo, []*epilogue.Offer{o}, out)
		p[i], tp[i] = out[0].PEngage, w.truth(mo, o)
		y[i] = w.rng.Float64() < tp[i]
	}
	got, best := auc(p, y), auc(tp, y)
	t.Logf("AUC %.4f (true probabilities: %.4f)", got, best)
	if got < best-0.03 {
		t.Errorf("AUC %.4f, want within 0.03 of the truth's %.4f", got, best)
	}
	rows := reliability(p, y, 10)
	var sumP, sumY float64
	for _, r := range rows {
		t.Logf("predicted %.4f observed %.4f (n=%d)", r.pred, r.rate, r.n)
		// Three standard errors of the observed rate, plus a little for the model's own error.
		se := math.Sqrt(r.pred * (1 - r.pred) / float64(r.n))
		if math.Abs(r.pred-r.rate) > 3*se+0.005 {
			t.Errorf("decile predicted %.4f observed %.4f: not calibrated", r.pred, r.rate)
		}
		sumP, sumY = sumP+r.pred, sumY+r.rate
	}
	if math.Abs(sumP/sumY-1) > 0.1 {
		t.Errorf("mean prediction %.4f, observed rate %.4f", sumP/10, sumY/10)
	}
}

type bin struct {
	pred, rate float64
	n          int
}

func reliability(p []float64, y []bool, k int) []bin {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sortByP(idx, p)
	var out []bin
	for d := range k {
		lo, hi := d*len(idx)/k, (d+1)*len(idx)/k
		var b bin
		for _, i := range idx[lo:hi] {
			b.pred += p[i]
			if y[i] {
				b.rate++
			}
		}
		b.n = hi - lo
		b.pred /= float64(b.n)
		b.rate /= float64(b.n)
		out = append(out, b)
	}
	return out
}

func sortByP(idx []int, p []float64) {
	sort.Slice(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
}

func TestConvertHeadLearnsSeparately(t *testing.T) {
	w := newWorld(3, 4)
	m := New(Config{})
	mo := w.moment()
	o := w.offers[0]
	for range 3000 {
		m.UpdateConvert(mo, o, true)
	}
	out := make([]epilogue.Estimate, 1)
	m.Score(mo, []*epilogue.Offer{o}, out)
	q := out[0].PConvert / out[0].PEngage
	if q < 0.9 || out[0].PEngage > 0.2 {
		t.Fatalf("p(convert|engaged) = %.3f, p(engage) = %.3f: heads mixed up", q, out[0].PEngage)
	}
	if want := o.ValueOf(out[0].PEngage, out[0].PConvert); out[0].Value != want {
		t.Fatalf("Value %v, ValueOf gives %v", out[0].Value, want)
	}
}

func TestLabelFolds(t *testing.T) {
	f := Field("category")
	for _, c := range [][2]string{{"Coffee Machines ", "coffee machines"}, {" TEA", "tea"}, {"ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{", "abcdefghijklmnopqrstuvwxyz@[`{"}, {"Épicerie", "Épicerie"}} {
		if Label(f, c[0]) != Label(f, c[1]) {
			t.Errorf("Label(%q) != Label(%q)", c[0], c[1])
		}
	}
	for _, c := range [][2]string{{"tea", "Tea2"}, {"a", "a\x00"}, {"@", "`"}, {"[", "{"}} {
		if Label(f, c[0]) == Label(f, c[1]) {
			t.Errorf("Label(%q) == Label(%q)", c[0], c[1])
		}
	}
	if Value(f, "Tea") == Value(f, "tea") || Value(f, "x") == Value(Field("other"), "x") {
		t.Error("Value folds or ignores its field")
	}
}

func TestExp(t *testing.T) {
	for x := -40.0; x <= 40; x += 0.001 {
		if got, want := exp(x), math.Exp(x); math.Abs(got-want) > 1e-12*want {
			t.Fatalf("exp(%v) = %v, want %v", x, got, want)
		}
	}
}
