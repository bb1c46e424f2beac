package store_test

import (
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
	"github.com/epiloguehq/epilogue/track"
)

// shopifyRefund is a refund as the Shopify adapter reports it.
func shopifyRefund(shopID, orderID, id string, amount epilogue.Amount, currency string) *track.Update {
	return &track.Update{ShopID: shopID, Source: track.SourceShopify, ReceivedAt: t0.Add(time.Hour),
		Refunds: []track.Refund{{ID: id, OrderID: orderID, Amount: amount, Currency: currency, Time: t0.Add(time.Hour)}}}
}

func orderMoney(t *testing.T, db *store.DB, shopID, id string) (epilogue.Amount, string) {
	t.Helper()
	o, err := db.Order(ctx, shopID, id)
	must(t, err)
	return o.Refunded, o.Status
}

// A Shopify refund in the customer's presentment currency is recorded and told in it, but never
// added to the order's refunded total, which is in the order's (the shop's) currency: 300 EUR
// on a 499 USD order is not 300 USD refunded. Before or after the order arrives alike.
func TestRefundInAnotherCurrencyIsNotAddedToTheTotal(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		// Before its order: summed when the order arrives, in the order's currency only.
		ingest(t, db, shopifyRefund("a", "1001", "early-eur", 100*epilogue.Micro, "EUR"))
		ingest(t, db, shopifyRefund("a", "1001", "early-usd", 10*epilogue.Micro, "USD"))
		ingest(t, db, order("a", "1001"))
		if refunded, status := orderMoney(t, db, "a", "1001"); refunded != 10*epilogue.Micro || status != track.OrderPartiallyRefunded {
			t.Fatalf("after early refunds: refunded %s, %s; want 10.00 (the EUR refund is not USD)", refunded, status)
		}
		// After it.
		if r := ingest(t, db, shopifyRefund("a", "1001", "eur", 489*epilogue.Micro, "EUR")); r.Refunds[0] != track.Created {
			t.Fatalf("EUR refund: %+v", r)
		}
		if refunded, status := orderMoney(t, db, "a", "1001"); refunded != 10*epilogue.Micro || status != track.OrderPartiallyRefunded {
			t.Fatalf("after an EUR refund: refunded %s, %s; want 10.00, partially_refunded", refunded, status)
		}
		ingest(t, db, shopifyRefund("a", "1001", "usd", 489*epilogue.Micro, "USD"))
		if refunded, status := orderMoney(t, db, "a", "1001"); refunded != 499*epilogue.Micro || status != track.OrderRefunded {
			t.Fatalf("after the USD refund: refunded %s, %s", refunded, status)
		}
		all, _, err := db.ActivitiesAfter(ctx, 0, 1000)
		must(t, err)
		eur := 0
		for _, a := range all {
			if a.Kind == epilogue.ActivityOrderRefunded && a.Data["currency"] == "EUR" {
				eur++
			}
		}
		if eur != 2 {
			t.Fatalf("%d order_refunded activities in EUR, want 2: the money did go back, in EUR", eur)
		}
	})
}

// Shopify repeats a refund in every orders/updated; when a pending refund transaction succeeds,
// the same refund id comes with its money. That money counts, once, and is news once.
func TestPlatformRefundWhoseMoneyArrivesLater(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		ingest(t, db, order("a", "1001"))
		if r := ingest(t, db, shopifyRefund("a", "1001", "r1", 0, "USD")); r.Refunds[0] != track.Created {
			t.Fatalf("pending refund: %+v", r)
		}
		if r := ingest(t, db, shopifyRefund("a", "1001", "r1", 20*epilogue.Micro, "USD")); r.Refunds[0] != track.Updated {
			t.Fatalf("the refund's money arrived: %+v, want updated", r)
		}
		for range 2 {
			if r := ingest(t, db, shopifyRefund("a", "1001", "r1", 20*epilogue.Micro, "USD")); r.Refunds[0] != track.Unchanged {
				t.Fatalf("repeated: %+v", r)
			}
		}
		if refunded, status := orderMoney(t, db, "a", "1001"); refunded != 20*epilogue.Micro || status != track.OrderPartiallyRefunded {
			t.Fatalf("refunded %s, %s; want 20.00, partially_refunded", refunded, status)
		}
		if got := activities(t, db, "a"); len(got) != 2 || got[1] != epilogue.ActivityOrderRefunded {
			t.Fatalf("activities %v, want order_placed and one order_refunded", got)
		}
		// Through the API the same id with other money stays a conflict.
		api := shopifyRefund("a", "1001", "r1", 30*epilogue.Micro, "USD")
		api.Source = track.SourceAPI
		if _, err := db.IngestOne(ctx, api); epilogue.ErrorCode(err) != epilogue.EConflict {
			t.Fatalf("API refund with other money: %v, want conflict", err)
		}
	})
}

// An order keeps the source that first told Epilogue of it: a shop correcting a Shopify order
// through the API does not turn it into an API order, in the order or in its activities.
func TestOrderKeepsItsSource(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		u := order("a", "1001")
		u.Source = track.SourceShopify
		ingest(t, db, u)
		edit := order("a", "1001")
		edit.Order.Total, edit.Order.UpdatedAt = 450*epilogue.Micro, t0.Add(time.Hour)
		if r := ingest(t, db, edit); r.Order != track.Updated {
			t.Fatalf("API edit: %+v", r)
		}
		o, err := db.Order(ctx, "a", "1001")
		must(t, err)
		if o.Source != track.SourceShopify || o.Total != 450*epilogue.Micro {
			t.Fatalf("after an API edit: source %q, total %s; want shopify, 450.00", o.Source, o.Total)
		}
		all, _, err := db.ActivitiesAfter(ctx, 0, 1000)
		must(t, err)
		for _, a := range all {
			if a.OrderID == "1001" && a.Data["source"] != track.SourceShopify {
				t.Fatalf("%s says source %q", a.Kind, a.Data["source"])
			}
		}
	})
}
