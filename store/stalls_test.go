package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
	"github.com/epiloguehq/epilogue/track"
)

func detector(db *store.DB, clock epilogue.Clock) *track.Detector {
	return track.NewDetector(track.DetectorConfig{Store: db, Clock: clock})
}

func step(t *testing.T, d *track.Detector) int {
	t.Helper()
	n, err := d.Step(ctx)
	must(t, err)
	return n
}

func TestStalledFulfillment(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		_, err := db.UpdateSettings(ctx, "a", func(s *epilogue.Settings) error { s.StallFulfillmentHours = 10; return nil })
		must(t, err)
		newShop(t, db, "b") // default threshold, 48 hours

		received := t0.Add(time.Minute)
		ingest(t, db, order("a", "paid"))
		ingest(t, db, order("b", "paid"))
		unpaid := order("a", "unpaid")
		unpaid.AwaitingShipment = false
		ingest(t, db, unpaid)
		shipped := order("a", "shipped")
		ingest(t, db, shipped)
		ingest(t, db, &track.Update{ShopID: "a", Source: track.SourceAPI, ReceivedAt: received,
			Shipments: []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "s1", OrderID: "shipped"}}}})
		// A shipment that came before its order: the order is never watched.
		ingest(t, db, &track.Update{ShopID: "a", Source: track.SourceAPI, ReceivedAt: received,
			Shipments: []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "s2", OrderID: "early"}}}})
		ingest(t, db, order("a", "early"))
		cancelled := order("a", "cancelled")
		cancelled.Order.Status = track.OrderCancelled
		ingest(t, db, cancelled)

		clock := epilogue.NewManualClock(received.Add(10*time.Hour - time.Second))
		d := detector(db, clock)
		if n := step(t, d); n != 0 {
			t.Fatalf("%d stalls before the threshold", n)
		}
		clock.Advance(time.Second)
		if n := step(t, d); n != 1 {
			t.Fatalf("%d stalls at shop a's threshold, want 1", n)
		}
		if n := step(t, d); n != 0 {
			t.Fatalf("the stall was recorded again (%d)", n)
		}
		clock.Set(received.Add(48 * time.Hour))
		if n := step(t, d); n != 1 {
			t.Fatalf("%d stalls at shop b's threshold, want 1", n)
		}
		o, err := db.Order(ctx, "a", "paid")
		must(t, err)
		if o.FulfillmentStalledAt == nil || !o.FulfillmentStalledAt.Equal(received.Add(10*time.Hour)) {
			t.Fatalf("stall flag: %v", o.FulfillmentStalledAt)
		}
		all, _, err := db.ActivitiesAfter(ctx, 0, 0)
		must(t, err)
		var stalls []*epilogue.Activity
		for _, a := range all {
			if a.Status == epilogue.ShipStalledFulfillment {
				stalls = append(stalls, a)
			}
		}
		if len(stalls) != 2 || stalls[0].ShopID != "a" || stalls[0].OrderID != "paid" || stalls[0].CustomerID != "c1" ||
			stalls[0].Kind != epilogue.ActivityShipmentStatus || stalls[1].ShopID != "b" {
			t.Fatalf("stall activities: %+v", stalls)
		}
		// Shipping after the stall is fine, and the order does not stall again.
		ingest(t, db, &track.Update{ShopID: "a", Source: track.SourceAPI, ReceivedAt: received,
			Shipments: []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "s3", OrderID: "paid"}}}})
		clock.Advance(100 * time.Hour)
		n := step(t, d)
		if n != 3 { // the three shipments, quiet for 148 hours: stalled in transit
			t.Fatalf("%d stalls", n)
		}
	})
}

