package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

func event(shopID, id, offerID, customerKey string, at time.Time, spend epilogue.Amount) *epilogue.Event {
	return &epilogue.Event{
		ID: id, ShopID: shopID, Type: epilogue.EventConversion, DecisionID: "dec_" + id, OfferID: offerID,
		PlacementID: "thank-you", CustomerKey: customerKey, Arm: epilogue.ArmPolicy, Time: at,
		Value: 19_990_000, Currency: "EUR", ReceivedAt: at.Add(time.Second), Spend: spend,
	}
}

func TestEventRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		full := event("s1", "evt-1", "off_1", "id:c1", t0, 2_500_001)
		zero := &epilogue.Event{ID: "evt-0", ShopID: "s1"}
		ins, err := db.InsertEvents(ctx, []*epilogue.Event{full, zero})
		must(t, err)
		equal(t, "inserted", ins, []bool{true, true})
		es, last, err := db.EventsAfter(ctx, 0, 10)
		must(t, err)
		equal(t, "events", es, []*epilogue.Event{full, zero})
		if last <= 0 {
			t.Fatalf("last seq %d", last)
		}
		es, last2, err := db.EventsAfter(ctx, last, 10)
		must(t, err)
		if len(es) != 0 || last2 != last {
			t.Fatalf("after the last: %d events, seq %d", len(es), last2)
		}
		ins, err = db.InsertEvents(ctx, nil)
		must(t, err)
		if len(ins) != 0 {
			t.Fatalf("empty batch: %v", ins)
		}
	})
}

func TestEventDuplicates(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		first := event("a", "e1", "off_1", "", t0, 0)
		ins, err := db.InsertEvents(ctx, []*epilogue.Event{first, event("a", "e2", "off_1", "", t0, 0)})
		must(t, err)
		equal(t, "first batch", ins, []bool{true, true})

		// e1 again (stored already), e3 twice in the batch, and e1 in shop b (another event).
		changed := event("a", "e1", "off_CHANGED", "", t0, 99)
		batch := []*epilogue.Event{changed, event("a", "e3", "off_1", "", t0, 0), event("a", "e3", "off_2", "", t0, 0), event("b", "e1", "off_1", "", t0, 0)}
		ins, err = db.InsertEvents(ctx, batch)
		must(t, err)
		equal(t, "second batch", ins, []bool{false, true, false, true})

		es, _, err := db.EventsAfter(ctx, 0, 100)
		must(t, err)
		var got []string
		for _, e := range es {
			got = append(got, e.ShopID+"/"+e.ID+"/"+e.OfferID)
		}
		equal(t, "stored events", got, []string{"a/e1/off_1", "a/e2/off_1", "a/e3/off_1", "b/e1/off_1"})
	})
}

// TestEventsByID reads stored events back by id, within one shop, in more than one statement:
// how the API tells a retried event from another event reusing its id.
func TestEventsByID(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		var batch []*epilogue.Event
		var ids []string
		for i := range 700 { // more ids than one statement takes
			id := fmt.Sprintf("e%d", i)
			batch = append(batch, event("a", id, "off_1", "", t0, 0))
			ids = append(ids, id)
		}
		batch = append(batch, event("b", "only-in-b", "off_2", "", t0, 0))
		_, err := db.InsertEvents(ctx, batch)
		must(t, err)
		got, err := db.EventsByID(ctx, "a", append(ids, "missing", "only-in-b"))
		must(t, err)
		if len(got) != 700 || got["missing"] != nil || got["only-in-b"] != nil {
			t.Fatalf("%d events found; missing %v, other shop's %v", len(got), got["missing"], got["only-in-b"])
		}
		equal(t, "e699", got["e699"], batch[699])
	})
}

// TestEventDuplicatesAcrossChunks sends a batch larger than one statement, with repeats far
// apart, so the first and second copies land in different statements of one transaction.
func TestEventDuplicatesAcrossChunks(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		var batch []*epilogue.Event
		var want []bool
		for i := range 1500 {
			id := fmt.Sprintf("e%d", i%1100) // 1100..1499 repeat 0..399
			batch = append(batch, event("s1", id, "off_1", "", t0, 0))
			want = append(want, i < 1100)
		}
		ins, err := db.InsertEvents(ctx, batch)
		must(t, err)
		equal(t, "inserted flags", ins, want)
		ins, err = db.InsertEvents(ctx, batch[:3])
		must(t, err)
		equal(t, "retried", ins, []bool{false, false, false})
		es, _, err := db.EventsAfter(ctx, 0, 5000)
		must(t, err)
		if len(es) != 1100 {
			t.Fatalf("%d events stored, want 1100", len(es))
		}
	})
}

