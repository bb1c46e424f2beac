package learn

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for creating test schemas
)

func learnerConfig(tr *traffic, db *store.DB, clock epilogue.Clock) LearnerConfig {
	return LearnerConfig{
		Trainer:   TrainerConfig{Catalog: catalogOf(tr.w.offers), Decisions: db},
		Model:     Config{Bits: 16},
		Log:       db,
		Snapshots: db.Snapshots("relevance"),
		Clock:     clock,
		Keep:      5,
	}
}

// The leader checkpoints as it learns; a restart serves the newest checkpoint; a truncated or
// altered newest checkpoint is detected and the one before it serves instead; and new
// checkpoints go above the bad one.
func TestLearnerFallsBackFromCorruptCheckpoints(t *testing.T) {
	ctx := context.Background()
	tr := newTraffic(5, 600)
	db := openStore(t, "")
	clock := epilogue.NewManualClock(tStart)
	cfg := learnerConfig(tr, db, clock)
	var published []*Model
	cfg.Publish = func(m *Model) { published = append(published, m) }
	l, err := NewLearner(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, v := l.Serving(); v != 0 || len(published) != 1 {
		t.Fatalf("fresh learner serves version %d, published %d", v, len(published))
	}
	var nd, ne int
	for range 12 {
		tr.writeThrough(t, db, clock.Now(), &nd, &ne)
		if err := l.Step(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Advance(5 * time.Minute)
	}
	if !l.Leading() {
		t.Fatal("on SQLite the learner always leads")
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	good, v := l.Serving()
	if v < 3 || published[len(published)-1] != good || good.Updates() == 0 {
		t.Fatalf("after training: version %d, %d updates, %d published", v, good.Updates(), len(published))
	}
	vs, _ := cfg.Snapshots.Versions(ctx, 0)
	if len(vs) > cfg.Keep || vs[0] != v {
		t.Fatalf("stored versions %v (keep %d, serving %d)", vs, cfg.Keep, v)
	}

	blob, err := cfg.Snapshots.Load(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Snapshots.Save(ctx, v+1, blob[:len(blob)/2], clock.Now()); err != nil { // truncated
		t.Fatal(err)
	}
	if err := cfg.Snapshots.Save(ctx, v+2, flip(blob, len(blob)-100), clock.Now()); err != nil { // a flipped bit
		t.Fatal(err)
	}
	l2, err := NewLearner(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, v2 := l2.Serving()
	if v2 != v || m.Version() != good.Version() || !slices.Equal(m.tab, good.tab) {
		t.Fatalf("serving version %d (%s), want the last good one %d (%s)", v2, m.Version(), v, good.Version())
	}
	tr.writeThrough(t, db, clock.Now(), &nd, &ne)
	clock.Advance(time.Hour)
	tr.writeThrough(t, db, clock.Now(), &nd, &ne)
	if err := l2.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, v3 := l2.Serving(); v3 <= v+2 {
		t.Fatalf("new checkpoint version %d is not above the corrupt ones (%d)", v3, v+2)
	}

	// With nothing good stored, a fresh model serves.
	empty := learnerConfig(tr, db, clock)
	empty.Snapshots = db.Snapshots("other")
	if err := empty.Snapshots.Save(ctx, 1, []byte("EPLC garbage"), clock.Now()); err != nil {
		t.Fatal(err)
	}
	l3, err := NewLearner(ctx, empty)
	if err != nil {
		t.Fatal(err)
	}
	if m, v := l3.Serving(); v != 0 || m.Updates() != 0 {
		t.Fatalf("serving version %d with %d updates from garbage", v, m.Updates())
	}
}

// On PostgreSQL two replicas share the learner: one leads and trains, the other reloads its
// checkpoints; when the leader stops, the other takes over from its last checkpoint, and the
// model ends exactly where one uninterrupted trainer's does.
func TestLearnerLeadershipOnPostgres(t *testing.T) {
	ctx := context.Background()
	u := postgresSchema(t)
	db1, db2 := openStore(t, u), openStore(t, u)
	tr := newTraffic(8, 900)
	clock := epilogue.NewManualClock(tStart)
	cfg1, cfg2 := learnerConfig(tr, db1, clock), learnerConfig(tr, db2, clock)
	cfg1.Leader, cfg2.Leader = db1.Leader("learner"), db2.Leader("learner")
	l1, err := NewLearner(ctx, cfg1)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := NewLearner(ctx, cfg2)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close(ctx)
	ref := NewTrainer(cfg1.Trainer, New(cfg1.Model))
	var nd, ne int
	for step := range 60 {
		now := clock.Now()
		tr.writeThrough(t, db1, now, &nd, &ne)
		if step == 30 {
			if err := l1.Close(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if step < 30 {
			if err := l1.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := l2.Step(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := ref.Poll(ctx, db1, now); err != nil {
			t.Fatal(err)
		}
		switch {
		case step < 30 && (!l1.Leading() || l2.Leading()):
			t.Fatalf("step %d: leading %v and %v, want the first only", step, l1.Leading(), l2.Leading())
		case step >= 30 && !l2.Leading():
			t.Fatalf("step %d: the second replica did not take over", step)
		case step == 29:
			_, v1 := l1.Serving()
			if _, v2 := l2.Serving(); v2 != v1 || v1 == 0 {
				t.Fatalf("the follower serves version %d, the leader %d", v2, v1)
			}
		}
		clock.Advance(5 * time.Minute)
	}
	l2.mu.Lock()
	m := l2.trainer.model
	l2.mu.Unlock()
	if m.Updates() != ref.Model().Updates() || !slices.Equal(m.tab, ref.Model().tab) {
		t.Fatalf("after the hand-over: %d updates, uninterrupted %d", m.Updates(), ref.Model().Updates())
	}
}

// postgresSchema returns the URL of a fresh PostgreSQL schema, dropped when the test ends; it
// skips the test when PostgreSQL is unreachable, except on CI.
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("EPILOGUE_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		pctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = admin.PingContext(pctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s: %v", base, err)
		}
		t.Skipf("PostgreSQL unreachable at %s: %v", base, err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := "t_" + epilogue.RandomString(12)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	p, _ := url.Parse(base)
	q := p.Query()
	q.Set("search_path", schema)
	p.RawQuery = q.Encode()
	return p.String()
}

// A restart resumes from the checkpoint it serves and the log after it: the examples the
// checkpoint holds are not learned again. (A learner that took the lead over the checkpoint
// it already served read the logs from their start, and each restart added the whole history
// to the model once more.)
func TestRestartDoesNotLearnTheLogAgain(t *testing.T) {
	ctx := context.Background()
	tr := newTraffic(6, 600)
	db := openStore(t, "")
	clock := epilogue.NewManualClock(tStart)
	cfg := learnerConfig(tr, db, clock)
	ref := NewTrainer(cfg.Trainer, New(cfg.Model))
	var nd, ne int
	for restart := range 3 {
		l, err := NewLearner(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for range 12 {
			tr.writeThrough(t, db, clock.Now(), &nd, &ne)
			if err := l.Step(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := ref.Poll(ctx, db, clock.Now()); err != nil {
				t.Fatal(err)
			}
			clock.Advance(5 * time.Minute)
		}
		if err := l.Close(ctx); err != nil { // reads the logs once more, at the clock's time
			t.Fatal(err)
		}
		if _, err := ref.Poll(ctx, db, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if m, _ := l.Serving(); m.Updates() != ref.Model().Updates() || ref.Model().Updates() == 0 {
			t.Fatalf("after restart %d: %d updates, an uninterrupted trainer %d", restart, m.Updates(), ref.Model().Updates())
		}
	}
}
