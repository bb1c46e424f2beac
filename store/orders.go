package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/track"
)

// orderState is what applying an update needs to know of a stored order.
type orderState struct {
	customerID string
	cancelled  bool
	total      int64
	currency   string
	refunded   int64
	hash       string
	awaiting   bool
	watch      sql.NullInt64
	stalled    sql.NullInt64
	updatedAt  int64
}

func (b *batch) orderState(shopID, id string) (orderState, bool, error) {
	var s orderState
	var cancelled, awaiting int64
	err := b.queryRow("OrderState", shopID, id).Scan(&s.customerID, &cancelled, &s.total, &s.currency,
		&s.refunded, &s.hash, &awaiting, &s.watch, &s.stalled, &s.updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	s.cancelled, s.awaiting = cancelled != 0, awaiting != 0
	return s, err == nil, wrap("OrderState", err)
}

// applyOrder creates or updates the update's order and answers created, updated or unchanged.
// An order older than the stored one (by the source's updated_at) is stale and changes nothing;
// a cancellation is for good.
func (b *batch) applyOrder(u *track.Update) (string, error) {
	o := *u.Order
	o.ShopID, o.Source = u.ShopID, u.Source
	if o.Items == nil {
		o.Items = []epilogue.LineItem{}
	}
	if o.Customer != nil {
		c := *o.Customer
		// The order keeps the customer as they were when it was placed.
		c.ShopID, c.Attributes, c.CreatedAt, c.UpdatedAt = u.ShopID, map[string]string{}, o.CreatedAt, o.CreatedAt
		if c.Email != "" {
			c.EmailSHA256 = epilogue.EmailSHA256(c.Email)
		}
		o.Customer = &c
	}
	cancel := o.Status == track.OrderCancelled
	hash, err := orderHash(&o)
	if err != nil {
		return "", err
	}
	now := u.ReceivedAt.UTC()
	cur, found, err := b.orderState(u.ShopID, o.ID)
	if err != nil {
		return "", err
	}
	if !found {
		var refunded int64 // refunds may come first: webhooks race
		if err := b.queryRow("OrderRefunds", u.ShopID, o.ID, o.Currency).Scan(&refunded); err != nil {
			return "", wrap("OrderRefunds", err)
		}
		watch, err := b.orderWatch(u, &o, cancel, sql.NullInt64{}, sql.NullInt64{})
		if err != nil {
			return "", err
		}
		o.Status = track.OrderStatus(cancel, o.Total, epilogue.Amount(refunded))
		data, err := marshal("order", &o)
		if err != nil {
			return "", err
		}
		if _, err := b.exec("InsertOrder", u.ShopID, o.ID, o.CustomerID, o.Status, boolInt(cancel), int64(o.Total),
			o.Currency, refunded, hash, data, boolInt(u.AwaitingShipment), watch, micros(o.CreatedAt), micros(o.UpdatedAt),
			micros(now)); err != nil {
			return "", err
		}
		if err := b.activity(epilogue.Activity{ShopID: u.ShopID, Kind: epilogue.ActivityOrderPlaced, OrderID: o.ID,
			CustomerID: o.CustomerID, Time: track.ClampTime(o.CreatedAt, now), Data: orderData(&o)}); err != nil {
			return "", err
		}
		if cancel {
			if err := b.cancelled(u.ShopID, &o, now); err != nil {
				return "", err
			}
		}
		if err := b.announceShipments(u.ShopID, &o); err != nil {
			return "", err
		}
		return track.Created, b.upsertOrderCustomer(u.ShopID, o.Customer, now)
	}

	if micros(o.UpdatedAt) < cur.updatedAt {
		return track.Unchanged, nil // stale: a newer version is stored
	}
	if err := track.CheckOrderChange(cur.currency, &o); err != nil {
		return "", err
	}
	changed := hash != cur.hash
	cancelNow := cancel && !cur.cancelled
	cancel = cancel || cur.cancelled
	// A newer version that changes nothing still moves the stored updated_at on, or an older
	// version arriving after it would not be seen as stale and would win.
	same := !changed && !cancelNow && u.AwaitingShipment == cur.awaiting
	if same && micros(o.UpdatedAt) == cur.updatedAt {
		return track.Unchanged, nil
	}
	watch, err := b.orderWatch(u, &o, cancel, cur.watch, cur.stalled)
	if err != nil {
		return "", err
	}
	if o.Source, err = b.orderSource(u.ShopID, o.ID, u.Source); err != nil {
		return "", err
	}
	o.Status = track.OrderStatus(cancel, o.Total, epilogue.Amount(cur.refunded))
	data, err := marshal("order", &o)
	if err != nil {
		return "", err
	}
	if _, err := b.exec("UpdateOrder", o.CustomerID, o.Status, boolInt(cancel), int64(o.Total), o.Currency, hash, data,
		boolInt(u.AwaitingShipment), watch, micros(o.CreatedAt), micros(o.UpdatedAt), micros(now), u.ShopID, o.ID); err != nil {
		return "", err
	}
	if same {
		return track.Unchanged, nil
	}
	if changed {
		if err := b.activity(epilogue.Activity{ShopID: u.ShopID, Kind: epilogue.ActivityOrderUpdated, OrderID: o.ID,
			CustomerID: o.CustomerID, Time: now, Data: orderData(&o)}); err != nil {
			return "", err
		}
		if err := b.upsertOrderCustomer(u.ShopID, o.Customer, now); err != nil {
			return "", err
		}
	}
	if cancelNow {
		if err := b.cancelled(u.ShopID, &o, now); err != nil {
			return "", err
		}
	}
	return track.Updated, nil
}

// orderSource returns the source of a stored order. An order keeps the source that first told
// Epilogue of it (epilogue.Order.Source): a shop correcting a Shopify order through the API does
// not make it an API order for the journeys and reports that ask where orders come from, and
// Shopify's next orders/updated does not flip it back.
func (b *batch) orderSource(shopID, id, fallback string) (string, error) {
	var data string
	if err := b.queryRow("OrderData", shopID, id).Scan(&data); err != nil {
		return "", wrap("OrderData", err)
	}
	var stored struct {
		Source string `json:"source"`
	}
	if err := unmarshal("order", data, &stored); err != nil {
		return "", err
	}
	if stored.Source == "" {
		return fallback, nil
	}
	return stored.Source, nil
}

// orderWatch decides whether stall detection watches an order, and since when: while it
// awaits a shipment, is not cancelled, has no shipment and has not stalled before.
func (b *batch) orderWatch(u *track.Update, o *epilogue.Order, cancelled bool,
	watch, stalled sql.NullInt64) (sql.NullInt64, error) {
	if cancelled || !u.AwaitingShipment || stalled.Valid {
		return sql.NullInt64{}, nil
	}
	if watch.Valid {
		return watch, nil
	}
	var n int64
	if err := b.queryRow("OrderHasShipment", u.ShopID, o.ID).Scan(&n); err != nil {
		return watch, wrap("OrderHasShipment", err)
	}
	if n > 0 {
		return sql.NullInt64{}, nil
	}
	// From when Epilogue heard of the order, if later than its placing: imported old orders
	// must not all stall at once.
	return nullInt(max(micros(o.CreatedAt), micros(u.ReceivedAt))), nil
}

func (b *batch) cancelled(shopID string, o *epilogue.Order, now time.Time) error {
	return b.activity(epilogue.Activity{ShopID: shopID, Kind: epilogue.ActivityOrderCancelled, OrderID: o.ID,
		CustomerID: o.CustomerID, Time: now, Data: orderData(o)})
}

// orderData is what an order's activities carry: enough to choose a journey without reading the
// order, and nothing personal.
func orderData(o *epilogue.Order) map[string]string {
	return map[string]string{"total": o.Total.String(), "currency": o.Currency, "source": o.Source}
}

// orderHash fingerprints what an order update may change, so a retry or an update that touched
// only fields Epilogue does not keep is recognised as no news.
func orderHash(o *epilogue.Order) (string, error) {
	b, err := marshal("order", struct {
		Customer   *epilogue.Customer
		CustomerID string
		Items      []epilogue.LineItem
		Total      epilogue.Amount
		Currency   string
		CreatedAt  int64
	}{o.Customer, o.CustomerID, o.Items, o.Total, o.Currency, micros(o.CreatedAt)})
	if err != nil {
		return "", err
	}
	return epilogue.SHA256Hex(b)[:32], nil
}

// upsertOrderCustomer records what an order says of its customer (contact, names, locale, time
// zone) without losing what the shop set through the customers API: only fields the order
// carries replace stored ones. An erased customer stays erased: an order does not bring their
// personal data back (the order itself keeps its copy).
func (b *batch) upsertOrderCustomer(shopID string, in *epilogue.Customer, now time.Time) error {
	if in == nil || in.ID == "" {
		return nil
	}
	// Written only over the customer read, as UpdateCustomer does: on PostgreSQL a PUT of the
	// customer may commit while this transaction runs, and must not be overwritten (the read
	// again sees it, READ COMMITTED). On SQLite the transaction holds the write lock throughout.
	for attempt := 1; ; attempt++ {
		c, old, err := scanCustomerData(b.queryRow("Customer", shopID, in.ID), shopID)
		found := err == nil
		switch {
		case errors.Is(err, sql.ErrNoRows):
			c = &epilogue.Customer{ID: in.ID, ShopID: shopID, Attributes: map[string]string{}, CreatedAt: now}
		case err != nil:
			return wrap("Customer", err)
		}
		if c.ErasedAt != nil {
			return nil
		}
		changed := !found
		for _, f := range []struct {
			dst *string
			v   string
		}{{&c.Email, in.Email}, {&c.FirstName, in.FirstName},
			{&c.LastName, in.LastName}, {&c.Phone, in.Phone}, {&c.Locale, in.Locale}, {&c.Timezone, in.Timezone}} {
			if f.v != "" && *f.dst != f.v {
				*f.dst, changed = f.v, true
			}
		}
		if !changed {
			return nil
		}
		if c.Email != "" {
			c.EmailSHA256 = epilogue.EmailSHA256(c.Email)
		}
		c.UpdatedAt = now
		data, err := marshal("customer", c)
		if err != nil {
			return err
		}
		var n int64
		if found {
			n, err = b.exec("UpdateCustomer", c.EmailSHA256, data, micros(c.UpdatedAt), shopID, c.ID, old)
		} else {
			n, err = b.exec("InsertCustomer", shopID, c.ID, c.EmailSHA256, data, micros(c.CreatedAt), micros(c.UpdatedAt))
		}
		if err != nil || n == 1 {
			return err
		}
		if attempt == casAttempts {
			return keptChanging("customer " + c.ID)
		}
	}
}

// applyRefund records a refund once; a new one updates its order's status (when the order is
// known) and, when money went back, tells the journey engine. The same id again is a retry or,
// with other money, a conflict (track.CheckRefundAgain) through the API; from a platform, whose
// refunds come again in every order update, it is the refund's money now (a pending transaction
// succeeded). A new refund is checked against its order (track.CheckRefund). Only refunds in the
// order's currency count towards its refunded total: a platform's refund in the customer's
// presentment currency is recorded, and told, in that currency, but not added to the total.
func (b *batch) applyRefund(u *track.Update, rf track.Refund) (string, error) {
	st, found, err := b.orderState(u.ShopID, rf.OrderID)
	if err != nil {
		return "", err
	}
	if rf.Currency == "" {
		rf.Currency = st.currency
	}
	stored := track.Refund{ID: rf.ID, OrderID: rf.OrderID}
	var amount int64
	switch err := b.queryRow("Refund", u.ShopID, rf.OrderID, rf.ID).Scan(&amount, &stored.Currency); {
	case err == nil:
		stored.Amount = epilogue.Amount(amount)
		if err := track.CheckRefundAgain(u.Source, rf, stored); err != nil {
			return "", err
		}
		if rf.Same(stored) {
			return track.Unchanged, nil
		}
		return track.Updated, b.refundChanged(u, rf, stored, st, found)
	case !errors.Is(err, sql.ErrNoRows):
		return "", wrap("Refund", err)
	}
	if found {
		if err := track.CheckRefund(u.Source, rf, &track.OrderMoney{Total: epilogue.Amount(st.total), Currency: st.currency,
			Refunded: epilogue.Amount(st.refunded)}); err != nil {
			return "", err
		}
	}
	n, err := b.exec("InsertRefund", u.ShopID, rf.OrderID, rf.ID, int64(rf.Amount), rf.Currency, micros(rf.Time),
		micros(u.ReceivedAt))
	if err != nil || n == 0 {
		return track.Unchanged, err
	}
	if err := b.addRefunded(u.ShopID, rf.OrderID, st, found, counted(rf, st)); err != nil {
		return "", err
	}
	if rf.Amount > 0 {
		err = b.refunded(u, rf, st.customerID)
	}
	return track.Created, err
}

// refundChanged records a platform's refund whose money changed, moves the order's refunded
// total by the difference, and tells the journey engine when money went back for the first time.
func (b *batch) refundChanged(u *track.Update, rf, stored track.Refund, st orderState, found bool) error {
	if _, err := b.exec("SetRefund", int64(rf.Amount), rf.Currency, u.ShopID, rf.OrderID, rf.ID); err != nil {
		return err
	}
	if stored.Currency == "" {
		stored.Currency = st.currency
	}
	if err := b.addRefunded(u.ShopID, rf.OrderID, st, found, counted(rf, st)-counted(stored, st)); err != nil {
		return err
	}
	if stored.Amount == 0 && rf.Amount > 0 {
		return b.refunded(u, rf, st.customerID)
	}
	return nil
}

// counted is what a refund adds to its order's refunded total: its amount when it is in the
// order's currency (or the order is not known yet, when OrderRefunds sums it on arrival).
func counted(rf track.Refund, st orderState) int64 {
	if rf.Currency != st.currency {
		return 0
	}
	return int64(rf.Amount)
}

// addRefunded moves a known order's refunded total, and the status that follows from it, by delta.
func (b *batch) addRefunded(shopID, orderID string, st orderState, found bool, delta int64) error {
	if !found || delta == 0 {
		return nil
	}
	refunded := st.refunded + delta
	status := track.OrderStatus(st.cancelled, epilogue.Amount(st.total), epilogue.Amount(refunded))
	_, err := b.exec("SetOrderRefunded", refunded, status, shopID, orderID)
	return err
}

// refunded tells the journey engine that money went back on an order.
func (b *batch) refunded(u *track.Update, rf track.Refund, customerID string) error {
	return b.activity(epilogue.Activity{ShopID: u.ShopID, Kind: epilogue.ActivityOrderRefunded, OrderID: rf.OrderID,
		CustomerID: customerID, Time: track.ClampTime(rf.Time, u.ReceivedAt), Data: map[string]string{
			"amount": rf.Amount.String(), "currency": rf.Currency, "refund_id": rf.ID}})
}

// Order returns one order of a shop.
func (db *DB) Order(ctx context.Context, shopID, id string) (*track.Order, error) {
	o, _, err := scanOrder(db.read.QueryRowContext(ctx, db.q.get("Order"), shopID, id), shopID, false)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, epilogue.NotFound("order", id)
	}
	return o, wrap("Order", err)
}

