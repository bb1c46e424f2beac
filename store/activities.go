package store

import (
	"context"
	"database/sql"

	"github.com/epiloguehq/epilogue"
)

// AppendActivity adds one activity to the log in its own transaction and sets its Seq.
func (db *DB) AppendActivity(ctx context.Context, a *epilogue.Activity) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.appendActivity(ctx, tx, a) })
}

// appendActivity adds an activity inside a transaction that also makes the change it reports,
// so the two commit together or not at all.
func (db *DB) appendActivity(ctx context.Context, tx *sql.Tx, a *epilogue.Activity) error {
	if err := db.lockLog(ctx, tx, "activities"); err != nil {
		return err
	}
	data := "{}"
	if len(a.Data) > 0 {
		var err error
		if data, err = marshal("activity data", a.Data); err != nil {
			return err
		}
	}
	err := tx.QueryRowContext(ctx, db.q.get("InsertActivity"), a.ShopID, a.Kind, a.OrderID, a.ShipmentID, a.CustomerID,
		a.Status, micros(a.Time), data).Scan(&a.Seq)
	return wrap("InsertActivity", err)
}

// CustomerChangesAfter returns up to limit customer_changed activities after seq, and the seq
// of the last one (seq when there are none).
func (db *DB) CustomerChangesAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Activity, int64, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("CustomerChangesAfter"), afterSeq, logLimit(limit))
	if err != nil {
		return nil, afterSeq, wrap("CustomerChangesAfter", err)
	}
	as, last, err := scanActivities(rows, afterSeq)
	return as, last, wrap("CustomerChangesAfter", err)
}

// LastActivity returns the seq of the latest activity (0 for none).
func (db *DB) LastActivity(ctx context.Context) (int64, error) {
	var seq int64
	err := db.read.QueryRowContext(ctx, db.q.get("LastActivity")).Scan(&seq)
	return seq, wrap("LastActivity", err)
}

// ActivitiesAfter returns up to limit (default 1000) activities of every shop after seq
// afterSeq, in order, and the seq of the last one (afterSeq when there are none).
func (db *DB) ActivitiesAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Activity, int64, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("ActivitiesAfter"), afterSeq, logLimit(limit))
	if err != nil {
		return nil, afterSeq, wrap("ActivitiesAfter", err)
	}
	as, last, err := scanActivities(rows, afterSeq)
	return as, last, wrap("ActivitiesAfter", err)
}

// OrderActivities returns every activity of one order, oldest first (for its timeline).
func (db *DB) OrderActivities(ctx context.Context, shopID, orderID string) ([]*epilogue.Activity, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("OrderActivities"), shopID, orderID)
	if err != nil {
		return nil, wrap("OrderActivities", err)
	}
	as, _, err := scanActivities(rows, 0)
	return as, wrap("OrderActivities", err)
}

func scanActivities(rows *sql.Rows, last int64) ([]*epilogue.Activity, int64, error) {
	defer rows.Close()
	as := []*epilogue.Activity{}
	for rows.Next() {
		var a epilogue.Activity
		var t int64
		var data string
		if err := rows.Scan(&a.Seq, &a.ShopID, &a.Kind, &a.OrderID, &a.ShipmentID, &a.CustomerID, &a.Status, &t, &data); err != nil {
			return nil, 0, err
		}
		a.Time = fromMicros(t)
		if data != "{}" && data != "" {
			if err := unmarshal("activity data", data, &a.Data); err != nil {
				return nil, 0, err
			}
		}
		last = a.Seq
		as = append(as, &a)
	}
	return as, last, rows.Err()
}
