package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
	"github.com/epiloguehq/epilogue/track"
)

// shipment is an update creating (or changing) shipment id of order 1001.
func shipment(shopID, id string, events ...epilogue.ShipmentEvent) *track.Update {
	return &track.Update{ShopID: shopID, Source: track.SourceAPI, ReceivedAt: t0.Add(time.Hour), Shipments: []track.ShipmentChange{{
		Shipment: epilogue.Shipment{ID: id, OrderID: "1001", Carrier: "UPS", TrackingNumber: "1Z999", Events: events}}}}
}

// scan is an update adding events to an existing shipment.
func scan(shopID, id string, events ...epilogue.ShipmentEvent) *track.Update {
	return &track.Update{ShopID: shopID, Source: track.SourceAPI, ReceivedAt: t0.Add(48 * time.Hour), Shipments: []track.ShipmentChange{{
		MustExist: true, Shipment: epilogue.Shipment{ID: id, Events: events}}}}
}

func ev(status string, at time.Duration) epilogue.ShipmentEvent {
	return epilogue.ShipmentEvent{Status: status, Time: t0.Add(at)}
}

func statuses(s *epilogue.Shipment) []string {
	out := []string{}
	for _, e := range s.Events {
		out = append(out, e.Status)
	}
	return out
}

func TestShipmentTimeline(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		ingest(t, db, order("a", "1001"))
		if r := ingest(t, db, shipment("a", "shp_1")); r.Shipments[0].Status != track.Created {
			t.Fatalf("create: %+v", r)
		}
		if r := ingest(t, db, shipment("a", "shp_1")); r.Shipments[0].Status != track.Unchanged {
			t.Fatalf("same shipment again: %+v", r)
		}
		changed := shipment("a", "shp_1")
		changed.Shipments[0].Shipment.TrackingURL = "https://ups.example/1Z999"
		if r := ingest(t, db, changed); r.Shipments[0].Status != track.Updated {
			t.Fatalf("new tracking url: %+v", r)
		}
		r := ingest(t, db, scan("a", "shp_1", ev(epilogue.ShipInTransit, time.Hour)))
		if s := r.Shipments[0]; s.Status != track.Updated || s.ShipmentStatus != epilogue.ShipInTransit || s.NewEvents != 1 {
			t.Fatalf("in transit: %+v", r)
		}
		ingest(t, db, scan("a", "shp_1", ev(epilogue.ShipInTransit, 5*time.Hour)))  // another scan: no news
		ingest(t, db, scan("a", "shp_1", ev(epilogue.ShipDelivered, 30*time.Hour))) // news
		// Late and repeated scans: kept in the timeline (once), but the status stays delivered.
		r = ingest(t, db, scan("a", "shp_1", ev(epilogue.ShipOutForDelivery, 20*time.Hour), ev(epilogue.ShipInTransit, 5*time.Hour)))
		if s := r.Shipments[0]; s.ShipmentStatus != epilogue.ShipDelivered || s.NewEvents != 1 {
			t.Fatalf("late scans: %+v", r)
		}
		if r := ingest(t, db, scan("a", "shp_1", ev(epilogue.ShipDelivered, 30*time.Hour))); r.Shipments[0].Status != track.Unchanged {
			t.Fatalf("repeated delivered: %+v", r)
		}
		s, err := db.Shipment(ctx, "a", "shp_1")
		must(t, err)
		if s.Status != epilogue.ShipDelivered || s.OrderID != "1001" || s.Carrier != "UPS" || s.TrackingURL != "https://ups.example/1Z999" {
			t.Fatalf("shipment: %+v", s)
		}
		equal(t, "timeline", statuses(s), []string{"in_transit", "in_transit", "out_for_delivery", "delivered"})
		equal(t, "activities", activities(t, db, "a"), []string{"order_placed", "shipment_created",
			"shipment_status:in_transit", "shipment_status:delivered"})
		all, _, err := db.ActivitiesAfter(ctx, 0, 0)
		must(t, err)
		if a := all[3]; a.ShipmentID != "shp_1" || a.OrderID != "1001" || a.CustomerID != "c1" || !a.Time.Equal(t0.Add(30*time.Hour)) ||
			a.Data["carrier"] != "UPS" || a.Data["tracking_number"] != "1Z999" || a.Data["tracking_url"] != "https://ups.example/1Z999" {
			t.Fatalf("delivered activity: %+v", a)
		}
		ss, err := db.OrderShipments(ctx, "a", "1001")
		must(t, err)
		if len(ss) != 1 || len(ss[0].Events) != 4 {
			t.Fatalf("order shipments: %+v", ss)
		}
	})
}

