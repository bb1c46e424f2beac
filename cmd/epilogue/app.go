package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/httpapi"
	"github.com/epiloguehq/epilogue/internal/groupcommit"
	"github.com/epiloguehq/epilogue/journey"
	"github.com/epiloguehq/epilogue/store"
)

// app is one running Epilogue: the database, the decision engine, the group-commit writers and
// the API, wired together. Every command that serves builds one.
type app struct {
	db        *store.DB
	engine    *decide.Engine
	api       *httpapi.Server
	decisions *groupcommit.Writer[*store.DecisionRecord, struct{}]
	events    *groupcommit.Writer[*epilogue.Event, bool]
	metrics   *httpapi.Metrics
	log       *slog.Logger
	clock     epilogue.Clock
	eventSeq  int64
	// customerSeq is where following other replicas' customer changes starts.
	customerSeq int64
	// background loops run while the app serves; each stops when its context ends.
	background []func(ctx context.Context)
	// closers run first at shutdown, newest first, before the writers flush and the database
	// closes (a model snapshot, say).
	closers []func()
	// extraRoutes lets the wiring files add routes to the API.
	extraRoutes []func(mux *http.ServeMux, authed func(secretOnly bool, h http.HandlerFunc) http.Handler)
	// orders and journeys are the stores behind those endpoints (set by their wiring).
	orders   httpapi.OrderStore
	journeys httpapi.JourneyStore
	// scheduler runs journeys; attention is the per-customer budget it shares with offers.
	scheduler *journey.Scheduler
	attention *journey.Attention
}

type appConfig struct {
	db          string
	log         *slog.Logger
	logRequests bool
	clock       epilogue.Clock
	scorer      decide.Scorer // served as given, with nothing learned (benchmarks); nil: see learning
	gcPercent   int           // the garbage collector's GOGC (0: defaultGCPercent, unless GOGC is set)
	learning    learning
	journeys    journeyConfig
}

// defaultGCPercent lets the heap grow to five times what is live before collecting. The server
// keeps every customer's recent history in memory (a hundred thousand customers are ~150 MB of
// pointers to scan), and at Go's default of 100 the collector took a seventh of the CPU under
// load; at 400 decisions over HTTP went from 12,800/s to 16,000/s for a few hundred MB more.
const defaultGCPercent = 400

// setGCPercent applies the configured GOGC; the GOGC environment variable, when set, wins.
func setGCPercent(p int) {
	if os.Getenv("GOGC") != "" {
		return
	}
	if p == 0 {
		p = defaultGCPercent
	}
	debug.SetGCPercent(p)
}

// recorderFunc adapts a function to decide.Recorder.
type recorderFunc func(*epilogue.Decision)

func (f recorderFunc) Record(d *epilogue.Decision) { f(d) }

// openApp opens (and migrates) the database, loads every shop's snapshot and replays the event
// log into memory.
func openApp(ctx context.Context, c appConfig) (*app, error) {
	if c.clock == nil {
		c.clock = epilogue.SystemClock{}
	}
	setGCPercent(c.gcPercent)
	db, err := store.Open(ctx, c.db)
	if err != nil {
		return nil, err
	}
	if err := db.ClaimServer(); err != nil {
		db.Close()
		return nil, err
	}
	if c.log != nil {
		db.SetLogger(c.log)
	}
	a := &app{db: db, log: c.log, clock: c.clock, metrics: httpapi.NewMetrics(nil)}
	a.decisions = groupcommit.New(a.storeDecisions, groupcommit.Options{
		MaxBatch: 1000, MaxDelay: 100 * time.Millisecond, Queue: 1 << 16, Depth: a.metrics.QueueDepth("decisions"),
	})
	a.events = groupcommit.New(db.InsertEvents, groupcommit.Options{
		MaxBatch: 5000, MaxDelay: 500 * time.Microsecond, Depth: a.metrics.QueueDepth("events"),
	})
	a.engine = decide.New(decide.Config{
		Clock:  c.clock,
		Scorer: c.scorer,
		// Each record is encoded by the request that made it (see store.DecisionRecord).
		Recorder: recorderFunc(func(d *epilogue.Decision) { a.decisions.Enqueue(store.EncodeDecision(d)) }),
		Observe:  a.metrics.Decision,
	})
	if err := a.engine.Sync(ctx, db); err != nil {
		a.close()
		return nil, fmt.Errorf("loading shops: %w", err)
	}
	start := time.Now()
	if a.eventSeq, err = a.engine.Replay(ctx, db, 0); err != nil {
		a.close()
		return nil, fmt.Errorf("replaying events: %w", err)
	}
	// Changes from here on are followed (see FollowCustomers); those during loading are seen twice.
	if a.customerSeq, err = db.LastActivity(ctx); err != nil {
		a.close()
		return nil, fmt.Errorf("reading the activity log: %w", err)
	}
	profiles, err := a.engine.People().LoadProfiles(ctx, db)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("loading customer profiles: %w", err)
	}
	c.log.Info("state loaded", "events_through_seq", a.eventSeq, "profiles", profiles, "elapsed", time.Since(start).Round(time.Millisecond))
	if err := a.wireLearning(c); err != nil {
		a.close()
		return nil, err
	}
	if err := a.wireOrders(); err != nil {
		a.close()
		return nil, err
	}
	if err := a.wireJourneys(ctx, c); err != nil {
		a.close()
		return nil, err
	}
	a.api = httpapi.New(httpapi.Config{
		Store: db, Engine: a.engine, Events: eventWriter{a.events}, Clock: c.clock, Log: c.log,
		Metrics: a.metrics, LogRequests: c.logRequests, Orders: a.orders, Journeys: a.journeys,
		Extra: func(mux *http.ServeMux, authed func(bool, http.HandlerFunc) http.Handler) {
			for _, add := range a.extraRoutes {
				add(mux, authed)
			}
		},
	})
	return a, nil
}

