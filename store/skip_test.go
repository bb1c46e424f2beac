package store_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

// A stored record that no longer decodes (written by an older version with looser checks: a
// thirteen-digit amount once wrapped round and was stored) is skipped and reported by the
// readers that load many, so one shop's bad row stops neither its other offers, nor the
// other shops, nor the learner. It stays in the database untouched.
func TestUndecodableRecordsAreSkippedAndReported(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		var logs bytes.Buffer
		db.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
		newShop(t, db, "s1")
		newShop(t, db, "s2")
		newShop(t, db, "s3")
		must(t, db.CreateOffer(ctx, offer("s1", "off_good")))
		must(t, db.CreateOffer(ctx, offer("s1", "off_bad")))
		const bad = `{"payout":{"amount":"99999999999999.00"}}`
		must(t, db.ExecArgs(ctx, `UPDATE offers SET data = ? WHERE id = 'off_bad'`, bad))
		must(t, db.ExecArgs(ctx, `UPDATE shops SET data = ? WHERE id = 's3'`, `{"holdout_share":"lots"}`))

		offers, err := db.AllOffers(ctx, "s1")
		must(t, err)
		if len(offers) != 1 || offers[0].ID != "off_good" {
			t.Fatalf("AllOffers: %d offers, want off_good alone", len(offers))
		}
		page, _, err := db.Offers(ctx, "s1", store.ListFilter{})
		must(t, err)
		if len(page) != 1 {
			t.Fatalf("Offers: %d, want 1", len(page))
		}
		if _, err := db.Offer(ctx, "s1", "off_bad"); err == nil {
			t.Fatal("the bad offer read alone gave no error")
		}
		shops, err := db.Shops(ctx)
		must(t, err)
		if len(shops) != 2 || shops[0].ID == "s3" || shops[1].ID == "s3" {
			t.Fatalf("Shops: %d shops, want s1 and s2", len(shops))
		}

		// A batch with a good line and a bad one (the unpacked form older versions wrote), then
		// a good batch: the trainer's reader gets both good decisions and passes the bad one.
		must(t, db.ExecArgs(ctx, `INSERT INTO decision_batches (shop_id, first_id, first_time, last_time, n, keys, data) VALUES ('s1', 'dec_old', 1, 1, 2, ?, ?)`,
			[]byte{}, []byte(`{"id":"dec_old","time":1}`+"\n"+`{"id":"dec_bad","request":{"transaction":{"amount":"99999999999999"}}}`)))
		must(t, db.InsertDecisions(ctx, []*epilogue.Decision{decision("s2", "dec_new", "")}))
		ds, _, err := db.DecisionsAfter(ctx, 0, 100)
		must(t, err)
		var ids []string
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		if strings.Join(ids, ",") != "dec_old,dec_new" {
			t.Fatalf("DecisionsAfter: %v, want dec_old,dec_new", ids)
		}
		for _, want := range []string{"record=offer shop=s1 id=off_bad", "record=\"shop settings\" shop=s3", "record=decision shop=s1"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, logs.String())
			}
		}
		var data string
		must(t, db.QueryRow(ctx, `SELECT data FROM offers WHERE id = 'off_bad'`, &data))
		if data != bad {
			t.Fatalf("the bad row was changed: %s", data)
		}
	})
}
