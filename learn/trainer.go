package learn

import (
	"container/heap"
	"context"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Defaults of a trainer's windows.
const (
	DefaultEngagementWindow = 30 * time.Minute
	DefaultConversionWindow = 24 * time.Hour
	DefaultGrace            = time.Minute
	DefaultJoinWindow       = 5 * time.Minute
)

// Catalog is what the trainer needs to know of shops and offers: an offer as it is now, and
// the time zone a shop's decisions saw the time in.
type Catalog interface {
	Offer(shopID, offerID string) *epilogue.Offer
	Location(shopID string) *time.Location
}

// DecisionSource returns a stored decision, for an impression whose decision record has left
// the trainer's memory (an email opened hours later, or examples pending across a restart).
type DecisionSource interface {
	Decision(ctx context.Context, shopID, id string) (*epilogue.Decision, error)
}

// TrainerConfig sets a trainer's windows and collaborators; zero durations take the defaults.
type TrainerConfig struct {
	// EngagementWindow: an impression is a positive for the engage head when the customer
	// engages within it (default 30 min).
	EngagementWindow time.Duration
	// ConversionWindows: per payout model (cpa, cpc, none), how long after an impression a
	// conversion still counts (default 24 h). A conversion later than that is not a positive
	// for that impression: it is counted as late and learned from nowhere.
	ConversionWindows map[string]time.Duration
	// Grace is how long after a window closes the trainer waits for events that happened inside
	// it but reached the log late (default 1 min). An event read after that changes nothing.
	Grace time.Duration
	// JoinWindow is how long decision records stay in memory for their impressions to join
	// them, and how long an engagement waits for an impression that has not arrived (default
	// 5 min). Later impressions fetch their decision from Decisions.
	JoinWindow time.Duration
	Catalog    Catalog
	Decisions  DecisionSource // optional
}

func (c TrainerConfig) withDefaults() TrainerConfig {
	if c.EngagementWindow <= 0 {
		c.EngagementWindow = DefaultEngagementWindow
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.JoinWindow <= 0 {
		c.JoinWindow = DefaultJoinWindow
	}
	return c
}

func (c *TrainerConfig) conversionWindow(payout string) time.Duration {
	if w, ok := c.ConversionWindows[payout]; ok && w > 0 {
		return w
	}
	return DefaultConversionWindow
}

// TrainerStats counts what a trainer did with what it read.
type TrainerStats struct {
	Impressions     int64 `json:"impressions"`      // examples started
	Engage          int64 `json:"engage_examples"`  // learned by the engage head
	EngagePositive  int64 `json:"engage_positive"`  // of which engaged
	Convert         int64 `json:"convert_examples"` // learned by the convert head (engaged impressions)
	ConvertPositive int64 `json:"convert_positive"` // of which converted
	Duplicates      int64 `json:"duplicate_impressions"`
	Late            int64 `json:"late_events"`    // after their window, or after their example was learned
	Orphans         int64 `json:"orphan_events"`  // engagements and conversions whose impression never came
	NoDecision      int64 `json:"no_decision"`    // examples dropped: their decision record was not found
	NoOffer         int64 `json:"no_offer"`       // examples dropped: their offer is gone
	Pending         int   `json:"pending"`        // examples waiting for a window to close
	Skipped         int64 `json:"skipped_before"` // examples a checkpoint had learned already (after a restart)
}

// Trainer turns the decision and event logs into training examples. An impression becomes an
// engage example when its engagement window closes (by the injected clock, plus the grace),
// labelled with whether an engagement (or a conversion) inside the window was read by then;
// an engaged impression becomes a convert example when the conversion window of its offer's
// payout model closes. Each (decision, offer) is learned once: pending impressions are kept by
// that key until their windows close, and finished keys are remembered so a repeated
// impression is not learned again.
//
// Restarts are exact by construction: an example is learned when the trainer's clock passes
// its window, so a checkpoint taken at time T holds exactly the examples whose windows closed
// by T. On restart the trainer re-reads the logs from the oldest event any pending example was
// built from, and skips the examples whose windows closed by T.
//
// A Trainer is not safe for concurrent use.
type Trainer struct {
	cfg   TrainerConfig
	model *Model

	pending map[exKey]*example
	queue   exQueue
	waiting map[string][]*example // decision id -> examples whose decision is not in memory
	recent  map[string]*recentDecision
	fifo    []*recentDecision // recent, oldest first
	early   map[exKey]*earlyEvents
	order   []exKey // early, oldest first
	done    keySet
	made    uint64 // examples started, for a stable order among equal deadlines

	decRead, evRead int64     // the logs are read through these seqs
	through         time.Time // every example whose window closed by then is learned
	stats           TrainerStats
}

// exKey names one shown offer: the decision and the offer.
type exKey struct{ decision, offer string }

type recentDecision struct {
	d      *epilogue.Decision
	cursor int64 // re-reading the decision log after it finds d again
}

// NewTrainer returns a trainer that learns into m from the beginning of the logs.
func NewTrainer(cfg TrainerConfig, m *Model) *Trainer {
	return &Trainer{
		cfg: cfg.withDefaults(), model: m,
		pending: map[exKey]*example{}, waiting: map[string][]*example{},
		recent: map[string]*recentDecision{}, early: map[exKey]*earlyEvents{},
	}
}

// Resume returns a trainer that goes on from a checkpoint: it learns into a copy of the
// checkpoint's model (which may be serving) and reads the logs after its cursors.
func Resume(cfg TrainerConfig, cp *Checkpoint) *Trainer {
	t := NewTrainer(cfg, cp.Model.Clone())
	t.decRead, t.evRead, t.through = cp.DecisionCursor, cp.EventCursor, cp.Through
	return t
}

// Model returns the model being trained. It changes under every call of the trainer; score
// with a Snapshot of it.
func (t *Trainer) Model() *Model { return t.model }

// Stats returns the trainer's counts.
func (t *Trainer) Stats() TrainerStats {
	s := t.stats
	s.Pending = len(t.pending)
	return s
}

// AddDecision makes a decision record known; cursor is a position of the decision log from
// which re-reading finds it again (0 when there is no log). Decisions that showed nothing are
// of no use and are dropped.
func (t *Trainer) AddDecision(d *epilogue.Decision, cursor int64) {
	if len(d.Offers) == 0 || d.Arm == epilogue.ArmHoldout {
		return
	}
	if _, ok := t.recent[d.ID]; ok {
		return
	}
	d = forLearning(d)
	r := &recentDecision{d: d, cursor: cursor}
	t.recent[d.ID] = r
	t.fifo = append(t.fifo, r)
	for _, ex := range t.waiting[d.ID] {
		ex.d, ex.dcursor = d, cursor
	}
	delete(t.waiting, d.ID)
}

// AddEvent reads one offer event; cursor is a position of the event log from which
// re-reading finds it again (0 when there is no log).
func (t *Trainer) AddEvent(ev *epilogue.Event, cursor int64) {
	switch ev.Type {
	case epilogue.EventImpression, epilogue.EventEngagement, epilogue.EventConversion:
	default:
		return // a dismissal or a close only confirms the negative the window will give
	}
	k := exKey{ev.DecisionID, ev.OfferID}
	if t.done.has(k) {
		if ev.Type == epilogue.EventImpression {
			t.stats.Duplicates++
		} else {
			t.stats.Late++
		}
		return
	}
	ex := t.pending[k]
	switch {
	case ex != nil && ev.Type == epilogue.EventImpression:
		t.stats.Duplicates++
	case ex != nil:
		t.label(ex, ev)
		ex.cursor = min(ex.cursor, cursor)
	case ev.Type != epilogue.EventImpression:
		t.stash(k, ev, cursor)
	default:
		ex = t.start(k, ev, cursor)
		if e := t.early[k]; e != nil {
			for _, x := range e.events {
				t.label(ex, x)
			}
			ex.cursor = min(ex.cursor, e.cursor)
			delete(t.early, k)
		}
	}
}

// start makes a pending example of a first impression.
func (t *Trainer) start(k exKey, ev *epilogue.Event, cursor int64) *example {
	payout := ""
	if o := t.cfg.Catalog.Offer(ev.ShopID, ev.OfferID); o != nil {
		payout = o.Payout.Model
	}
	ex := &example{key: k, shop: ev.ShopID, cursor: cursor, shown: ev.Time, n: t.made,
		engageBy: ev.Time.Add(t.cfg.EngagementWindow), convertBy: ev.Time.Add(t.cfg.conversionWindow(payout))}
	t.made++
	ex.due = ex.engageBy.Add(t.cfg.Grace)
	if r := t.recent[k.decision]; r != nil {
		ex.d, ex.dcursor = r.d, r.cursor
	} else {
		t.waiting[k.decision] = append(t.waiting[k.decision], ex)
	}
	t.pending[k] = ex
	heap.Push(&t.queue, ex)
	t.stats.Impressions++
	return ex
}

// label applies an engagement or a conversion to a pending example. A conversion implies an
// engagement when it falls inside the engagement window (the click may not have been sent).
func (t *Trainer) label(ex *example, ev *epilogue.Event) {
	switch ev.Type {
	case epilogue.EventEngagement:
		switch {
		case ex.stage != stageEngage:
			t.stats.Late++ // the engage example is learned; the label is final
		case ev.Time.After(ex.engageBy):
			t.stats.Late++
		default:
			ex.engaged = true
		}
	case epilogue.EventConversion:
		if ev.Time.After(ex.convertBy) {
			t.stats.Late++
			return
		}
		ex.converted = true
		if ex.stage == stageEngage && !ev.Time.After(ex.engageBy) {
			ex.engaged = true
		}
	}
}

// Train learns every example whose window has closed by now, in the order the windows close,
// and returns how many it learned.
func (t *Trainer) Train(now time.Time) int {
	learned := 0
	for len(t.queue) > 0 && !t.queue[0].due.After(now) {
		ex := heap.Pop(&t.queue).(*example)
		fresh := ex.due.After(t.through) // not in the checkpoint this trainer resumed from
		switch ex.stage {
		case stageEngage:
			if fresh && t.learn(ex, Engage) {
				learned++
			} else if !fresh {
				t.stats.Skipped++
			}
			if ex.engaged {
				ex.stage = stageConvert
				ex.due = maxTime(ex.convertBy.Add(t.cfg.Grace), ex.due)
				heap.Push(&t.queue, ex)
				continue
			}
		case stageConvert:
			if fresh && t.learn(ex, Convert) {
				learned++
			} else if !fresh {
				t.stats.Skipped++
			}
		}
		t.finish(ex)
	}
	t.through = maxTime(t.through, now)
	t.expire(now)
	return learned
}

// learn updates one head with one example, rebuilding its features from the decision record
// joined to the offer. It reports whether the example could be learned.
func (t *Trainer) learn(ex *example, h Head) bool {
	if ex.d == nil {
		t.stats.NoDecision++
		return false
	}
	o := t.cfg.Catalog.Offer(ex.shop, ex.key.offer)
	if o == nil {
		t.stats.NoOffer++
		return false
	}
	mo := t.moment(ex.d)
	if h == Engage {
		t.model.Update(&mo, o, ex.engaged)
		t.stats.Engage++
		if ex.engaged {
			t.stats.EngagePositive++
		}
		return true
	}
	t.model.UpdateConvert(&mo, o, ex.converted)
	t.stats.Convert++
	if ex.converted {
		t.stats.ConvertPositive++
	}
	return true
}

var noHistory = &epilogue.History{}

// moment rebuilds what the scorer saw from a decision record: the engine always passes a
// history (an empty one for a customer it knows nothing of) and the shop's local time.
func (t *Trainer) moment(d *epilogue.Decision) epilogue.Moment {
	h := d.History
	if h == nil {
		h = noHistory
	}
	loc := t.cfg.Catalog.Location(d.ShopID)
	if loc == nil {
		loc = time.UTC
	}
	return epilogue.Moment{ShopID: d.ShopID, Surface: d.Surface, Placement: d.PlacementID, Request: d.Request,
		History: h, Returning: d.Returning, Time: d.Time.In(loc)}
}

func (t *Trainer) finish(ex *example) {
	delete(t.pending, ex.key)
	t.done.add(ex.key)
	if ex.d == nil {
		w := t.waiting[ex.key.decision]
		for i, x := range w {
			if x == ex {
				w = append(w[:i], w[i+1:]...)
				break
			}
		}
		if len(w) == 0 {
			delete(t.waiting, ex.key.decision)
		} else {
			t.waiting[ex.key.decision] = w
		}
	}
}

// resolve fetches the decisions of examples about to be learned that no decision read has
// reached (their decision is older than the join window).
func (t *Trainer) resolve(ctx context.Context, now time.Time) error {
	if t.cfg.Decisions == nil {
		return nil
	}
	for id, exs := range t.waiting {
		if len(exs) == 0 || exs[0].due.After(now) {
			continue
		}
		d, err := t.cfg.Decisions.Decision(ctx, exs[0].shop, id)
		if epilogue.ErrorCode(err) == epilogue.ENotFound {
			continue // learn counts it
		}
		if err != nil {
			return err
		}
		for _, ex := range exs {
			ex.d = d
		}
		delete(t.waiting, id)
	}
	return nil
}

// expire lets go of decisions past the join window and of engagements whose impression
// never came.
func (t *Trainer) expire(now time.Time) {
	cut := now.Add(-t.cfg.JoinWindow)
	i := 0
	for ; i < len(t.fifo) && t.fifo[i].d.Time.Before(cut); i++ {
		delete(t.recent, t.fifo[i].d.ID)
	}
	t.fifo = append(t.fifo[:0], t.fifo[i:]...)
	i = 0
	for ; i < len(t.order); i++ {
		e := t.early[t.order[i]]
		if e == nil {
			continue // its impression came
		}
		if !e.at.Before(cut) {
			break
		}
		t.stats.Orphans += int64(len(e.events))
		delete(t.early, t.order[i])
	}
	t.order = append(t.order[:0], t.order[i:]...)
}

// stash keeps an engagement or conversion that arrived before its impression.
func (t *Trainer) stash(k exKey, ev *epilogue.Event, cursor int64) {
	e := t.early[k]
	if e == nil {
		e = &earlyEvents{cursor: cursor, at: ev.Time}
		t.early[k] = e
		t.order = append(t.order, k)
	}
	e.events = append(e.events, ev)
}

// resumeCursors returns where re-reading the logs must start for a trainer resumed from a
// checkpoint taken now to rebuild every pending example: the oldest event any of them (or an
// early engagement) was built from, and the oldest decision in memory or joined to an example
// whose engagement window is open. Decisions of older examples are fetched by id.
func (t *Trainer) resumeCursors() (decisions, events int64) {
	decisions, events = t.decRead, t.evRead
	for _, ex := range t.pending {
		events = min(events, ex.cursor)
		if ex.d != nil && ex.stage == stageEngage {
			decisions = min(decisions, ex.dcursor)
		}
	}
	for _, e := range t.early {
		events = min(events, e.cursor)
	}
	if len(t.fifo) > 0 {
		decisions = min(decisions, t.fifo[0].cursor)
	}
	return decisions, events
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
