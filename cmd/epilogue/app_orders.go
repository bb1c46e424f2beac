package main

import (
	"context"
	"fmt"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/internal/groupcommit"
	"github.com/epiloguehq/epilogue/store"
	"github.com/epiloguehq/epilogue/track"
)

// Wiring of orders, shipments, webhooks and stall detection into the app. openApp calls
// wireOrders after the engine is built.
func (a *app) wireOrders() error {
	// Webhooks arrive one per request: the writer gathers those that arrive within a
	// millisecond into one transaction, so they share one fsync instead of paying one each.
	w := groupcommit.New(a.db.Ingest, groupcommit.Options{
		MaxBatch: 500, MaxDelay: time.Millisecond, Depth: a.metrics.QueueDepth("ingest"),
	})
	a.closers = append(a.closers, w.Close)
	a.orders = orderStore{DB: a.db, w: w, people: a.engine.People()}

	d := track.NewDetector(track.DetectorConfig{Store: a.db, Clock: a.clock, Log: a.log})
	a.background = append(a.background, d.Run)

	start := time.Now()
	n, err := replayPurchases(context.Background(), a.db, a.engine.People())
	if err != nil {
		return fmt.Errorf("replaying orders: %w", err)
	}
	a.log.Info("orders loaded", "orders", n, "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// orderStore is the API's OrderStore: reads from the database, writes through the group-commit
// writer. A new order, once durable, tells the decision engine what the customer bought, so
// already_purchased and new/returning hold on the next decision.
type orderStore struct {
	*store.DB
	w      *groupcommit.Writer[*track.Update, track.Result]
	people *decide.People
}

// Ingest commits updates in the writer's next batch and reports per update what changed.
func (o orderStore) Ingest(ctx context.Context, us []*track.Update) ([]track.Result, error) {
	rs, err := o.w.Submit(ctx, us...)
	if err != nil {
		return nil, err
	}
	for i, r := range rs {
		if r.Err == nil && r.Order == track.Created {
			purchased(o.people, us[i].ShopID, us[i].Order)
		}
	}
	return rs, nil
}

// purchased records an order in the customer's state, under each key the customer may be known
// by (their id, and their email's hash); the order id makes a repeat count once.
func purchased(p *decide.People, shopID string, o *epilogue.Order) {
	items := make([]epilogue.CartItem, len(o.Items))
	for i, it := range o.Items {
		items[i] = epilogue.CartItem{SKU: it.SKU, ProductID: it.ProductID, Category: it.Category, Price: it.Price, Quantity: it.Quantity}
	}
	if o.CustomerID != "" {
		p.Purchased(shopID, "id:"+o.CustomerID, o.ID, items)
	}
	if o.Customer != nil && o.Customer.Email != "" {
		p.Purchased(shopID, "em:"+epilogue.EmailSHA256(o.Customer.Email), o.ID, items)
	}
}

// replayPurchases warms the customers' purchase state from the stored orders at start.
func replayPurchases(ctx context.Context, db *store.DB, p *decide.People) (int, error) {
	var after int64
	n := 0
	for {
		os, last, err := db.OrdersAfter(ctx, after, 5000)
		if err != nil {
			return n, err
		}
		for _, o := range os {
			purchased(p, o.ShopID, &o.Order)
		}
		n += len(os)
		if len(os) == 0 || last == after {
			return n, nil
		}
		after = last
	}
}
