package store_test

import (
	"bytes"
	"testing"

	"github.com/epiloguehq/epilogue/store"
)

// One replica leads a role at a time on PostgreSQL, and releasing hands it on; SQLite serves
// one machine, where every claim leads.
func TestLeader(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		a, b := db.Leader("learner"), db.Leader("learner")
		defer a.Release()
		defer b.Release()
		la, err := a.Lead(ctx)
		must(t, err)
		lb, err := b.Lead(ctx)
		must(t, err)
		if db.Dialect() == "sqlite" {
			if !la || !lb {
				t.Fatalf("sqlite: leads %v %v, want both", la, lb)
			}
			return
		}
		if !la || lb {
			t.Fatalf("first claim leads %v, second %v", la, lb)
		}
		if la, err = a.Lead(ctx); err != nil || !la {
			t.Fatalf("the leader lost the role on asking again: %v %v", la, err)
		}
		other, err := db.Leader("rollups").Lead(ctx)
		must(t, err)
		if !other {
			t.Fatal("another role is held by the learner's leader")
		}
		must(t, a.Release())
		if lb, err = b.Lead(ctx); err != nil || !lb {
			t.Fatalf("after release the other claim leads %v (%v)", lb, err)
		}
		if la, _ = a.Lead(ctx); la {
			t.Fatal("both lead")
		}
	})
}

func TestSnapshotsPrune(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		s := db.Snapshots("ranker")
		for v := int64(1); v <= 5; v++ {
			must(t, s.Save(ctx, v, []byte{byte(v)}, t0))
		}
		must(t, db.SaveModel(ctx, "other", 1, []byte("o"), t0))
		must(t, s.Prune(ctx, 4))
		vs, err := s.Versions(ctx, 0)
		must(t, err)
		equal(t, "versions", vs, []int64{5, 4})
		b, err := s.Load(ctx, 4)
		must(t, err)
		if !bytes.Equal(b, []byte{4}) {
			t.Fatalf("version 4: %v", b)
		}
		if ms, _ := db.Models(ctx, "other", 0); len(ms) != 1 {
			t.Fatal("pruning one model pruned another")
		}
	})
}
