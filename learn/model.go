// Package learn is Epilogue's relevance model: hashed features of a moment and an offer, and an
// online Bayesian logistic regression with a diagonal Gaussian posterior (Chapelle & Li 2011)
// for two heads, p(engage | shown) and p(convert | engaged). The posterior mean and variance of
// each score let the decision engine explore by Thompson sampling.
package learn

import (
	"math"
	"strconv"
	"sync/atomic"
)

// Head names one of the model's two predictions.
type Head int

// The two heads.
const (
	Engage  Head = iota // p(engage | shown), learned from every impression
	Convert             // p(convert | engaged), learned from engaged impressions only
)

// Config sets a model's size and priors; zero fields take the defaults.
type Config struct {
	// Bits is the log2 of the number of weight slots (default 20: a million slots, 16 MiB).
	Bits int
	// PriorVariance is the prior variance of a weight whose feature has value 1 (default 0.02).
	// Feature values scale it: an offer's own fields carry value 3, so their effects may be three
	// times as large as a cross's. Small, because an example has dozens of crosses and the
	// prior on their sum is what keeps a model on sparse data from over-confidence.
	PriorVariance float64
	// MinVariance floors each posterior variance (default 1e-4), so weights that have seen a
	// great deal of traffic still move when behaviour drifts.
	MinVariance float64
	// EngageRate and ConvertRate are the base rates the bias starts from (defaults 0.02, 0.1).
	EngageRate, ConvertRate float64
	// BiasVariance is the prior variance of the bias (default 1): base rates are known only
	// roughly, and the bias sees every example, so its prior is soon forgotten.
	BiasVariance float64
}

func (c Config) withDefaults() Config {
	if c.Bits == 0 {
		c.Bits = 20
	}
	if c.PriorVariance == 0 {
		c.PriorVariance = 0.02
	}
	if c.MinVariance == 0 {
		c.MinVariance = 1e-4
	}
	if c.EngageRate == 0 {
		c.EngageRate = 0.02
	}
	if c.ConvertRate == 0 {
		c.ConvertRate = 0.1
	}
	if c.BiasVariance == 0 {
		c.BiasVariance = 1
	}
	return c
}

func (c Config) valid() bool {
	ok := func(x float64) bool { return x > 0 && !math.IsInf(x, 0) }
	return c.Bits >= 4 && c.Bits <= 28 && ok(c.PriorVariance) && ok(c.MinVariance) && ok(c.BiasVariance) &&
		c.EngageRate > 0 && c.EngageRate < 1 && c.ConvertRate > 0 && c.ConvertRate < 1
}

// entry holds both heads' posterior of one weight slot side by side, so one cache line serves
// both: engage mean, engage variance, convert mean, convert variance.
type entry [4]float32

// Model is the posterior of both heads over hashed weights. Update methods mutate it and are
// not safe for concurrent use; score only with a snapshot nobody updates (see Scorer).
type Model struct {
	cfg     Config
	shift   uint
	bias    uint64 // slot of the implicit bias feature
	tab     []entry
	updates uint64 // examples learned, both heads
	seq     uint64 // snapshots taken from this lineage
	version string
	// ident tells this model's weights from those of every other Model in the process: with
	// updates, it says whether sums a pooled moment remembers still hold (see offerInfo.pair).
	ident uint64
}

var idents atomic.Uint64

var biasHash = Field("bias")

// New returns a model that knows nothing but its priors.
func New(cfg Config) *Model {
	cfg = cfg.withDefaults()
	if !cfg.valid() {
		panic("learn: invalid Config")
	}
	m := &Model{cfg: cfg, shift: uint(64 - cfg.Bits), ident: idents.Add(1)}
	m.bias = biasHash >> m.shift
	m.tab = make([]entry, 1<<cfg.Bits)
	v := float32(cfg.PriorVariance)
	for i := range m.tab {
		m.tab[i] = entry{0, v, 0, v}
	}
	m.tab[m.bias] = m.biasPrior()
	m.version = m.makeVersion()
	return m
}

func (m *Model) biasPrior() entry {
	bv := float32(m.cfg.BiasVariance)
	return entry{float32(logit(m.cfg.EngageRate)), bv, float32(logit(m.cfg.ConvertRate)), bv}
}

// Config returns the model's configuration with defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// Updates returns the number of examples the model has learned from, both heads together.
func (m *Model) Updates() uint64 { return m.updates }

// Version names the model: its snapshot number and the examples it had learned then.
func (m *Model) Version() string { return m.version }

func (m *Model) makeVersion() string {
	return "blr-" + strconv.FormatUint(m.seq, 10) + "-" + strconv.FormatUint(m.updates, 10)
}

// Clone returns an independent copy of the model.
func (m *Model) Clone() *Model {
	c := *m
	c.ident = idents.Add(1)
	c.tab = make([]entry, len(m.tab))
	copy(c.tab, m.tab)
	return &c
}

// Snapshot returns a copy for scoring, under a new version; the receiver keeps learning.
func (m *Model) Snapshot() *Model {
	m.seq++
	m.version = m.makeVersion()
	return m.Clone()
}

