package journey_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
	"github.com/epiloguehq/epilogue/store"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the schema of the PostgreSQL half
)

var ctx = context.Background()

// sink is a sender that counts what it is given, by idempotency key.
type sink struct {
	mu   sync.Mutex
	sent map[string]int
	n    atomic.Int64
}

func (s *sink) Send(_ context.Context, m *epilogue.Message) error {
	time.Sleep(200 * time.Microsecond) // a relay takes a moment: claims overlap
	s.mu.Lock()
	s.sent[m.IdempotencyKey]++
	s.mu.Unlock()
	s.n.Add(1)
	return nil
}

func newSink() *sink { return &sink{sent: map[string]int{}} }

// openDB opens a fresh database of the dialect; PostgreSQL gets a schema of its own, or the
// test is skipped when PostgreSQL cannot be reached.
func openDB(t *testing.T, dialect string) string {
	t.Helper()
	if dialect == "sqlite" {
		return "sqlite://" + filepath.Join(t.TempDir(), "j.db")
	}
	base := os.Getenv("EPILOGUE_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL: %v", err)
		}
		t.Skipf("PostgreSQL half skipped: %v", err)
	}
	schema := "j_" + epilogue.RandomString(12)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t *testing.T, u string) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// seedOrders creates a shop and n customers with an order_placed activity each.
func seedOrders(t *testing.T, db *store.DB, n int, at time.Time) {
	t.Helper()
	if err := db.CreateShop(ctx, &epilogue.Shop{ID: "s1", Name: "Shop", Secret: "sec", Settings: epilogue.DefaultSettings(), CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		c := &epilogue.Customer{ID: fmt.Sprint("c", i), ShopID: "s1", Email: fmt.Sprintf("c%d@example.com", i), CreatedAt: at, UpdatedAt: at}
		if _, err := db.UpdateCustomer(ctx, c.ShopID, c.ID, func(s *epilogue.Customer, _ bool) error { *s = *c; return nil }); err != nil {
			t.Fatal(err)
		}
		a := &epilogue.Activity{ShopID: "s1", Kind: epilogue.ActivityOrderPlaced, OrderID: fmt.Sprint(1000 + i), CustomerID: c.ID, Time: at}
		if err := db.AppendActivity(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReplicasShareTheWork runs two schedulers, each on its own connection to one database, as
// two replicas do: every order's confirmation is sent exactly once.
func TestReplicasShareTheWork(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			u := openDB(t, dialect)
			const orders = 300
			now := time.Now().UTC()
			seedOrders(t, open(t, u), orders, now)
			out := newSink()
			var wg sync.WaitGroup
			for r := range 2 {
				s := journey.NewScheduler(journey.Config{Store: open(t, u), Sender: out, Batch: 64, Lease: time.Minute,
					BaseURL: "https://epilogue.example", From: "shop@example.com"})
				wg.Go(func() {
					for deadline := time.Now().Add(30 * time.Second); out.n.Load() < orders && time.Now().Before(deadline); {
						if _, err := s.Step(ctx); err != nil {
							t.Errorf("replica %d: %v", r, err)
							return
						}
					}
				})
			}
			wg.Wait()
			if len(out.sent) != orders {
				t.Fatalf("%d orders got a message, want %d", len(out.sent), orders)
			}
			for key, n := range out.sent {
				if n != 1 {
					t.Fatalf("%s sent %d times", key, n)
				}
			}
		})
	}
}

// slowSink is a relay that takes its time with every message.
type slowSink struct {
	*sink
	delay time.Duration
}

func (s slowSink) Send(ctx context.Context, m *epilogue.Message) error {
	time.Sleep(s.delay)
	return s.sink.Send(ctx, m)
}

func (s *sink) unique() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent)
}

// TestSlowRelayDoesNotOutlastTheLease: with a relay too slow to take a whole batch within the
// lease, a replica sends only what fits and hands the rest back, and no message is sent twice
// by replicas taking each other's batches over.
func TestSlowRelayDoesNotOutlastTheLease(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			u := openDB(t, dialect)
			const orders = 40
			seedOrders(t, open(t, u), orders, time.Now().UTC())
			out := newSink()
			// A batch of 64 at two sends of 100 ms at a time takes 2 s; the lease is 1 s.
			relay := slowSink{out, 100 * time.Millisecond}
			var wg sync.WaitGroup
			for r := range 2 {
				s := journey.NewScheduler(journey.Config{Store: open(t, u), Sender: relay, Batch: 64, Workers: 2, Lease: time.Second,
					BaseURL: "https://epilogue.example", From: "shop@example.com"})
				wg.Go(func() {
					for deadline := time.Now().Add(30 * time.Second); out.unique() < orders && time.Now().Before(deadline); {
						if _, err := s.Step(ctx); err != nil {
							t.Errorf("replica %d: %v", r, err)
							return
						}
						time.Sleep(10 * time.Millisecond)
					}
				})
			}
			wg.Wait()
			if out.unique() != orders {
				t.Fatalf("%d orders got a message, want %d", out.unique(), orders)
			}
			for key, n := range out.sent {
				if n != 1 {
					t.Fatalf("%s sent %d times", key, n)
				}
			}
		})
	}
}

