package track_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/track"
)

var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func validOrder() *track.Update {
	return &track.Update{ShopID: "s", Source: track.SourceAPI, ReceivedAt: t0, Order: &epilogue.Order{ID: "1001", CustomerID: "c1",
		Customer: &epilogue.Customer{ID: "c1", Email: "ana@example.com", Timezone: "Europe/Oslo"},
		Items:    []epilogue.LineItem{{SKU: "X1", Price: epilogue.Micro, Quantity: 1}}, Total: epilogue.Micro, Currency: "USD",
		CreatedAt: t0, UpdatedAt: t0}}
}

func TestValidate(t *testing.T) {
	if err := validOrder().Validate(); err != nil {
		t.Fatal(err)
	}
	for field, change := range map[string]func(u *track.Update){
		"shop_id":                      func(u *track.Update) { u.ShopID = "" },
		"source":                       func(u *track.Update) { u.Source = "fax" },
		"received_at":                  func(u *track.Update) { u.ReceivedAt = time.Time{} },
		"order.id":                     func(u *track.Update) { u.Order.ID = "a b" },
		"order.currency":               func(u *track.Update) { u.Order.Currency = "usd" },
		"order.customer.email":         func(u *track.Update) { u.Order.Customer.Email = "nope" },
		"order.customer.timezone":      func(u *track.Update) { u.Order.Customer.Timezone = "Local" },
		"order.customer.id":            func(u *track.Update) { u.Order.Customer.ID = "c2" },
		"order.items[0].quantity":      func(u *track.Update) { u.Order.Items[0].Quantity = -1 },
		"order.created_at":             func(u *track.Update) { u.Order.CreatedAt = t0.Add(48 * time.Hour) },
		"order.updated_at":             func(u *track.Update) { u.Order.UpdatedAt = time.Time{} },
		"order.status":                 func(u *track.Update) { u.Order.Status = "refunded" },
		"shipments[0].id":              func(u *track.Update) { u.Shipments = []track.ShipmentChange{{}} },
		"shipments[0].tracking_number": func(u *track.Update) { u.Shipments = []track.ShipmentChange{{ByTracking: true}} },
		"shipments[0].events[0].status": func(u *track.Update) {
			u.Shipments = []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "s", Events: []epilogue.ShipmentEvent{{Status: "lost", Time: t0}}}}}
		},
		"shipments[0].events[0].time": func(u *track.Update) {
			u.Shipments = []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "s", Events: []epilogue.ShipmentEvent{{Status: "delivered"}}}}}
		},
		"refunds[0].order_id": func(u *track.Update) { u.Refunds = []track.Refund{{ID: "r", Time: t0}} },
		"refunds[0].currency": func(u *track.Update) { u.Refunds = []track.Refund{{ID: "r", OrderID: "o", Currency: "EURO", Time: t0}} },
	} {
		u := validOrder()
		change(u)
		err := u.Validate()
		var e *epilogue.Error
		if !errors.As(err, &e) || e.Code != epilogue.EInvalid || e.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}

func TestOrderStatus(t *testing.T) {
	for _, c := range []struct {
		cancelled       bool
		total, refunded epilogue.Amount
		want            string
	}{{false, 10, 0, "open"}, {false, 10, 4, "partially_refunded"}, {false, 10, 10, "refunded"}, {true, 10, 10, "cancelled"}, {false, 0, 0, "open"}} {
		if got := track.OrderStatus(c.cancelled, c.total, c.refunded); got != c.want {
			t.Errorf("%+v: %s", c, got)
		}
	}
}

// fakeStore is a store for the detector's own logic; the store package tests the real one.
type fakeStore struct {
	mu       sync.Mutex
	shops    []*epilogue.Shop
	orders   map[string][]track.Watch // by shop
	recorded []string
	asked    map[string]time.Time
	fail     error
}

func (f *fakeStore) Shops(context.Context) ([]*epilogue.Shop, error) { return f.shops, nil }

func (f *fakeStore) AwaitingShipment(_ context.Context, shop string, t time.Time, limit int) ([]track.Watch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked[shop+"/fulfillment"] = t
	var out []track.Watch
	for _, w := range f.orders[shop] {
		if !w.Since.After(t) && len(out) < limit {
			out = append(out, w)
		}
	}
	return out, f.fail
}

func (f *fakeStore) RecordStalledFulfillment(_ context.Context, shop string, w track.Watch, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recorded = append(f.recorded, shop+"/"+w.ID)
	return true, nil
}

func (f *fakeStore) QuietShipments(_ context.Context, shop string, t time.Time, _ int) ([]track.Watch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked[shop+"/transit"] = t
	return nil, nil
}

func (f *fakeStore) RecordStalledTransit(context.Context, string, track.Watch, time.Time) (bool, error) {
	return false, nil
}

func TestDetectorThresholdsPerShop(t *testing.T) {
	quick := epilogue.DefaultSettings()
	quick.StallFulfillmentHours, quick.StallTransitHours = 1, 2
	old := epilogue.Settings{} // stored before the thresholds existed
	f := &fakeStore{shops: []*epilogue.Shop{{ID: "quick", Settings: quick}, {ID: "old", Settings: old}},
		orders: map[string][]track.Watch{"quick": {{ID: "o1", Since: t0.Add(-90 * time.Minute)}, {ID: "o2", Since: t0}},
			"old": {{ID: "o3", Since: t0.Add(-47 * time.Hour)}}},
		asked: map[string]time.Time{}}
	d := track.NewDetector(track.DetectorConfig{Store: f, Clock: epilogue.NewManualClock(t0)})
	n, err := d.Step(context.Background())
	if err != nil || n != 1 || len(f.recorded) != 1 || f.recorded[0] != "quick/o1" {
		t.Fatalf("step: %d %v %v", n, err, f.recorded)
	}
	for k, want := range map[string]time.Duration{"quick/fulfillment": time.Hour, "quick/transit": 2 * time.Hour,
		"old/fulfillment": 48 * time.Hour, "old/transit": 72 * time.Hour} {
		if got := t0.Sub(f.asked[k]); got != want {
			t.Errorf("%s threshold %v, want %v", k, got, want)
		}
	}
	f.fail = errors.New("database down")
	if _, err := d.Step(context.Background()); err == nil {
		t.Fatal("a failing store must be reported")
	}
}

func TestDetectorRunStops(t *testing.T) {
	f := &fakeStore{asked: map[string]time.Time{}}
	d := track.NewDetector(track.DetectorConfig{Store: f, Interval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	time.Sleep(5 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run did not stop with its context")
	}
}
