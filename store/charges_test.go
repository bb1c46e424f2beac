package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

// A decision's offer is charged once per event type, whatever repeats the token: a later
// batch, the same batch, or another replica at the same moment. The events after the first
// are stored with no spend and read Spend 0 once inserted.
func TestChargesOncePerTokenAndType(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		conv := func(id, decision string, typ string) *epilogue.Event {
			e := event("a", id, "off_1", "", t0, 1_000_000)
			e.DecisionID, e.Type = decision, typ
			return e
		}
		first := []*epilogue.Event{
			conv("1", "dec_x", epilogue.EventConversion),
			conv("2", "dec_x", epilogue.EventConversion), // the same token in the same batch
			conv("3", "dec_x", epilogue.EventEngagement), // another type charges on its own
			conv("4", "dec_y", epilogue.EventConversion), // another decision
			event("b", "5", "off_1", "", t0, 1_000_000),  // another shop, same decision id
		}
		first[4].DecisionID = "dec_x"
		_, err := db.InsertEvents(ctx, first)
		must(t, err)
		var spends []epilogue.Amount
		for _, e := range first {
			spends = append(spends, e.Spend)
		}
		if fmt.Sprint(spends) != fmt.Sprint([]epilogue.Amount{1_000_000, 0, 1_000_000, 1_000_000, 1_000_000}) {
			t.Fatalf("spends after the first batch: %v", spends)
		}
		// A later batch (a restart, or a replica that never saw the first) with the token again.
		again := []*epilogue.Event{conv("6", "dec_x", epilogue.EventConversion)}
		_, err = db.InsertEvents(ctx, again)
		must(t, err)
		if again[0].Spend != 0 {
			t.Fatalf("a replayed token charged again: %v", again[0].Spend)
		}
		got, err := db.Spend(ctx, "a", t0)
		must(t, err)
		if got["off_1"].Total != 3_000_000 {
			t.Fatalf("spend %v, want 3.00", got["off_1"])
		}
		es, _, err := db.EventsAfter(ctx, 0, 100)
		must(t, err)
		if len(es) != 6 {
			t.Fatalf("%d events stored, want 6 (uncharged ones are still events)", len(es))
		}
	})
}

func TestChargesOnceAcrossReplicas(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			u := newURL(t, d)
			db := open(t, u)
			newShop(t, db, "a")
			const replicas, tokens = 4, 50
			charged := make([][]epilogue.Amount, replicas)
			var wg sync.WaitGroup
			for r := range replicas {
				replica := open(t, u)
				wg.Go(func() {
					for i := range tokens {
						e := event("a", fmt.Sprintf("r%d-%d", r, i), "off_1", "", t0, 1_000_000)
						e.DecisionID = fmt.Sprintf("dec_%d", i)
						if _, err := replica.InsertEvents(ctx, []*epilogue.Event{e}); err != nil {
							t.Error(err)
							return
						}
						charged[r] = append(charged[r], e.Spend)
					}
				})
			}
			wg.Wait()
			for i := range tokens {
				n := 0
				for r := range replicas {
					if i < len(charged[r]) && charged[r][i] > 0 {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("token %d charged by %d replicas", i, n)
				}
			}
			got, err := db.Spend(ctx, "a", t0)
			must(t, err)
			if got["off_1"].Total != tokens*1_000_000 {
				t.Fatalf("spend %v, want %d.00", got["off_1"], tokens)
			}
		})
	}
}