func TestShipmentRanksAndProblems(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		ingest(t, db, order("a", "1001"))
		ingest(t, db, shipment("a", "s", ev(epilogue.ShipInTransit, time.Hour)))
		// A problem at equal rank is the new status, and a later good scan clears it.
		r := ingest(t, db, scan("a", "s", epilogue.ShipmentEvent{Status: epilogue.ShipException, RawStatus: "held at customs", Time: t0.Add(2 * time.Hour)}))
		if r.Shipments[0].ShipmentStatus != epilogue.ShipException {
			t.Fatalf("exception: %+v", r)
		}
		// An older exception-rank scan arriving late does not replace a newer one.
		r = ingest(t, db, scan("a", "s", ev(epilogue.ShipDelayed, 90*time.Minute)))
		if r.Shipments[0].ShipmentStatus != epilogue.ShipException {
			t.Fatalf("older delay: %+v", r)
		}
		r = ingest(t, db, scan("a", "s", ev(epilogue.ShipInTransit, 3*time.Hour)))
		if r.Shipments[0].ShipmentStatus != epilogue.ShipInTransit {
			t.Fatalf("cleared: %+v", r)
		}
		// A tracker resending its whole history makes one piece of news: where the parcel is now.
		ingest(t, db, scan("a", "s", ev(epilogue.ShipInTransit, time.Hour), ev(epilogue.ShipOutForDelivery, 4*time.Hour),
			ev(epilogue.ShipAttemptFailed, 5*time.Hour), ev(epilogue.ShipOutForDelivery, 6*time.Hour)))
		s, err := db.Shipment(ctx, "a", "s")
		must(t, err)
		if s.Status != epilogue.ShipOutForDelivery || s.Events[2].RawStatus != "held at customs" {
			t.Fatalf("shipment: %+v", s)
		}
		equal(t, "activities", activities(t, db, "a"), []string{"order_placed", "shipment_created", "shipment_status:in_transit",
			"shipment_status:exception", "shipment_status:out_for_delivery"})
	})
}

// A shipment whose order has not come yet (webhooks race) is stored with its timeline, but its
// news waits for the order, whose customer the messages go to: then its creation and the status
// it reached are told, at the times they happened, after the order.
func TestShipmentBeforeItsOrder(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		ingest(t, db, shipment("a", "s", ev(epilogue.ShipInTransit, time.Hour)))
		ingest(t, db, scan("a", "s", ev(epilogue.ShipException, 2*time.Hour)))
		if got := activities(t, db, "a"); len(got) != 0 {
			t.Fatalf("news before the order: %v", got)
		}
		ingest(t, db, order("a", "1001"))
		equal(t, "activities", activities(t, db, "a"), []string{"order_placed", "shipment_created", "shipment_status:exception"})
		all, _, err := db.ActivitiesAfter(ctx, 0, 0)
		must(t, err)
		if a := all[2]; a.ShipmentID != "s" || a.CustomerID != "c1" || !a.Time.Equal(t0.Add(2*time.Hour)) || a.Data["tracking_number"] != "1Z999" {
			t.Fatalf("status told after the order: %+v", a)
		}
		// Later news goes out as it comes; the order again tells nothing twice.
		ingest(t, db, scan("a", "s", ev(epilogue.ShipDelivered, 3*time.Hour)))
		again := order("a", "1001")
		again.Order.UpdatedAt = t0.Add(5 * time.Hour)
		ingest(t, db, again)
		equal(t, "activities", activities(t, db, "a"), []string{"order_placed", "shipment_created", "shipment_status:exception",
			"shipment_status:delivered"})
	})
}

