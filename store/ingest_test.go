package store_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/track"
)

// BenchmarkIngest reports updates/s through Ingest for the batch sizes the ingestion writer
// forms under load; the mix per order is a new order, its shipment and two scans, as the
// webhooks of one order are: go test -run=^$ -bench=Ingest ./store/
func BenchmarkIngest(b *testing.B) {
	for _, d := range dialects {
		for _, n := range []int{1, 100, 500} {
			b.Run(fmt.Sprintf("%s/batch=%d", d, n), func(b *testing.B) {
				db := open(b, newURL(b, d))
				newShop(b, db, "s1")
				seq := 0
				batch := make([]*track.Update, n)
				for b.Loop() {
					for i := range batch {
						batch[i] = benchUpdate(seq)
						seq++
					}
					rs, err := db.Ingest(ctx, batch)
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range rs {
						if r.Err != nil {
							b.Fatal(r.Err)
						}
					}
				}
				b.ReportMetric(float64(seq)/b.Elapsed().Seconds(), "updates/s")
			})
		}
	}
}

// benchUpdate is update seq of the mix: order create, shipment create, in_transit, delivered.
func benchUpdate(seq int) *track.Update {
	id := strconv.Itoa(seq / 4)
	now := t0.Add(time.Duration(seq) * time.Millisecond)
	u := &track.Update{ShopID: "s1", Source: track.SourceShopify, ReceivedAt: now}
	switch seq % 4 {
	case 0:
		customer := strconv.Itoa(seq / 4 % 5000)
		u.AwaitingShipment = true
		u.Order = &epilogue.Order{ID: id, CustomerID: customer, Customer: &epilogue.Customer{ID: customer, Email: "c" + customer + "@example.com", FirstName: "Ana"},
			Items: []epilogue.LineItem{{SKU: "ESP-1", Title: "Espresso machine", Price: 499 * epilogue.Micro, Quantity: 1},
				{SKU: "BEANS-2", Title: "Beans", Price: 49 * epilogue.Micro, Quantity: 1}},
			Total: 548 * epilogue.Micro, Currency: "USD", Status: track.OrderOpen, CreatedAt: now, UpdatedAt: now}
	case 1:
		u.Shipments = []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: id, OrderID: id, Carrier: "UPS", TrackingNumber: "1Z" + id}}}
	case 2:
		u.Shipments = []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: id, OrderID: id,
			Events: []epilogue.ShipmentEvent{{Status: epilogue.ShipInTransit, RawStatus: "in_transit", Time: now}}}}}
	default:
		u.Shipments = []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: id, OrderID: id,
			Events: []epilogue.ShipmentEvent{{Status: epilogue.ShipDelivered, RawStatus: "delivered", Time: now}}}}}
	}
	return u
}
