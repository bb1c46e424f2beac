package store_test

import (
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

func TestActivityLog(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		for _, id := range []string{"a", "b"} {
			must(t, db.CreateShop(ctx, &epilogue.Shop{ID: id, CreatedAt: t0}))
		}
		in := []*epilogue.Activity{
			{ShopID: "a", Kind: epilogue.ActivityOrderPlaced, OrderID: "1001", CustomerID: "c1", Time: t0},
			{ShopID: "b", Kind: epilogue.ActivityOrderPlaced, OrderID: "1001", Time: t0.Add(time.Second)},
			{ShopID: "a", Kind: epilogue.ActivityShipmentStatus, OrderID: "1001", ShipmentID: "s1", Status: epilogue.ShipDelivered,
				Time: t0.Add(time.Hour), Data: map[string]string{"carrier": "UPS"}},
		}
		for _, a := range in {
			must(t, db.AppendActivity(ctx, a))
		}
		if !(in[0].Seq < in[1].Seq && in[1].Seq < in[2].Seq) {
			t.Fatalf("seqs not increasing: %d %d %d", in[0].Seq, in[1].Seq, in[2].Seq)
		}
		all, last, err := db.ActivitiesAfter(ctx, 0, 0)
		must(t, err)
		equal(t, "all activities", all, in)
		if last != in[2].Seq {
			t.Fatalf("last seq %d, want %d", last, in[2].Seq)
		}
		rest, last2, err := db.ActivitiesAfter(ctx, in[0].Seq, 1)
		must(t, err)
		equal(t, "after the first, one", rest, in[1:2])
		if last2 != in[1].Seq {
			t.Fatalf("cursor %d", last2)
		}
		none, same, err := db.ActivitiesAfter(ctx, in[2].Seq, 10)
		must(t, err)
		if len(none) != 0 || same != in[2].Seq {
			t.Fatalf("after the end: %v %d", none, same)
		}
		// An order's activities stay within its shop.
		mine, err := db.OrderActivities(ctx, "a", "1001")
		must(t, err)
		equal(t, "shop a's order", mine, []*epilogue.Activity{in[0], in[2]})
	})
}