// PredictFeatures returns a head's probability for a feature vector (the bias is implicit),
// with the posterior mean and variance of its logit.
//
// The probability is σ(mean), not the posterior predictive E[σ(s)]: the diagonal posterior
// overstates the variance of a score whose features are correlated (one offer crossed with
// every context field), and moderating by that variance biased rare-event probabilities
// upward in backtests, where σ(mean) was calibrated. The variance serves exploration.
func (m *Model) PredictFeatures(h Head, x []Feature) (p, mean, variance float64) {
	o := int(h) * 2
	b := &m.tab[m.bias]
	mean, variance = float64(b[o]), float64(b[o+1])
	for _, f := range x {
		e := &m.tab[f.Hash>>m.shift]
		v := float64(f.Value)
		mean += float64(e[o]) * v
		variance += float64(e[o+1]) * v * v
	}
	return sigmoid(mean), mean, variance
}

// UpdateFeatures learns one example for a head: the exact Laplace approximation of the
// posterior after one observation, given the diagonal Gaussian prior the model holds.
func (m *Model) UpdateFeatures(h Head, x []Feature, y bool) {
	o := int(h) * 2
	_, mean, variance := m.PredictFeatures(h, x)
	t := 0.0
	if y {
		t = 1
	}
	// With a diagonal prior N(m_i, v_i), the mode w of the posterior after one example
	// satisfies w_i = m_i - (σ(s)-t)·x_i·v_i, where s = w·x; summing gives the scalar
	// equation s = μ - v·(σ(s)-t) with μ = m·x and v = Σ x_i² v_i, solved below. The
	// precision of each weight then grows by x_i²·σ(s)(1-σ(s)), the Hessian at the mode.
	s := solveMode(mean, variance, t)
	p := sigmoid(s)
	r, hess := p-t, p*(1-p)
	m.step(&m.tab[m.bias], o, 1, r, hess)
	for _, f := range x {
		m.step(&m.tab[f.Hash>>m.shift], o, float64(f.Value), r, hess)
	}
	m.updates++
}

func (m *Model) step(e *entry, o int, x, r, hess float64) {
	v := float64(e[o+1])
	e[o] = float32(float64(e[o]) - r*x*v)
	nv := v / (1 + v*x*x*hess)
	if nv < m.cfg.MinVariance {
		nv = m.cfg.MinVariance
	}
	e[o+1] = float32(nv)
}

// solveMode solves s + v·(σ(s) - t) = μ for s. The left side increases with slope at least 1,
// and the root lies within v of μ, so safeguarded Newton converges in a few steps.
func solveMode(mu, v, t float64) float64 {
	lo, hi := mu-v, mu+v
	if t > 0 {
		lo = mu
	} else {
		hi = mu
	}
	s := mu
	for range 50 {
		p := sigmoid(s)
		f := s - mu + v*(p-t)
		if f > 0 {
			hi = s
		} else {
			lo = s
		}
		next := s - f/(1+v*p*(1-p))
		if next <= lo || next >= hi {
			next = (lo + hi) / 2
		}
		if math.Abs(next-s) < 1e-10 {
			return next
		}
		s = next
	}
	return s
}

func sigmoid(x float64) float64 {
	if x < -35 {
		x = -35
	} else if x > 35 {
		x = 35
	}
	return 1 / (1 + exp(-x))
}

// exp is e^x for |x| ≤ 40, to about 3e-16 relative error. math.Exp was a fifth of Score's
// time: every candidate needs two sigmoids, and every update several. x is split as
// (256·n + j)·ln2/256 + r with |r| ≤ ln2/512, so e^x = 2^n · 2^(j/256) · e^r, the middle
// factor from a table and e^r from four terms of its series (the fifth is below 4e-17). A
// Taylor series of degree 10 on |r| ≤ ln2/2, which this replaced, was twice as slow: its
// twenty dependent operations were the critical path of scoring a candidate.
func exp(x float64) float64 {
	const (
		shifter = 0x1.8p52 // adding it rounds to an integer, left in the low bits
		n256ln2 = 256 / math.Ln2
		ln2hi   = 6.93147180369123816490e-01 / 256 // ln 2 / 256 in two parts, so r keeps its precision
		ln2lo   = 1.90821492927058770002e-10 / 256
	)
	z := x*n256ln2 + shifter
	k := z - shifter
	r := x - k*ln2hi - k*ln2lo
	i := int64(math.Float64bits(z) - math.Float64bits(shifter))
	t := exp2Table[i&255]
	r2 := r * r
	p := r + r2*(1.0/2+r*(1.0/6)+r2*(1.0/24))
	t = math.Float64frombits(math.Float64bits(t) + uint64(i>>8)<<52) // · 2^(i>>8)
	return t + t*p
}

// exp2Table holds 2^(j/256).
var exp2Table = func() (t [256]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 256)
	}
	return t
}()

func logit(p float64) float64 { return math.Log(p / (1 - p)) }