// OrdersAfter returns up to limit (default 1000) orders of every shop stored after seq afterSeq,
// in insert order, and the seq of the last one: what per-customer purchase state is rebuilt
// from at start.
func (db *DB) OrdersAfter(ctx context.Context, afterSeq int64, limit int) ([]*track.Order, int64, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("OrdersAfter"), afterSeq, logLimit(limit))
	if err != nil {
		return nil, afterSeq, wrap("OrdersAfter", err)
	}
	defer rows.Close()
	os := []*track.Order{}
	last := afterSeq
	for rows.Next() {
		o, seq, err := scanOrder(rows, "", true)
		if err != nil {
			return nil, afterSeq, wrap("OrdersAfter", err)
		}
		os, last = append(os, o), seq
	}
	return os, last, wrap("OrdersAfter", rows.Err())
}

func scanOrder(r scanner, shopID string, withSeq bool) (*track.Order, int64, error) {
	var o track.Order
	var seq, created, updated, refunded int64
	var id, customer, status, data string
	var stalled sql.NullInt64
	dest := []any{&id, &customer, &status, &data, &refunded, &stalled, &created, &updated}
	if withSeq {
		dest = append([]any{&seq, &shopID}, dest...)
	}
	if err := r.Scan(dest...); err != nil {
		return nil, 0, err
	}
	if err := unmarshal("order", data, &o.Order); err != nil {
		return nil, 0, err
	}
	o.ID, o.ShopID, o.CustomerID, o.Status = id, shopID, customer, status
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	o.Refunded, o.FulfillmentStalledAt = epilogue.Amount(refunded), fromNullMicros(stalled)
	if o.Customer != nil {
		o.Customer.ShopID = shopID
	}
	return &o, seq, nil
}

