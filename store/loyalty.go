package store

import (
	"context"
	"database/sql"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
)

// LoyaltyBalance returns a customer's points.
func (db *DB) LoyaltyBalance(ctx context.Context, shopID, customerID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, db.q.get("LoyaltyBalance"), shopID, customerID).Scan(&n)
	return n, wrap("LoyaltyBalance", err)
}

// Loyalty returns a customer's balance and up to limit ledger entries, newest first.
func (db *DB) Loyalty(ctx context.Context, shopID, customerID string, limit int) (int, []*journey.LoyaltyEntry, error) {
	balance, err := db.LoyaltyBalance(ctx, shopID, customerID)
	if err != nil {
		return 0, nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q.get("LoyaltyHistory"), shopID, customerID, logLimit(limit))
	if err != nil {
		return 0, nil, wrap("LoyaltyHistory", err)
	}
	defer rows.Close()
	out := []*journey.LoyaltyEntry{}
	for rows.Next() {
		e := journey.LoyaltyEntry{ShopID: shopID}
		var t int64
		if err := rows.Scan(&e.ID, &e.CustomerID, &e.Points, &e.Reason, &e.OrderID, &t); err != nil {
			return 0, nil, wrap("LoyaltyHistory", err)
		}
		e.Time = fromMicros(t)
		out = append(out, &e)
	}
	return balance, out, wrap("LoyaltyHistory", rows.Err())
}

// SaveFeedback stores a review or survey answer, the activity it causes and the points it
// earns (points may be nil), all or nothing. It returns false, changing nothing, when
// feedback with the same id is stored already.
func (db *DB) SaveFeedback(ctx context.Context, f *journey.Feedback, a *epilogue.Activity, points *journey.LoyaltyEntry) (bool, error) {
	var created bool
	err := db.tx(ctx, func(tx *sql.Tx) error {
		n, err := db.exec(ctx, tx, "InsertFeedback", f.ShopID, f.ID, f.Kind, f.OrderID, f.CustomerID, f.Score, f.Comment, micros(f.Time))
		if err != nil || n == 0 {
			return err
		}
		created = true
		if err := db.appendActivity(ctx, tx, a); err != nil {
			return err
		}
		if p := points; p != nil {
			_, err = db.exec(ctx, tx, "InsertLoyalty", p.ShopID, p.ID, p.CustomerID, p.Points, p.Reason, p.OrderID, micros(p.Time))
		}
		return err
	})
	return created, err
}
