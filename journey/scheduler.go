package journey

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

// Config holds what the scheduler and the service work with.
type Config struct {
	Store   Store
	Shops   *Shops  // shared configuration cache; one is made when nil
	Orders  Orders  // nil until the orders store exists
	Decider Decider // nil: offers steps choose nothing
	// Impressions, when set, is told of the offers in each message sent.
	Impressions Impressions
	Sender      notify.Sender
	Attention   *Attention // one is made when nil
	Renderer    *notify.Renderer
	Clock       epilogue.Clock
	Log         *slog.Logger
	// BaseURL is where the links in messages point (unsubscribe, review, survey, offer
	// clicks), without a trailing slash: https://epilogue.shop.example.
	BaseURL string
	// From is the sender address of shops whose brand names none.
	From string
	// Lease is how long a claimed enrollment or message belongs to this process; after a
	// crash another one takes it over when it runs out. Default 30 s.
	Lease time.Duration
	// Batch is how many activities, enrollments or messages one pass takes. Default 256.
	Batch int
	// Workers is how many messages are sent at once. Default 16.
	Workers int
	// MaxAttempts is how many times a message is tried before it fails. Default 10 (about
	// four hours of backoff).
	MaxAttempts int
	// Poll is how often an idle loop looks for work. Default 100 ms.
	Poll time.Duration
}

func (c *Config) defaults() {
	if c.Clock == nil {
		c.Clock = epilogue.SystemClock{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Attention == nil {
		c.Attention = NewAttention()
	}
	if c.Shops == nil {
		c.Shops = NewShops(c.Store, c.Attention, 0)
	}
	if c.Renderer == nil {
		c.Renderer = notify.NewRenderer(0)
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 256
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.Poll <= 0 {
		c.Poll = 100 * time.Millisecond
	}
}

// Scheduler runs journeys: it reads the activity log, starts, advances and ends enrollments,
// and sends their messages. Every replica may run one; they share the work through the
// database (leases, and FOR UPDATE SKIP LOCKED on PostgreSQL).
type Scheduler struct {
	c     Config
	owner string        // this process's name on the leases it takes
	wake  chan struct{} // tells the sender that new messages are queued
	swept time.Time
}

// cursorActivities names the scheduler's place in the activity log.
const cursorActivities = "journeys"

// NewScheduler returns a scheduler; Run or Step make it work.
func NewScheduler(c Config) *Scheduler {
	c.defaults()
	return &Scheduler{c: c, owner: epilogue.NewID("run_"), wake: make(chan struct{}, 1)}
}

// Attention returns the attention budget the scheduler spends.
func (s *Scheduler) Attention() *Attention { return s.c.Attention }

// Run works until ctx ends: one loop takes activities and due enrollments, another sends due
// messages. A send in flight when ctx ends is finished, so a shutdown does not make a message
// go twice.
func (s *Scheduler) Run(ctx context.Context) {
	if err := s.c.Attention.Seed(ctx, s.c.Store, s.c.Clock.Now()); err != nil && ctx.Err() == nil {
		s.c.Log.Error("journeys: seeding the attention budget", "err", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.loop(ctx, nil, "planning", s.plan) })
	wg.Go(func() { s.loop(ctx, s.wake, "sending", s.dispatch) })
	wg.Wait()
}

// Step runs one pass of everything, for tests: it reads new activities, advances due
// enrollments, then sends due messages. It returns how many things it handled.
func (s *Scheduler) Step(ctx context.Context) (int, error) {
	n, err := s.plan(ctx)
	if err != nil {
		return n, err
	}
	m, err := s.dispatch(ctx)
	return n + m, err
}

// Drain steps until there is nothing left to do now (at most rounds times), for tests.
func (s *Scheduler) Drain(ctx context.Context, rounds int) error {
	for range rounds {
		n, err := s.Step(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
	return nil
}

// plan takes new activities, then due enrollments.
func (s *Scheduler) plan(ctx context.Context) (int, error) {
	if now := s.c.Clock.Now(); now.Sub(s.swept) > time.Hour {
		s.swept = now
		s.c.Attention.Sweep(now)
	}
	n, err := s.intake(ctx)
	if err != nil {
		return n, err
	}
	m, err := s.advanceDue(ctx)
	return n + m, err
}

func (s *Scheduler) loop(ctx context.Context, nudge <-chan struct{}, what string, pass func(context.Context) (int, error)) {
	t := time.NewTimer(0)
	defer t.Stop()
	for ctx.Err() == nil {
		n, err := pass(ctx)
		wait := s.c.Poll
		switch {
		case err != nil && ctx.Err() == nil:
			s.c.Log.Error("journeys: "+what, "err", err)
			wait = time.Second
		case n > 0:
			continue
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-nudge:
		}
	}
}

// nudge tells the sending loop there is work, without waiting.
func (s *Scheduler) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// stableID returns prefix and 20 base-36 characters derived from parts: ids of enrollments and
// messages are functions of what they are, so a pass repeated after a crash makes the same ones.
func stableID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	s := new(big.Int).SetBytes(h.Sum(nil)[:16]).Text(36)
	for len(s) < 20 {
		s = "0" + s
	}
	return prefix + s[:20]
}
