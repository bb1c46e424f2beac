package eval

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue/learn"
)

// OBDOptions configures an off-policy evaluation on Open Bandit Dataset logs.
type OBDOptions struct {
	Dir           string    // holds one campaign's log, <campaign>.csv, and item_context.csv
	TrainFraction float64   // the earlier part of the log, in time order, the model learns from (0.7)
	Draws         int       // Thompson draws per context to estimate the policy's action probabilities (1000)
	Resamples     int       // bootstrap resamples for the intervals (1000)
	Seed          uint64    // seeds the draws and the bootstrap
	Progress      io.Writer // where progress goes (stderr); nil for none
}

func (o OBDOptions) withDefaults() OBDOptions {
	if o.TrainFraction == 0 {
		o.TrainFraction = 0.7
	}
	if o.Draws == 0 {
		o.Draws = 1000
	}
	if o.Resamples == 0 {
		o.Resamples = 1000
	}
	return o
}

// OBDReport is the outcome of an OBD evaluation. CTRs are fractions of impressions.
type OBDReport struct {
	Campaign    string  `json:"campaign"`
	Rows        int     `json:"rows"`
	TrainRows   int     `json:"train_rows"`
	TestRows    int     `json:"test_rows"`
	Items       int     `json:"items"`
	Positions   int     `json:"positions"`
	BehaviorCTR float64 `json:"behavior_ctr"` // observed on the test part
	// BehaviorCI is the bootstrap interval of the behaviour policy's CTR on the test part.
	BehaviorCI [2]Num `json:"behavior_ci"`
	// PolicyCTR estimates the learned Thompson-sampling policy's CTR on the test part.
	PolicyCTR OffPolicy `json:"policy_ctr"`
	// ESS is the effective sample size of the importance weights, (Σw)²/Σw².
	ESS Num `json:"effective_sample_size"`
	// PriorVariance is the model's prior variance, chosen by progressive validation on the
	// training part among Grid.
	PriorVariance float64   `json:"prior_variance"`
	Grid          []Trial   `json:"grid"`
	TestLogLoss   float64   `json:"test_logloss"` // of the reward model on the logged test actions
	Draws         int       `json:"draws"`
	Resamples     int       `json:"resamples"`
	Seed          uint64    `json:"seed"`
	Clicks        [2]int    `json:"clicks"` // in the training and test parts
	Span          [2]string `json:"span"`   // first and last timestamps
}

// Trial is one candidate setting and its progressive-validation log loss.
type Trial struct {
	PriorVariance float64 `json:"prior_variance"`
	CrossValue    float64 `json:"cross_value,omitempty"` // eval log: the value of a cross feature
	LogLoss       float64 `json:"logloss"`
}

// priorGrid holds the prior variances tried; the offline commands choose among them by
// progressive validation on their training part, never by the test part.
var priorGrid = []float64{0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3}

type obdItem struct {
	id   uint64          // feature hash of the item id
	feat []learn.Feature // the item's own features
	cats []uint64        // its categorical features, crossed with the user's
}

type affinity struct {
	item int32
	v    float32
}

type obdRow struct {
	t     stamp
	item  int32
	pos   int32 // from 1
	click bool
	prop  float64
	user  []uint64 // feature hashes of user_feature_*
	aff   []affinity
}

// obdFeatures builds the model's features for OBD: user features, the item's id and features,
// the user's affinity with the item, the position, and crosses of the item's id and categorical
// features with each user feature.
type obdFeatures struct {
	items   []obdItem
	fAff    uint64
	fAffLog uint64
}

var (
	obdItemField = learn.Field("obd_item")
	obdPosField  = learn.Field("obd_position")
)

func (f *obdFeatures) context(dst []learn.Feature, r *obdRow) []learn.Feature {
	for _, u := range r.user {
		dst = append(dst, learn.Feature{Hash: u, Value: 1})
	}
	return dst
}

// features appends the features of showing item a to the row's user at position pos (0: no
// position, for ranking).
func (f *obdFeatures) features(dst []learn.Feature, r *obdRow, a int, pos int32) []learn.Feature {
	dst = f.context(dst, r)
	it := &f.items[a]
	dst = append(dst, learn.Feature{Hash: it.id, Value: 3})
	dst = append(dst, it.feat...)
	for _, u := range r.user {
		dst = append(dst, learn.Feature{Hash: learn.Cross(it.id, u), Value: 1})
		for _, c := range it.cats {
			dst = append(dst, learn.Feature{Hash: learn.Cross(c, u), Value: 1})
		}
	}
	for _, af := range r.aff {
		if int(af.item) == a {
			dst = append(dst, learn.Feature{Hash: f.fAff, Value: 1},
				learn.Feature{Hash: f.fAffLog, Value: float32(math.Log1p(float64(af.v)))})
		}
	}
	if pos > 0 {
		dst = append(dst, learn.Feature{Hash: learn.Int(obdPosField, int64(pos)), Value: 1})
	}
	return dst
}

