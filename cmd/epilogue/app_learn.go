package main

import (
	"context"
	"fmt"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/learn"
	"github.com/epiloguehq/epilogue/store"
)

// modelName is the name the relevance model's checkpoints are stored under.
const modelName = "relevance"

// learning is how an app scores and learns (flags of serve and demo).
type learning struct {
	scorer           string // model or prior
	snapshotEvery    time.Duration
	engagementWindow time.Duration
	conversionWindow time.Duration
}

// learningFlags declares the flags of learning on a command.
func (f *flags) learningFlags() func() (learning, error) {
	scorer := f.str("scorer", "model", "what scores offers: model (learned online, explores by Thompson sampling) or prior (fixed per-kind rates; the model still learns alongside)")
	every := f.str("model-snapshot-every", "10s", "how often the learner checkpoints the model into the database (other replicas reload as often)")
	engage := f.str("engagement-window", "30m", "an impression engaged with within this long is a positive")
	convert := f.str("conversion-window", "24h", "a conversion within this long of its impression counts for the model")
	return func() (learning, error) {
		l := learning{scorer: *scorer}
		if l.scorer != "model" && l.scorer != "prior" {
			return l, fmt.Errorf("--scorer must be model or prior, not %q", l.scorer)
		}
		for _, d := range []struct {
			name, v string
			to      *time.Duration
		}{{"model-snapshot-every", *every, &l.snapshotEvery}, {"engagement-window", *engage, &l.engagementWindow}, {"conversion-window", *convert, &l.conversionWindow}} {
			v, err := time.ParseDuration(d.v)
			if err != nil || v <= 0 {
				return l, fmt.Errorf("--%s must be a positive duration such as 10s, 30m or 24h, not %q", d.name, d.v)
			}
			*d.to = v
		}
		if l.conversionWindow < l.engagementWindow {
			return l, fmt.Errorf("--conversion-window (%s) must not be shorter than --engagement-window (%s)", l.conversionWindow, l.engagementWindow)
		}
		return l, nil
	}
}

// wireLearning loads the newest good model checkpoint (or a fresh model) into the engine and
// starts the learner: on the leading replica it trains on the decision and event logs and
// checkpoints every snapshotEvery and at shutdown; elsewhere it reloads the leader's
// checkpoints. An explicit scorer in the config (benchmarks) is served as given and nothing is
// learned.
func (a *app) wireLearning(c appConfig) error {
	if c.scorer != nil {
		return nil
	}
	lc := c.learning
	if lc.scorer == "" {
		lc.scorer = "model"
	}
	serve := lc.scorer == "model"
	if !serve {
		a.engine.SetScorer(decide.PriorScorer{})
	}
	windows := map[string]time.Duration{}
	if lc.conversionWindow > 0 {
		for _, p := range []string{epilogue.PayoutCPA, epilogue.PayoutCPC, epilogue.PayoutNone} {
			windows[p] = lc.conversionWindow
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := learn.NewLearner(ctx, learn.LearnerConfig{
		Trainer: learn.TrainerConfig{
			EngagementWindow:  lc.engagementWindow,
			ConversionWindows: windows,
			Catalog:           &catalog{engine: a.engine, db: a.db},
			Decisions:         a.db,
		},
		Log:       a.db,
		Snapshots: a.db.Snapshots(modelName),
		Leader:    a.db.Leader("learner"),
		Publish: func(m *learn.Model) {
			if serve {
				a.engine.SetScorer(m) // the snapshot itself, so a decision's version is its scorer's
			}
		},
		Clock:         a.clock,
		SnapshotEvery: lc.snapshotEvery,
		Logger:        a.log,
	})
	if err != nil {
		return fmt.Errorf("loading the model: %w", err)
	}
	m, v := l.Serving()
	a.log.Info("model loaded", "scorer", lc.scorer, "model_version", m.Version(), "checkpoint", v)
	a.background = append(a.background, l.Run)
	a.closers = append(a.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := l.Close(ctx); err != nil {
			a.log.Error("saving the model at shutdown", "err", err)
		}
	})
	return nil
}

// catalog joins the trainer's examples to offers: from the engine's snapshot, or from the
// store for offers archived since (their examples still teach the kind and advertiser). Only
// the trainer uses it, from one goroutine.
type catalog struct {
	engine   *decide.Engine
	db       *store.DB
	archived map[string]*epilogue.Offer
}

func (c *catalog) Offer(shopID, id string) *epilogue.Offer {
	if s := c.engine.Snapshot(shopID); s != nil {
		if o := s.Offer(id); o != nil {
			return o
		}
	}
	k := shopID + "\x00" + id
	if o, ok := c.archived[k]; ok {
		return o
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	o, err := c.db.Offer(ctx, shopID, id)
	if err != nil && epilogue.ErrorCode(err) != epilogue.ENotFound {
		return nil // the database failed: not cached, tried again next time
	}
	if c.archived == nil || len(c.archived) > 10000 {
		c.archived = map[string]*epilogue.Offer{}
	}
	c.archived[k] = o
	return o
}

func (c *catalog) Location(shopID string) *time.Location {
	if s := c.engine.Snapshot(shopID); s != nil {
		return s.Location()
	}
	return time.UTC
}
