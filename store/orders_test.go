package store_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
	"github.com/epiloguehq/epilogue/track"
)

// order is the example order of shop shopID, placed at t0.
func order(shopID, id string) *track.Update {
	return &track.Update{ShopID: shopID, Source: track.SourceAPI, AwaitingShipment: true, ReceivedAt: t0.Add(time.Minute),
		Order: &epilogue.Order{ID: id, CustomerID: "c1",
			Customer: &epilogue.Customer{ID: "c1", Email: "ana@example.com", FirstName: "Ana", Locale: "en", Timezone: "America/New_York"},
			Items:    []epilogue.LineItem{{SKU: "X1", Title: "Espresso machine", Category: "coffee machines", Price: 499 * epilogue.Micro, Quantity: 1}},
			Total:    499 * epilogue.Micro, Currency: "USD", CreatedAt: t0, UpdatedAt: t0}}
}

// ingest applies one update and fails the test on any error.
func ingest(t *testing.T, db *store.DB, u *track.Update) track.Result {
	t.Helper()
	r, err := db.IngestOne(ctx, u)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return r
}

// activities returns the kinds (with the status, when there is one) of a shop's activities.
func activities(t *testing.T, db *store.DB, shopID string) []string {
	t.Helper()
	all, _, err := db.ActivitiesAfter(ctx, 0, 100000)
	must(t, err)
	out := []string{}
	for _, a := range all {
		if a.ShopID != shopID {
			continue
		}
		k := a.Kind
		if a.Status != "" {
			k += ":" + a.Status
		}
		out = append(out, k)
	}
	return out
}

func TestOrderLifecycle(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		// The shop already knows the customer's consent and attributes: an order keeps them.
		yes := true
		must(t, db.UpsertCustomer(ctx, &epilogue.Customer{ID: "c1", ShopID: "a", FirstName: "A.", Attributes: map[string]string{"tier": "gold"},
			Consent: epilogue.Consent{Email: &yes}, CreatedAt: t0, UpdatedAt: t0}))

		u := order("a", "1001")
		if r := ingest(t, db, u); r.Order != track.Created {
			t.Fatalf("first post: %+v", r)
		}
		o, err := db.Order(ctx, "a", "1001")
		must(t, err)
		if o.Status != track.OrderOpen || o.Total != 499*epilogue.Micro || o.CustomerID != "c1" || o.Source != "api" ||
			len(o.Items) != 1 || o.Items[0].Category != "coffee machines" || !o.CreatedAt.Equal(t0) || o.Customer.Email != "ana@example.com" {
			t.Fatalf("stored order: %+v", o)
		}
		c, err := db.Customer(ctx, "a", "c1")
		must(t, err)
		if c.Email != "ana@example.com" || c.EmailSHA256 != epilogue.EmailSHA256("ana@example.com") || c.FirstName != "Ana" ||
			c.Locale != "en" || c.Timezone != "America/New_York" || c.Attributes["tier"] != "gold" || c.Consent.Email == nil {
			t.Fatalf("customer after the order: %+v", c)
		}

		// A retry changes nothing, and neither does a later update that touched nothing kept.
		if r := ingest(t, db, order("a", "1001")); r.Order != track.Unchanged {
			t.Fatalf("retry: %+v", r)
		}
		later := order("a", "1001")
		later.Order.UpdatedAt = t0.Add(time.Hour)
		if r := ingest(t, db, later); r.Order != track.Unchanged {
			t.Fatalf("no-op update: %+v", r)
		}
		// A content change is an update.
		changed := order("a", "1001")
		changed.Order.UpdatedAt = t0.Add(2 * time.Hour)
		changed.Order.Total = 450 * epilogue.Micro
		if r := ingest(t, db, changed); r.Order != track.Updated {
			t.Fatalf("change: %+v", r)
		}
		// An older version arriving late is stale.
		stale := order("a", "1001")
		stale.Order.Total = 1 * epilogue.Micro
		stale.Order.UpdatedAt = t0.Add(time.Hour)
		if r := ingest(t, db, stale); r.Order != track.Unchanged {
			t.Fatalf("stale: %+v", r)
		}
		// A newer version that changed nothing still makes an older one stale: v1, v3 (the same
		// as v2's predecessor), then v2 arriving last must not win.
		same := order("a", "1001")
		same.Order.Total, same.Order.UpdatedAt = 450*epilogue.Micro, t0.Add(150*time.Minute)
		if r := ingest(t, db, same); r.Order != track.Unchanged {
			t.Fatalf("newer, unchanged: %+v", r)
		}
		between := order("a", "1001")
		between.Order.Total, between.Order.UpdatedAt = 2*epilogue.Micro, t0.Add(140*time.Minute)
		if r := ingest(t, db, between); r.Order != track.Unchanged {
			t.Fatalf("older than an unchanged newer version: %+v", r)
		}
		o, err = db.Order(ctx, "a", "1001")
		must(t, err)
		if o.Total != 450*epilogue.Micro {
			t.Fatalf("total %v after a stale update", o.Total)
		}
		// Cancelling, once.
		cancel := order("a", "1001")
		cancel.Order.Total, cancel.Order.Status, cancel.Order.UpdatedAt = 450*epilogue.Micro, track.OrderCancelled, t0.Add(3*time.Hour)
		if r := ingest(t, db, cancel); r.Order != track.Updated {
			t.Fatalf("cancel: %+v", r)
		}
		cancel.Order.UpdatedAt = t0.Add(4 * time.Hour)
		cancel.Order.Status = track.OrderOpen // a cancellation is for good
		if r := ingest(t, db, cancel); r.Order != track.Unchanged {
			t.Fatalf("after cancel: %+v", r)
		}
		o, err = db.Order(ctx, "a", "1001")
		must(t, err)
		if o.Status != track.OrderCancelled {
			t.Fatalf("status %q", o.Status)
		}
		equal(t, "activities", activities(t, db, "a"), []string{"order_placed", "order_updated", "order_cancelled"})
		all, _, err := db.ActivitiesAfter(ctx, 0, 0)
		must(t, err)
		if a := all[0]; a.OrderID != "1001" || a.CustomerID != "c1" || !a.Time.Equal(t0) || a.Data["total"] != "499.00" || a.Data["currency"] != "USD" {
			t.Fatalf("order_placed: %+v", a)
		}
		_, err = db.Order(ctx, "a", "nope")
		code(t, "unknown order", err, epilogue.ENotFound)
	})
}