// AwaitingShipment returns up to limit orders of a shop that stall detection has watched since
// at or before t, longest waiting first.
func (db *DB) AwaitingShipment(ctx context.Context, shopID string, t time.Time, limit int) ([]track.Watch, error) {
	return db.watches(ctx, "AwaitingShipment", shopID, t, limit)
}

// RecordStalledFulfillment reports an order as stalled_fulfillment: it flags the order and
// writes the activity, together, unless the order changed since it was found (a shipment came,
// or another replica recorded the stall first). It reports whether this call recorded it.
func (db *DB) RecordStalledFulfillment(ctx context.Context, shopID string, w track.Watch, at time.Time) (bool, error) {
	won := false
	err := db.batch(ctx, func(b *batch) error {
		n, err := b.exec("StallOrder", micros(at), shopID, w.ID, micros(w.Since))
		if err != nil || n == 0 {
			return err
		}
		customer, err := b.orderCustomer(shopID, w.ID)
		if err != nil {
			return err
		}
		won = true
		return b.activity(epilogue.Activity{ShopID: shopID, Kind: epilogue.ActivityShipmentStatus, OrderID: w.ID,
			CustomerID: customer, Status: epilogue.ShipStalledFulfillment, Time: at,
			Data: map[string]string{"waiting_since": w.Since.UTC().Format(time.RFC3339)}})
	})
	return won && err == nil, err
}

func (db *DB) watches(ctx context.Context, query, shopID string, t time.Time, limit int) ([]track.Watch, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get(query), shopID, micros(t), limit)
	if err != nil {
		return nil, wrap(query, err)
	}
	defer rows.Close()
	var ws []track.Watch
	for rows.Next() {
		var w track.Watch
		var since int64
		if err := rows.Scan(&w.ID, &since); err != nil {
			return nil, wrap(query, err)
		}
		w.Since = fromMicros(since)
		ws = append(ws, w)
	}
	return ws, wrap(query, rows.Err())
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
