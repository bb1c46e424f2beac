package store_test

import (
	"testing"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

// A database from before the decision log was batched keeps its decisions, their seqs (the
// trainer's cursor) and their lookups once migration 0005 has run.
func TestMigrationKeepsOlderDecisions(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		legacy := map[string]string{
			"sqlite": `CREATE TABLE decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, shop_id TEXT NOT NULL, id TEXT NOT NULL,
				placement_id TEXT NOT NULL, surface TEXT NOT NULL, arm TEXT NOT NULL, customer_key TEXT NOT NULL,
				confirmation_ref TEXT NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL) STRICT`,
			"postgres": `CREATE TABLE decisions (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, shop_id TEXT NOT NULL, id TEXT NOT NULL,
				placement_id TEXT NOT NULL, surface TEXT NOT NULL, arm TEXT NOT NULL, customer_key TEXT NOT NULL,
				confirmation_ref TEXT NOT NULL, time BIGINT NOT NULL, data TEXT NOT NULL)`,
		}[db.Dialect()]
		for _, q := range []string{
			`DROP TABLE decision_batches`,
			`DELETE FROM schema_migrations WHERE version = 5`,
			legacy,
			`INSERT INTO decisions (shop_id, id, placement_id, surface, arm, customer_key, confirmation_ref, time, data) VALUES
				('s1', 'dec_old1', 'thank-you', 'thank_you', 'policy', 'id:c1', 'order-7', 1700000000000000,
				 '{"offers":[{"offer_id":"off_1","position":0,"score":0.5,"propensity":1}],"candidates":[["off_1","chosen","",0.5]],"filtered":{"paused":2},"request":{"placement":"thank-you","customer":{"id":"c1"}}}'),
				('s1', 'dec_old2', 'cart', 'cart', 'holdout', '', '', 1700000001000000, '{"offers":[],"candidates":null,"filtered":{}}')`,
		} {
			if err := db.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		must(t, db.Migrate(ctx))

		old, err := db.Decision(ctx, "s1", "dec_old1")
		must(t, err)
		if old.CustomerKey != "id:c1" || old.ConfirmationRef != "order-7" || old.Filtered["paused"] != 2 || len(old.Offers) != 1 ||
			old.Request == nil || old.Request.Customer.ID != "c1" || old.Time.UnixMicro() != 1700000000000000 {
			t.Fatalf("migrated decision: %+v", old)
		}
		byRef, err := db.DecisionsByRef(ctx, "s1", "order-7")
		must(t, err)
		if len(byRef) != 1 || byRef[0].ID != "dec_old1" {
			t.Fatalf("by ref: %+v", byRef)
		}
		// New decisions come after the old ones in the trainer's order.
		must(t, db.InsertDecisions(ctx, []*epilogue.Decision{decision("s1", "dec_new", "id:c1")}))
		ds, _, err := db.DecisionsAfter(ctx, 0, 100)
		must(t, err)
		var ids []string
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		equal(t, "decisions in order", ids, []string{"dec_old1", "dec_old2", "dec_new"})
		_, last, err := db.DecisionsAfter(ctx, 1, 100)
		must(t, err)
		if last < 3 {
			t.Fatalf("new decision's seq %d, want after the old ones'", last)
		}
		// Erasure reaches the old decisions too.
		must(t, db.UpsertCustomer(ctx, &epilogue.Customer{ShopID: "s1", ID: "c1", CreatedAt: t0, UpdatedAt: t0}))
		must(t, db.EraseCustomer(ctx, "s1", "c1", t0))
		old, err = db.Decision(ctx, "s1", "dec_old1")
		must(t, err)
		if old.CustomerKey == "id:c1" || old.Request.Customer.ID != "" {
			t.Fatalf("erased decision kept the customer: %+v", old)
		}
	})
}