// TestWaitForAnEvent: a wait for an event ends when the event comes, or at its timeout, and the
// journey goes on either way.
func TestWaitForAnEvent(t *testing.T) {
	t.Parallel()
	db := open(t, openDB(t, "sqlite"))
	clock := epilogue.NewManualClock(time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC))
	seedOrders(t, db, 2, clock.Now())
	out := newSink()
	svc := journey.NewService(journey.Config{Store: db, Clock: clock})
	j := &journey.Journey{Name: "After delivery", Trigger: journey.Trigger{Event: epilogue.ActivityOrderPlaced},
		Steps: []journey.Step{
			{ID: "wait", Type: journey.StepWait, Until: journey.UntilEvent, Event: "shipment_status:delivered", Timeout: epilogue.Duration(10 * 24 * time.Hour)},
			{ID: "vip", Type: journey.StepCondition, If: `trigger.event == "order_placed" and customer.has_email`, Else: "end"},
			{ID: "send", Type: journey.StepSend, Template: "delivered"},
		}}
	if err := svc.CreateJourney(ctx, "s1", j); err != nil {
		t.Fatal(err)
	}
	// Only this journey: the defaults are paused.
	defaults, _, err := svc.Journeys(ctx, "s1", epilogue.ListFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defaults {
		if d.ID != j.ID {
			if _, err := svc.UpdateJourney(ctx, "s1", d.ID, func(d *journey.Journey) error { d.Status = journey.StatusPaused; return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := journey.NewScheduler(journey.Config{Store: db, Sender: out, Clock: clock, Shops: journey.NewShops(db, nil, time.Nanosecond),
		BaseURL: "https://epilogue.example", From: "shop@example.com"})
	drain := func() {
		if err := s.Drain(ctx, 50); err != nil {
			t.Fatal(err)
		}
	}
	drain()
	if n := out.n.Load(); n != 0 {
		t.Fatalf("%d sent before the event", n)
	}
	clock.Advance(time.Hour)
	if err := db.AppendActivity(ctx, &epilogue.Activity{ShopID: "s1", Kind: epilogue.ActivityShipmentStatus, OrderID: "1000",
		ShipmentID: "S1", Status: epilogue.ShipDelivered, Time: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	drain()
	if n := out.n.Load(); n != 1 {
		t.Fatalf("%d sent after the event, want 1", n)
	}
	clock.Advance(9 * 24 * time.Hour)
	drain()
	if n := out.n.Load(); n != 1 {
		t.Fatalf("%d sent before the timeout, want 1", n)
	}
	clock.Advance(24 * time.Hour)
	drain()
	if n := out.n.Load(); n != 2 {
		t.Fatalf("%d sent after the timeout, want 2", n)
	}
	ens, err := db.OrderEnrollments(ctx, "s1", "1001")
	if err != nil {
		t.Fatal(err)
	}
	if len(ens) != 1 || ens[0].Status != journey.EnrollCompleted {
		t.Fatalf("enrollment after the timeout: %+v", ens)
	}
}

// flaky is a store whose customer reads fail while down is set.
type flaky struct {
	*store.DB
	down atomic.Bool
}

func (f *flaky) Customer(ctx context.Context, shopID, id string) (*epilogue.Customer, error) {
	if f.down.Load() {
		return nil, fmt.Errorf("database unreachable")
	}
	return f.DB.Customer(ctx, shopID, id)
}

// TestReadFailureRetries: a step that cannot read the customer waits a minute and runs again;
// nothing is skipped or sent without its data.
func TestReadFailureRetries(t *testing.T) {
	t.Parallel()
	db := &flaky{DB: open(t, openDB(t, "sqlite"))}
	clock := epilogue.NewManualClock(time.Now().UTC())
	seedOrders(t, db.DB, 3, clock.Now())
	out := newSink()
	s := journey.NewScheduler(journey.Config{Store: db, Sender: out, Clock: clock, BaseURL: "https://epilogue.example", From: "shop@example.com"})
	db.down.Store(true)
	if err := s.Drain(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if n := out.n.Load(); n != 0 {
		t.Fatalf("%d sent without the customer", n)
	}
	db.down.Store(false)
	clock.Advance(30 * time.Second)
	if err := s.Drain(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if n := out.n.Load(); n != 0 {
		t.Fatalf("%d sent before the retry was due", n)
	}
	clock.Advance(time.Minute)
	if err := s.Drain(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if n := out.n.Load(); n != 3 {
		t.Fatalf("%d sent after the retry, want 3", n)
	}
}