// eventWriter adapts the group-commit writer to the API's EventWriter.
type eventWriter struct {
	w *groupcommit.Writer[*epilogue.Event, bool]
}

func (e eventWriter) Submit(ctx context.Context, evs ...*epilogue.Event) ([]bool, error) {
	return e.w.Submit(ctx, evs...)
}

// storeDecisions writes a batch of decision records, retrying a failing database for a while:
// a decision record is owed to the log within a second, and a brief outage must not lose it.
func (a *app) storeDecisions(ctx context.Context, ds []*store.DecisionRecord) ([]struct{}, error) {
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		if err = a.db.InsertDecisionRecords(ctx, ds); err == nil {
			return nil, nil
		}
		a.log.Warn("storing decisions failed; retrying", "decisions", len(ds), "attempt", attempt+1, "err", err)
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	a.log.Error("decisions could not be stored", "decisions", len(ds), "err", err)
	return nil, err
}

// serve answers HTTP on ln until ctx ends, then shuts down gracefully: it stops accepting,
// finishes the requests in flight, flushes every pending write and closes the database.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.api,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	loops, stopLoops := context.WithCancel(context.Background())
	defer stopLoops()
	var running sync.WaitGroup
	start := func(loop func(ctx context.Context)) {
		running.Add(1)
		go func() { defer running.Done(); loop(loops) }()
	}
	start(func(ctx context.Context) {
		a.engine.Watch(ctx, a.db, time.Second, func(err error) { a.log.Error("syncing snapshots", "err", err) })
	})
	start(func(ctx context.Context) {
		a.engine.Follow(ctx, a.db, a.eventSeq, 500*time.Millisecond, func(err error) { a.log.Error("following events", "err", err) })
	})
	start(func(ctx context.Context) {
		a.engine.FollowCustomers(ctx, a.db, a.customerSeq, time.Second, func(err error) { a.log.Error("following customer changes", "err", err) })
	})
	start(a.pruneIdempotency)
	for _, loop := range a.background {
		start(loop)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("serving", "addr", ln.Addr().String(), "db", a.db.Dialect())
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	a.log.Info("shutting down: finishing requests and flushing writes")
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		a.log.Warn("requests still running at shutdown", "err", err)
	}
	stopLoops()
	running.Wait()
	a.close()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// idempotencyKept is how long the first answer to an Idempotency-Key is replayed: clients retry
// within minutes, and a day leaves room for a batch job that resumes the next morning.
const idempotencyKept = 24 * time.Hour

// pruneIdempotency deletes expired idempotency answers every hour, so that table stays small.
func (a *app) pruneIdempotency(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.db.PruneIdempotentResponses(ctx, a.clock.Now().Add(-idempotencyKept)); err != nil && ctx.Err() == nil {
			a.log.Error("pruning idempotency keys", "err", err)
		} else if n > 0 {
			a.log.Info("pruned idempotency keys", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// close runs the closers, flushes the writers and closes the database.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
	a.decisions.Close()
	a.events.Close()
	if err := a.db.Close(); err != nil {
		a.log.Error("closing database", "err", err)
	}
}