func TestShipmentLookups(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		_, err := db.IngestOne(ctx, scan("a", "nope", ev(epilogue.ShipDelivered, 0)))
		code(t, "events for an unknown shipment", err, epilogue.ENotFound)
		ingest(t, db, shipment("a", "s1"))
		ingest(t, db, shipment("b", "s2"))
		byTracking := func(shop string) *track.Update {
			return &track.Update{ShopID: shop, Source: track.SourceEasyPost, ReceivedAt: t0, Shipments: []track.ShipmentChange{{ByTracking: true,
				Shipment: epilogue.Shipment{TrackingNumber: "1Z999", TrackingURL: "https://track.example/1Z999", Events: []epilogue.ShipmentEvent{ev("in_transit", 0)}}}}}
		}
		r := ingest(t, db, byTracking("a"))
		if len(r.Shipments) != 1 || r.Shipments[0].ID != "s1" || r.Shipments[0].ShipmentStatus != "in_transit" {
			t.Fatalf("by tracking number: %+v", r)
		}
		b, err := db.Shipment(ctx, "b", "s2")
		must(t, err)
		if b.Status != "" || b.TrackingURL != "" {
			t.Fatalf("shop b's shipment with the same tracking number changed: %+v", b)
		}
		u := byTracking("a")
		u.Shipments[0].Shipment.TrackingNumber = "unknown"
		if r := ingest(t, db, u); r.Shipments[0].Status != track.Ignored {
			t.Fatalf("unknown tracking number: %+v", r)
		}
		// A scan that comes before its shipment's creation (webhooks race) creates it; the
		// creation that follows fills it in.
		early := &track.Update{ShopID: "a", Source: track.SourceShopify, ReceivedAt: t0, Shipments: []track.ShipmentChange{{
			Shipment: epilogue.Shipment{ID: "s3", OrderID: "1001", Events: []epilogue.ShipmentEvent{ev("label_created", 0)}}}}}
		if r := ingest(t, db, early); r.Shipments[0].Status != track.Created {
			t.Fatalf("early scan: %+v", r)
		}
		if r := ingest(t, db, shipment("a", "s3")); r.Shipments[0].Status != track.Updated || r.Shipments[0].ShipmentStatus != "label_created" {
			t.Fatalf("late creation: %+v", r)
		}
	})
}

// TestFirstStatusOnceUnderConcurrency delivers the same scans from many goroutines at once
// (retries racing; on PostgreSQL, concurrent transactions): each status is news exactly once.
func TestFirstStatusOnceUnderConcurrency(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		ingest(t, db, order("a", "1001"))
		ingest(t, db, shipment("a", "s"))
		var wg sync.WaitGroup
		errs := make(chan error, 24)
		for g := range 24 {
			wg.Go(func() {
				// Different scans of the same statuses (16 in transit), in different orders.
				e := []epilogue.ShipmentEvent{ev("in_transit", time.Duration(g)*time.Minute), ev("out_for_delivery", 10*time.Hour), ev("delivered", 20*time.Hour)}
				u := scan("a", "s", e[g%3])
				_, err := db.Ingest(ctx, []*track.Update{u, scan("a", "s", e[(g+1)%3])})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		counts := map[string]int{}
		for _, a := range activities(t, db, "a") {
			counts[a]++
		}
		for _, k := range []string{"shipment_created", "shipment_status:delivered"} {
			if counts[k] != 1 {
				t.Fatalf("%s %d times: %v", k, counts[k], counts)
			}
		}
		if counts["shipment_status:in_transit"] > 1 || counts["shipment_status:out_for_delivery"] > 1 {
			t.Fatalf("a status was news twice: %v", counts)
		}
		s, err := db.Shipment(ctx, "a", "s")
		must(t, err)
		if s.Status != epilogue.ShipDelivered || len(s.Events) != 18 {
			t.Fatalf("shipment %s with %d events", s.Status, len(s.Events))
		}
	})
}

// An older version of a shipment's details (a fulfillment copied in an orders/updated that
// arrives late) does not replace newer ones; its scans still join the timeline. The API, which
// gives no version, always applies.
func TestOlderShipmentDetailsDoNotWin(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		ingest(t, db, order("a", "1001"))
		at := func(tracking string, v time.Duration, events ...epilogue.ShipmentEvent) *track.Update {
			u := shipment("a", "s", events...)
			u.Source = track.SourceShopify
			u.Shipments[0].Shipment.TrackingNumber, u.Shipments[0].Version = tracking, t0.Add(v)
			return u
		}
		ingest(t, db, at("NEW123", 2*time.Hour))
		if r := ingest(t, db, at("OLD999", time.Hour, ev(epilogue.ShipInTransit, time.Hour))); r.Shipments[0].NewEvents != 1 {
			t.Fatalf("the older version's scan: %+v", r)
		}
		s, err := db.Shipment(ctx, "a", "s")
		must(t, err)
		if s.TrackingNumber != "NEW123" || len(s.Events) != 1 {
			t.Fatalf("after an older version: %s, %d events", s.TrackingNumber, len(s.Events))
		}
		ingest(t, db, at("NEWER", 3*time.Hour))
		api := shipment("a", "s")
		api.Shipments[0].Shipment.TrackingNumber = "BYHAND"
		ingest(t, db, api)
		if s, _ := db.Shipment(ctx, "a", "s"); s.TrackingNumber != "BYHAND" {
			t.Fatalf("the API's change: %s", s.TrackingNumber)
		}
		ingest(t, db, at("LATE", 150*time.Minute))
		if s, _ := db.Shipment(ctx, "a", "s"); s.TrackingNumber != "BYHAND" {
			t.Fatalf("a version older than the newest seen replaced details: %s", s.TrackingNumber)
		}
	})
}
