package store_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

// decision returns a decision with every field set, its request included.
func decision(shopID, id, customerKey string) *epilogue.Decision {
	return &epilogue.Decision{
		ID: id, ShopID: shopID, PlacementID: "thank-you", Surface: epilogue.SurfaceThankYou, Arm: epilogue.ArmPolicy,
		CustomerKey: customerKey, ConfirmationRef: "order-1001",
		Offers:        []epilogue.ShownOffer{{OfferID: "off_1", Position: 0, Score: 0.125, Propensity: 0.75}},
		Candidates:    []epilogue.Verdict{{OfferID: "off_1", Verdict: epilogue.VerdictChosen, Score: 0.125}, {OfferID: "off_2", Verdict: epilogue.VerdictScored, Reason: epilogue.ReasonBelowReserve, Score: 1e-9}},
		Filtered:      map[string]int{epilogue.ReasonFrequencyCap: 2, "targeting:countries": 1},
		NoOfferReason: "",
		ModelVersion:  "m-42",
		Latency:       1234 * time.Microsecond,
		Time:          t0,
		Request: &epilogue.DecisionRequest{
			Placement:   "thank-you",
			Transaction: epilogue.Transaction{ConfirmationRef: "order-1001", Amount: 59_990_000, Currency: "USD", PaymentType: "card"},
			Customer:    epilogue.CustomerRef{ID: "c1", EmailSHA256: epilogue.EmailSHA256("a@b.example"), Attributes: map[string]string{"tier": "gold"}, Type: "returning"},
			Cart:        []epilogue.CartItem{{SKU: "SKU-1", ProductID: "p1", Category: "coffee", Price: 29_995_000, Quantity: 2}},
			Context:     epilogue.RequestContext{Device: "mobile", Country: "US", Locale: "en-US", PageURL: "https://shop.example/thanks"},
			Attributes:  map[string]any{"firstname": "Ada", "billingzipcode": "94107"},
			Explain:     true,
		},
		History:   &epilogue.History{Orders: 3, Categories: []string{"coffee", "tea"}, Engaged: []string{"off_9"}, Dismissed: []string{"off_8"}},
		Returning: true,
	}
}

func TestDecisionRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		full := decision("s1", "dec_full", "id:c1")
		empty := &epilogue.Decision{ID: "dec_empty", ShopID: "s1", Arm: epilogue.ArmHoldout, NoOfferReason: epilogue.ReasonHoldout,
			Offers: []epilogue.ShownOffer{}, Filtered: map[string]int{}, Time: t0}
		zero := &epilogue.Decision{ID: "dec_zero", ShopID: "s1"}
		must(t, db.InsertDecisions(ctx, []*epilogue.Decision{full, empty, zero}))
		for _, want := range []*epilogue.Decision{full, empty, zero} {
			got, err := db.Decision(ctx, "s1", want.ID)
			must(t, err)
			equal(t, want.ID, got, want)
		}
		_, err := db.Decision(ctx, "s1", "dec_nope")
		code(t, "Decision unknown", err, epilogue.ENotFound)
		must(t, db.InsertDecisions(ctx, nil))
	})
}

func TestDecisionsRetriedBatchKeepsFirst(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		d := decision("s1", "dec_1", "id:c1")
		must(t, db.InsertDecisions(ctx, []*epilogue.Decision{d, decision("s1", "dec_2", "")}))
		// The writer retries a batch whose commit it could not confirm: the same decisions.
		again := decision("s1", "dec_1", "id:other")
		must(t, db.InsertDecisions(ctx, []*epilogue.Decision{again, decision("s1", "dec_2", "")}))
		got, err := db.Decision(ctx, "s1", "dec_1")
		must(t, err)
		equal(t, "first decision", got, d)
		ds, last, err := db.DecisionsAfter(ctx, 0, 100)
		must(t, err)
		if len(ds) != 2 {
			t.Fatalf("%d decisions stored (last seq %d), want 2", len(ds), last)
		}
	})
}

// Ids as the engine makes them carry their time, and a lookup reads only the batches made
// around it, among many.
func TestDecisionByTimedID(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		var ids []string
		for batch := range 20 {
			var ds []*epilogue.Decision
			for i := range 50 {
				at := t0.Add(time.Duration(batch)*time.Minute + time.Duration(i)*time.Millisecond)
				d := decision("s1", timedID(at, batch*50+i), fmt.Sprintf("id:c%d", i))
				d.Time = at
				ds = append(ds, d)
				ids = append(ids, d.ID)
			}
			must(t, db.InsertDecisions(ctx, ds))
		}
		for _, id := range []string{ids[0], ids[517], ids[len(ids)-1]} {
			got, err := db.Decision(ctx, "s1", id)
			must(t, err)
			if got.ID != id || got.ShopID != "s1" {
				t.Fatalf("Decision(%s) = %s of %s", id, got.ID, got.ShopID)
			}
		}
		_, err := db.Decision(ctx, "s1", timedID(t0.Add(30*time.Second), 999_999))
		code(t, "unknown timed id", err, epilogue.ENotFound)
		_, err = db.Decision(ctx, "other", ids[3])
		code(t, "another shop's id", err, epilogue.ENotFound)
	})
}

// timedID makes an id of the engine's form: the time in milliseconds, then a unique part.
func timedID(at time.Time, n int) string {
	ms := strconv.FormatInt(at.UnixMilli(), 36)
	u := strconv.FormatInt(int64(n), 36)
	return epilogue.PrefixDecision + strings.Repeat("0", 9-len(ms)) + ms + strings.Repeat("0", 11-len(u)) + u
}

func TestDecisionsAfter(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		want := map[string][]string{}
		for batch := range 3 {
			var ds []*epilogue.Decision
			for i := range 700 { // more than one multi-row statement per batch
				shop := []string{"a", "b"}[i%2]
				id := fmt.Sprintf("dec_%d_%04d", batch, i)
				ds = append(ds, decision(shop, id, ""))
				want[shop] = append(want[shop], id)
			}
			must(t, db.InsertDecisions(ctx, ds))
		}
		got := map[string][]string{}
		var after int64
		for {
			ds, last, err := db.DecisionsAfter(ctx, after, 500)
			must(t, err)
			if len(ds) == 0 {
				if last != after {
					t.Fatalf("empty page moved the cursor from %d to %d", after, last)
				}
				break
			}
			if last <= after {
				t.Fatalf("cursor went from %d to %d", after, last)
			}
			for _, d := range ds {
				got[d.ShopID] = append(got[d.ShopID], d.ID)
			}
			after = last
		}
		// Within a commit, the log groups decisions by shop; each shop's stay in order.
		equal(t, "each shop's decisions in insert order", got, want)
	})
}

func TestDecisionTenantIsolation(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		a := decision("a", "dec_same", "id:c1")
		b := decision("b", "dec_same", "id:c1")
		b.Arm = epilogue.ArmHoldout
		must(t, db.InsertDecisions(ctx, []*epilogue.Decision{a, b, decision("b", "dec_b", "")}))
		got, err := db.Decision(ctx, "a", "dec_same")
		must(t, err)
		equal(t, "a's decision", got, a)
		got, err = db.Decision(ctx, "b", "dec_same")
		must(t, err)
		equal(t, "b's decision", got, b)
		_, err = db.Decision(ctx, "a", "dec_b")
		code(t, "a reads b's decision", err, epilogue.ENotFound)
	})
}
