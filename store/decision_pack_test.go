package store_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

// A batch is stored packed, several times smaller than its JSON lines, and reads back whole.
func TestDecisionBatchIsPacked(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		var ds []*epilogue.Decision
		for i := range 100 {
			ds = append(ds, decision("s1", fmt.Sprintf("dec_p%03d", i), fmt.Sprintf("id:c%d", i)))
		}
		must(t, db.InsertDecisions(ctx, ds))
		var stored []byte
		must(t, db.QueryRow(ctx, `SELECT data FROM decision_batches`, &stored))
		if stored[0] == '{' {
			t.Fatalf("batch stored as plain JSON lines (%d bytes)", len(stored))
		}
		if lineBytes := 100 * 900; len(stored) > lineBytes/3 {
			t.Errorf("batch of 100 decisions is %d bytes; want under a third of their ~%d bytes of JSON", len(stored), lineBytes)
		}
		for _, want := range ds {
			got, err := db.Decision(ctx, "s1", want.ID)
			must(t, err)
			if got.CustomerKey != want.CustomerKey || got.Request == nil || got.Request.Cart[0].SKU != "SKU-1" {
				t.Fatalf("decision %s read back as %+v", want.ID, got)
			}
		}
	})
}

// Batches written before they were packed (plain JSON lines) are still read, found by customer
// and erased; a corrupt one is an error, not a panic or a silent skip.
func TestDecisionBatchFormats(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		lines := `{"id":"dec_plain1","placement_id":"cart","surface":"cart","arm":"policy","customer_key":"id:c7","confirmation_ref":"r1","time":1700000000000000,"offers":[],"candidates":null,"filtered":{}}` + "\n" +
			`{"id":"dec_plain2","placement_id":"cart","surface":"cart","arm":"holdout","customer_key":"id:c8","confirmation_ref":"r1","time":1700000000001000,"offers":[],"candidates":null,"filtered":{}}`
		blob := map[string]string{"sqlite": "CAST('%s' AS BLOB)", "postgres": "convert_to('%s', 'UTF8')"}[db.Dialect()]
		must(t, db.Exec(ctx, `INSERT INTO decision_batches (shop_id, first_id, first_time, last_time, n, keys, data) VALUES
			('s1', 'dec_plain1', 1700000000000000, 1700000000001000, 2, `+fmt.Sprintf(blob, "")+`, `+fmt.Sprintf(blob, lines)+`)`))
		byRef, err := db.DecisionsByRef(ctx, "s1", "r1")
		must(t, err)
		if len(byRef) != 2 || byRef[0].ID != "dec_plain1" || byRef[1].Arm != epilogue.ArmHoldout {
			t.Fatalf("plain batch by ref: %+v", byRef)
		}
		must(t, db.UpsertCustomer(ctx, &epilogue.Customer{ID: "c7", ShopID: "s1", CreatedAt: t0, UpdatedAt: t0}))
		must(t, db.EraseCustomer(ctx, "s1", "c7", t0))
		d, err := db.Decision(ctx, "s1", "dec_plain1")
		must(t, err)
		if d.CustomerKey == "id:c7" {
			t.Fatal("erasure left the customer key of a plain batch")
		}
		if d2, err := db.Decision(ctx, "s1", "dec_plain2"); err != nil || d2.CustomerKey != "id:c8" {
			t.Fatalf("erasure changed another customer's decision: %+v, %v", d2, err)
		}

		for name, data := range map[string]string{"unknown format": "\x07abc", "truncated block": "\x01\xff\xff\xff\x0f"} {
			must(t, db.Exec(ctx, `INSERT INTO decision_batches (shop_id, first_id, first_time, last_time, n, keys, data) VALUES
				('s1', 'dec_bad_`+strings.ReplaceAll(name, " ", "_")+`', 1, 1, 1, `+fmt.Sprintf(blob, "")+`, `+hexBlob(db.Dialect(), data)+`)`))
		}
		// The trainer's reader passes corrupt batches, reporting each, and reads the rest.
		var logs bytes.Buffer
		db.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
		ds, _, err := db.DecisionsAfter(ctx, 0, 100)
		must(t, err)
		if len(ds) == 0 || strings.Count(logs.String(), "decision batch") != 2 {
			t.Fatalf("corrupt batches: %d decisions read, log:\n%s", len(ds), logs.String())
		}
	})
}

// hexBlob is a SQL literal of binary data in the dialect.
func hexBlob(dialect, data string) string {
	if dialect == "postgres" {
		return fmt.Sprintf(`'\x%x'::bytea`, data)
	}
	return fmt.Sprintf(`X'%x'`, data)
}