func TestStalledTransit(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		ingest(t, db, order("a", "1001"))
		// Scans from long before Epilogue heard of the shipment: it counts from its arrival.
		ingest(t, db, shipment("a", "moving", ev(epilogue.ShipInTransit, -500*time.Hour)))
		ingest(t, db, shipment("a", "delivered", ev(epilogue.ShipDelivered, 0)))
		ingest(t, db, shipment("a", "out", ev(epilogue.ShipOutForDelivery, 0)))
		arrived := t0.Add(time.Hour)
		clock := epilogue.NewManualClock(arrived.Add(72*time.Hour - time.Second))
		d := detector(db, clock)
		if n := step(t, d); n != 0 {
			t.Fatalf("%d stalls before the threshold", n)
		}
		// A scan resets the quiet time of "moving".
		r := ingest(t, db, &track.Update{ShopID: "a", Source: track.SourceAPI, ReceivedAt: arrived.Add(72 * time.Hour),
			Shipments: []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "moving", Events: []epilogue.ShipmentEvent{{Status: "in_transit", Time: arrived.Add(24 * time.Hour)}}}}}})
		if r.Shipments[0].NewEvents != 1 {
			t.Fatalf("scan: %+v", r)
		}
		clock.Set(arrived.Add(72 * time.Hour))
		if n := step(t, d); n != 1 { // "out" only
			t.Fatalf("%d stalls, want 1", n)
		}
		clock.Set(arrived.Add(96 * time.Hour))
		if n := step(t, d); n != 1 { // "moving"
			t.Fatalf("%d stalls, want 1", n)
		}
		clock.Advance(1000 * time.Hour)
		if n := step(t, d); n != 0 {
			t.Fatalf("stalls recorded twice: %d", n)
		}
		moving, err := db.Shipment(ctx, "a", "moving")
		must(t, err)
		out, err := db.Shipment(ctx, "a", "out")
		must(t, err)
		// Stalled in transit replaces in_transit (equal rank) but not out_for_delivery (higher).
		if moving.Status != epilogue.ShipStalledTransit || out.Status != epilogue.ShipOutForDelivery {
			t.Fatalf("statuses %s %s", moving.Status, out.Status)
		}
		last := moving.Events[len(moving.Events)-1]
		if last.Status != epilogue.ShipStalledTransit || last.Source != "epilogue" {
			t.Fatalf("timeline: %+v", moving.Events)
		}
		// A scan after the stall moves the shipment on.
		after := scan("a", "moving", epilogue.ShipmentEvent{Status: "in_transit", Time: arrived.Add(100 * time.Hour)})
		after.ReceivedAt = clock.Now()
		r = ingest(t, db, after)
		if r.Shipments[0].ShipmentStatus != epilogue.ShipInTransit {
			t.Fatalf("after the stall: %+v", r)
		}
		equal(t, "activities", activities(t, db, "a"), []string{"order_placed", "shipment_created", "shipment_status:in_transit",
			"shipment_created", "shipment_status:delivered", "shipment_created", "shipment_status:out_for_delivery",
			"shipment_status:stalled_transit", "shipment_status:stalled_transit"})
	})
}

// TestStallsOnceAcrossReplicas runs detectors on several handles of one database at once, as
// replicas do: each stall is recorded by exactly one.
func TestStallsOnceAcrossReplicas(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			u := newURL(t, d)
			db := open(t, u)
			newShop(t, db, "a")
			for _, id := range ids("o", 30) {
				ingest(t, db, order("a", id))
				sh := shipment("a", "s"+id)
				sh.Shipments[0].Shipment.OrderID = id
				ingest(t, db, sh)
			}
			clock := epilogue.NewManualClock(t0.Add(30 * 24 * time.Hour))
			var wg sync.WaitGroup
			counts := make([]int, 4)
			for i := range counts {
				replica := open(t, u)
				wg.Go(func() {
					n, err := detector(replica, clock).Step(ctx)
					if err != nil {
						t.Error(err)
					}
					counts[i] = n
				})
			}
			wg.Wait()
			total := 0
			for _, n := range counts {
				total += n
			}
			// 30 shipments stall in transit; the orders have shipments, so none stalls waiting.
			if total != 30 {
				t.Fatalf("replicas recorded %v stalls, want 30 in all", counts)
			}
			if acts := activities(t, db, "a"); len(acts) != 30+30+30 {
				t.Fatalf("%d activities", len(acts))
			}
		})
	}
}

// A shipment whose order has not come yet can stall; the stall is its status, told with the
// order's customer when the order comes, not announced to nobody before.
func TestStallBeforeTheOrderWaitsForIt(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		ingest(t, db, shipment("a", "early", ev(epilogue.ShipInTransit, 0)))
		clock := epilogue.NewManualClock(t0.Add(30 * 24 * time.Hour))
		if n := step(t, detector(db, clock)); n != 1 {
			t.Fatalf("%d stalls, want 1", n)
		}
		equal(t, "activities before the order", activities(t, db, "a"), []string{})
		ingest(t, db, order("a", "1001"))
		all, _, err := db.ActivitiesAfter(ctx, 0, 0)
		must(t, err)
		var got []string
		for _, a := range all {
			if a.ShopID == "a" && a.ShipmentID == "early" {
				if a.CustomerID != "c1" {
					t.Errorf("%s %s told without the order's customer", a.Kind, a.Status)
				}
				got = append(got, a.Kind+":"+a.Status)
			}
		}
		equal(t, "the shipment's activities", got, []string{"shipment_created:", "shipment_status:stalled_transit"})
	})
}