// OBD trains the relevance model on the earlier part of an Open Bandit Dataset log and
// estimates, on the later part, the click rate of the Thompson-sampling policy it would run.
func OBD(ctx context.Context, opt OBDOptions) (*OBDReport, error) {
	opt = opt.withDefaults()
	pr := newProgress(opt.Progress, "obd")
	logPath, err := findCampaign(opt.Dir)
	if err != nil {
		return nil, err
	}
	fx, itemIndex, err := loadItems(filepath.Join(opt.Dir, "item_context.csv"))
	if err != nil {
		return nil, err
	}
	rows, err := loadOBDLog(ctx, logPath, itemIndex, pr)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].t.before(rows[j].t) })
	rep := &OBDReport{
		Campaign: strings.TrimSuffix(filepath.Base(logPath), ".csv"), Rows: len(rows), Items: len(fx.items),
		Draws: opt.Draws, Resamples: opt.Resamples, Seed: opt.Seed,
	}
	if rep.TrainRows, err = split(logPath, len(rows), opt.TrainFraction); err != nil {
		return nil, err
	}
	rep.TestRows = len(rows) - rep.TrainRows
	for _, r := range rows {
		rep.Positions = max(rep.Positions, int(r.pos))
	}
	rep.Span = [2]string{ts(rows[0].t), ts(rows[len(rows)-1].t)}
	train, test := rows[:rep.TrainRows], rows[rep.TrainRows:]
	for _, r := range train {
		if r.click {
			rep.Clicks[0]++
		}
	}
	pr.say("%s: %d rows, %d items, %d positions; training on %d rows (%d clicks)", rep.Campaign, len(rows), len(fx.items), rep.Positions, len(train), rep.Clicks[0])

	model, trials := fitOBD(fx, train)
	rep.Grid = trials
	rep.PriorVariance = model.Config().PriorVariance
	pr.say("prior variance %g chosen by progressive validation on the training part", rep.PriorVariance)

	logged, testLoss, err := policyOnTest(ctx, fx, model, test, rep.Positions, opt, pr)
	if err != nil {
		return nil, err
	}
	rep.TestLogLoss = testLoss
	var clicks, sw, sw2 float64
	beh := make([]Logged, len(test))
	for i, r := range test {
		if r.click {
			clicks++
			rep.Clicks[1]++
		}
		w := logged[i].Target / logged[i].Propensity
		sw += w
		sw2 += w * w
		beh[i] = Logged{Reward: logged[i].Reward, Propensity: 1, Target: 1}
	}
	rep.BehaviorCTR = clicks / float64(len(test))
	rep.BehaviorCI = EstimatePolicy(beh, opt.Resamples, opt.Seed).IPS.CI
	if sw2 > 0 {
		rep.ESS = Num(sw * sw / sw2)
	}
	rep.PolicyCTR = EstimatePolicy(logged, opt.Resamples, opt.Seed)
	if err := rep.undefined(); err != nil {
		return nil, fmt.Errorf("%s: %w", logPath, err)
	}
	return rep, nil
}

// undefined reports an estimate that came out NaN or infinite. Input checks should leave none,
// but a report that shows one as null, or fails to print, would pass off a broken
// evaluation as a result.
func (rep *OBDReport) undefined() error {
	var bad []string
	check := func(name string, v ...Num) {
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				bad = append(bad, name)
				return
			}
		}
	}
	check("the behaviour policy's CTR", Num(rep.BehaviorCTR), rep.BehaviorCI[0], rep.BehaviorCI[1])
	for _, e := range []struct {
		name string
		iv   Interval
	}{{"IPS", rep.PolicyCTR.IPS}, {"SNIPS", rep.PolicyCTR.SNIPS}, {"DR", rep.PolicyCTR.DR}} {
		check(e.name, e.iv.Value, e.iv.CI[0], e.iv.CI[1])
	}
	check("the effective sample size", rep.ESS)
	check("the reward model's test log loss", Num(rep.TestLogLoss))
	if bad == nil {
		return nil
	}
	return fmt.Errorf("undefined estimates (NaN or infinite) of %s: the importance weights or the reward model broke down on the test part (%d rows, %d clicks)",
		strings.Join(bad, ", "), rep.TestRows, rep.Clicks[1])
}

func ts(s stamp) string {
	return time.Unix(s.sec, int64(s.nsec)).In(time.FixedZone("", int(s.offset))).Format(time.RFC3339)
}

// fitOBD trains one model per prior variance of the grid, each predicting every training row
// before learning it, and returns the one with the least progressive log loss.
func fitOBD(fx *obdFeatures, train []obdRow) (*learn.Model, []Trial) {
	models := make([]*learn.Model, len(priorGrid))
	loss := make([]float64, len(priorGrid))
	for i, v := range priorGrid {
		models[i] = learn.New(learnConfig(v, 18))
	}
	var x []learn.Feature
	for i := range train {
		r := &train[i]
		x = fx.features(x[:0], r, int(r.item), r.pos)
		for k, m := range models {
			p, _, _ := m.PredictFeatures(learn.Engage, x)
			loss[k] += logLoss(p, r.click)
			m.UpdateFeatures(learn.Engage, x, r.click)
		}
	}
	best := 0
	trials := make([]Trial, len(priorGrid))
	for k := range models {
		trials[k] = Trial{PriorVariance: priorGrid[k], LogLoss: loss[k] / float64(len(train))}
		if loss[k] < loss[best] {
			best = k
		}
	}
	return models[best], trials
}

// learnConfig is the model configuration of the offline commands: nothing is known of a log in
// advance, so the bias starts at a few percent with a wide prior.
func learnConfig(priorVariance float64, bits int) learn.Config {
	return learn.Config{Bits: bits, PriorVariance: priorVariance, EngageRate: 0.05, BiasVariance: 4}
}