func TestOrdersAreTenantIsolated(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		ingest(t, db, order("a", "1001"))
		other := order("b", "1001")
		other.Order.Total = 5 * epilogue.Micro
		if r := ingest(t, db, other); r.Order != track.Created {
			t.Fatalf("shop b's order with the same id: %+v", r)
		}
		a, err := db.Order(ctx, "a", "1001")
		must(t, err)
		b, err := db.Order(ctx, "b", "1001")
		must(t, err)
		if a.Total != 499*epilogue.Micro || b.Total != 5*epilogue.Micro {
			t.Fatalf("totals %v %v", a.Total, b.Total)
		}
		// A shipment of shop b does not unwatch shop a's order, nor show under it.
		ingest(t, db, &track.Update{ShopID: "b", Source: track.SourceAPI, ReceivedAt: t0,
			Shipments: []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "s1", OrderID: "1001"}}}})
		ss, err := db.OrderShipments(ctx, "a", "1001")
		must(t, err)
		if len(ss) != 0 {
			t.Fatalf("shop a sees %d shipments", len(ss))
		}
		ws, err := db.AwaitingShipment(ctx, "a", t0.Add(time.Hour), 10)
		must(t, err)
		if len(ws) != 1 {
			t.Fatalf("shop a's order no longer awaits: %v", ws)
		}
		_, err = db.Shipment(ctx, "a", "s1")
		code(t, "shop b's shipment from shop a", err, epilogue.ENotFound)
	})
}

func TestRefunds(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		refund := func(id string, amount epilogue.Amount) *track.Update {
			return &track.Update{ShopID: "a", Source: track.SourceShopify, ReceivedAt: t0,
				Refunds: []track.Refund{{ID: id, OrderID: "1001", Amount: amount, Currency: "USD", Time: t0}}}
		}
		// The refund arrives before its order (webhooks race).
		if r := ingest(t, db, refund("r1", 100*epilogue.Micro)); len(r.Refunds) != 1 || r.Refunds[0] != track.Created {
			t.Fatalf("refund: %+v", r)
		}
		ingest(t, db, order("a", "1001"))
		o, err := db.Order(ctx, "a", "1001")
		must(t, err)
		if o.Status != track.OrderPartiallyRefunded || o.Refunded != 100*epilogue.Micro {
			t.Fatalf("order after an early refund: %s %v", o.Status, o.Refunded)
		}
		if r := ingest(t, db, refund("r1", 100*epilogue.Micro)); r.Refunds[0] != track.Unchanged {
			t.Fatalf("retried refund: %+v", r)
		}
		ingest(t, db, refund("r0", 0)) // a restock without money: recorded, no news
		u := refund("r2", 399*epilogue.Micro)
		u.Refunds[0].Currency = "" // takes the order's
		ingest(t, db, u)
		o, err = db.Order(ctx, "a", "1001")
		must(t, err)
		if o.Status != track.OrderRefunded || o.Refunded != 499*epilogue.Micro {
			t.Fatalf("fully refunded: %s %v", o.Status, o.Refunded)
		}
		equal(t, "activities", activities(t, db, "a"), []string{"order_refunded", "order_placed", "order_refunded"})
		all, _, err := db.ActivitiesAfter(ctx, 0, 0)
		must(t, err)
		if d := all[2].Data; d["amount"] != "399.00" || d["currency"] != "USD" || d["refund_id"] != "r2" || all[2].CustomerID != "c1" {
			t.Fatalf("refund activity: %+v", all[2])
		}
	})
}