// TestEventsConcurrentWriters checks that concurrent batches with overlapping ids store each
// event once and report it inserted exactly once.
func TestEventsConcurrentWriters(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		const writers, perWriter = 4, 300
		results := make([][]bool, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				var batch []*epilogue.Event
				for i := range perWriter {
					batch = append(batch, event("s1", fmt.Sprintf("e%d", (w*perWriter/2)+i), "off_1", "", t0, 0))
				}
				results[w], errs[w] = db.InsertEvents(ctx, batch)
			})
		}
		wg.Wait()
		inserted := 0
		for w := range writers {
			must(t, errs[w])
			for _, ok := range results[w] {
				if ok {
					inserted++
				}
			}
		}
		es, _, err := db.EventsAfter(ctx, 0, 10000)
		must(t, err)
		if inserted != len(es) || len(es) != perWriter/2*(writers+1) {
			t.Fatalf("reported %d inserted, stored %d, want %d", inserted, len(es), perWriter/2*(writers+1))
		}
		seen := map[string]bool{}
		for _, e := range es {
			if seen[e.ID] {
				t.Fatalf("%s stored twice", e.ID)
			}
			seen[e.ID] = true
		}
	})
}

func TestCustomerEvents(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		old := event("a", "e-old", "off_1", "id:c1", t0.Add(-48*time.Hour), 0)
		edge := event("a", "e-edge", "off_1", "id:c1", t0, 0) // exactly at since: included
		late := event("a", "e-late", "off_2", "id:c1", t0.Add(time.Hour), 0)
		early := event("a", "e-early", "off_2", "id:c1", t0.Add(time.Minute), 0) // inserted last, earlier time
		other := event("a", "e-other", "off_1", "id:c2", t0.Add(time.Hour), 0)
		bs := event("b", "e-b", "off_1", "id:c1", t0.Add(time.Hour), 0) // same key in another shop
		_, err := db.InsertEvents(ctx, []*epilogue.Event{old, edge, late, other, bs, early})
		must(t, err)
		es, err := db.CustomerEvents(ctx, "a", "id:c1", t0)
		must(t, err)
		equal(t, "a's c1 events since t0, by time", es, []*epilogue.Event{edge, early, late})
		es, err = db.CustomerEvents(ctx, "a", "id:nobody", t0)
		must(t, err)
		if es == nil || len(es) != 0 {
			t.Fatalf("unknown customer: %#v, want empty", es)
		}
	})
}

func TestSpend(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		day := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
		_, err := db.InsertEvents(ctx, []*epilogue.Event{
			event("a", "1", "off_1", "", day.Add(-time.Microsecond), 1_000_000), // the last instant of yesterday
			event("a", "2", "off_1", "", day, 2_000_000),                        // the first instant of today
			event("a", "3", "off_1", "", day.Add(23*time.Hour), 500_000),
			event("a", "4", "off_2", "", day.Add(-72*time.Hour), 7_000_000), // only long ago
			event("a", "5", "off_3", "", day.Add(time.Hour), 0),             // spent nothing
			event("b", "6", "off_1", "", day.Add(time.Hour), 100_000_000),   // another shop
		})
		must(t, err)
		got, err := db.Spend(ctx, "a", day)
		must(t, err)
		equal(t, "spend", got, map[string]store.Spend{
			"off_1": {Total: 3_500_000, Today: 2_500_000},
			"off_2": {Total: 7_000_000, Today: 0},
		})
		// The day in another zone starts elsewhere: the caller says where.
		got, err = db.Spend(ctx, "a", day.Add(-time.Microsecond))
		must(t, err)
		if got["off_1"].Today != 3_500_000 {
			t.Fatalf("today from one microsecond earlier: %v", got["off_1"])
		}
		got, err = db.Spend(ctx, "nobody", day)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("spend of an unknown shop: %v", got)
		}
	})
}

func TestSpendLargeSums(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		big := epilogue.Amount(1_000_000_000) * epilogue.Micro // a billion units each
		var es []*epilogue.Event
		for i := range 50 {
			es = append(es, event("s1", fmt.Sprint(i), "off_1", "", t0, big))
		}
		_, err := db.InsertEvents(ctx, es)
		must(t, err)
		got, err := db.Spend(ctx, "s1", t0)
		must(t, err)
		if got["off_1"].Total != 50*big || got["off_1"].Today != 50*big {
			t.Fatalf("spend %v, want %v", got["off_1"], 50*big)
		}
	})
}