func TestIngestBatchIsolatesFailures(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		bad := order("a", "1002")
		bad.Order.Currency = "XXX"
		missing := &track.Update{ShopID: "a", Source: track.SourceAPI, ReceivedAt: t0, Shipments: []track.ShipmentChange{{
			MustExist: true, Shipment: epilogue.Shipment{ID: "nope", Events: []epilogue.ShipmentEvent{{Status: "delivered", Time: t0}}}}}}
		// The order of this update commits before its shipment fails: the whole update must roll back.
		half := order("a", "1003")
		half.Shipments = missing.Shipments
		noShop := order("ghost", "1004")
		rs, err := db.Ingest(ctx, []*track.Update{order("a", "1001"), bad, missing, half, noShop, order("a", "1005")})
		must(t, err)
		if rs[0].Order != track.Created || rs[5].Order != track.Created {
			t.Fatalf("good updates: %+v", rs)
		}
		code(t, "bad currency", rs[1].Err, epilogue.EInvalid)
		code(t, "missing shipment", rs[2].Err, epilogue.ENotFound)
		code(t, "half an update", rs[3].Err, epilogue.ENotFound)
		if rs[4].Err == nil {
			t.Fatal("an update for an unknown shop was stored")
		}
		for _, id := range []string{"1002", "1003", "1004"} {
			_, err := db.Order(ctx, "a", id)
			code(t, "order "+id, err, epilogue.ENotFound)
		}
		equal(t, "activities", activities(t, db, "a"), []string{"order_placed", "order_placed"})
	})
}

// TestIngestConcurrentRetries sends the same orders from many goroutines at once, as retried
// webhooks racing each other (on PostgreSQL, in concurrent transactions): each order is placed
// once.
func TestIngestConcurrentRetries(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		errs := make(chan error, 40)
		for g := range 8 {
			go func() {
				var batch []*track.Update
				for i := range 5 {
					batch = append(batch, order("a", fmt.Sprint(1000+(i+g)%5)))
				}
				_, err := db.Ingest(ctx, batch)
				errs <- err
			}()
		}
		for range 8 {
			must(t, <-errs)
		}
		equal(t, "activities", activities(t, db, "a"), []string{"order_placed", "order_placed", "order_placed", "order_placed", "order_placed"})
	})
}

func TestOrdersAfter(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		ingest(t, db, order("a", "1"))
		ingest(t, db, order("b", "2"))
		ingest(t, db, order("a", "3"))
		os, last, err := db.OrdersAfter(ctx, 0, 2)
		must(t, err)
		if len(os) != 2 || os[0].ShopID != "a" || os[0].ID != "1" || os[1].ShopID != "b" || os[1].Customer == nil {
			t.Fatalf("first page: %+v", os)
		}
		rest, _, err := db.OrdersAfter(ctx, last, 0)
		must(t, err)
		if len(rest) != 1 || rest[0].ID != "3" {
			t.Fatalf("second page: %+v", rest)
		}
	})
}

// An order's customer details and a concurrent change of the customer (a PUT) both land: the
// order's write is checked against the customer it read, on PostgreSQL too, where the PUT can
// commit in the middle of the order's transaction.
func TestOrderCustomerKeepsConcurrentChanges(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		ingest(t, db, order("a", "0"))
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				o := order("a", strconv.Itoa(i+1))
				o.Order.Customer.FirstName = "Ana" + strconv.Itoa(i)
				if _, err := db.IngestOne(ctx, o); err != nil {
					t.Error(err)
				}
			})
			wg.Go(func() {
				_, err := db.UpdateCustomer(ctx, "a", "c1", func(c *epilogue.Customer, _ bool) error {
					c.Attributes["k"+strconv.Itoa(i)] = "v"
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		c, err := db.Customer(ctx, "a", "c1")
		must(t, err)
		if len(c.Attributes) != 8 || !strings.HasPrefix(c.FirstName, "Ana") {
			t.Fatalf("a change was lost: %+v", c)
		}
	})
}
