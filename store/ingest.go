package store

import (
	"context"
	"database/sql"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/track"
)

// Ingest applies a batch of order, shipment and refund updates (webhooks, API calls) in one
// transaction, with the activity rows each change owes the journey engine, and reports per
// update what changed. An update that fails (a value refused, a shipment not found, an error on
// its rows) is rolled back to its own savepoint and reported in its Result; the rest commit.
// It is the flush of the ingestion group-commit writer, so concurrent webhooks share one fsync.
func (db *DB) Ingest(ctx context.Context, us []*track.Update) ([]track.Result, error) {
	res := make([]track.Result, len(us))
	valid := 0
	for i, u := range us {
		if err := u.Validate(); err != nil {
			res[i].Err = err
			continue
		}
		valid++
	}
	if valid == 0 {
		return res, nil
	}
	err := db.batch(ctx, func(b *batch) error {
		for i, u := range us {
			if res[i].Err != nil {
				continue
			}
			if _, err := b.execSQL("SAVEPOINT ingest"); err != nil {
				return err
			}
			r, err := b.apply(u)
			if err != nil {
				if _, rerr := b.execSQL("ROLLBACK TO SAVEPOINT ingest"); rerr != nil {
					return rerr
				}
				r = track.Result{Err: err}
			}
			if _, err := b.execSQL("RELEASE SAVEPOINT ingest"); err != nil {
				return err
			}
			res[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// batch is one write transaction of orders and shipments, with its statements prepared once:
// SQLite's driver would otherwise parse every statement again on every call, which costs more
// than running it. (pgx keeps its own per-connection cache, so PostgreSQL needs none.)
type batch struct {
	db    *DB
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // nil: run statements unprepared
}

// batch runs fn in a write transaction that holds the activity log's lock from its start. On
// PostgreSQL that lock makes writers from several replicas take turns, so reading a row and
// writing it back cannot interleave with another writer, and no two transactions deadlock over
// rows locked in different orders; the log needs the lock anyway. SQLite has one writer.
func (db *DB) batch(ctx context.Context, fn func(b *batch) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		b := &batch{db: db, ctx: ctx, tx: tx}
		if db.dialect == dialectSQLite {
			b.stmts = map[string]*sql.Stmt{}
			defer func() {
				for _, st := range b.stmts {
					st.Close()
				}
			}()
		}
		if err := db.lockLog(ctx, tx, "activities"); err != nil {
			return err
		}
		return fn(b)
	})
}

// stmt returns the statement of sqlText prepared in the transaction, or nil when the dialect
// does not prepare (or preparing failed: running it unprepared then reports the error).
func (b *batch) stmt(sqlText string) *sql.Stmt {
	if b.stmts == nil {
		return nil
	}
	if st, ok := b.stmts[sqlText]; ok {
		return st
	}
	st, err := b.tx.PrepareContext(b.ctx, sqlText)
	if err != nil {
		return nil
	}
	b.stmts[sqlText] = st
	return st
}

func (b *batch) execSQL(sqlText string, args ...any) (sql.Result, error) {
	if st := b.stmt(sqlText); st != nil {
		return st.ExecContext(b.ctx, args...)
	}
	return b.tx.ExecContext(b.ctx, sqlText, args...)
}

// exec runs a named statement and returns the number of rows it changed.
func (b *batch) exec(name string, args ...any) (int64, error) {
	res, err := b.execSQL(b.db.q.get(name), args...)
	if err != nil {
		return 0, wrap(name, err)
	}
	n, err := res.RowsAffected()
	return n, wrap(name, err)
}

func (b *batch) queryRow(name string, args ...any) *sql.Row {
	if st := b.stmt(b.db.q.get(name)); st != nil {
		return st.QueryRowContext(b.ctx, args...)
	}
	return b.tx.QueryRowContext(b.ctx, b.db.q.get(name), args...)
}

func (b *batch) query(name string, args ...any) (*sql.Rows, error) {
	if st := b.stmt(b.db.q.get(name)); st != nil {
		return st.QueryContext(b.ctx, args...)
	}
	return b.tx.QueryContext(b.ctx, b.db.q.get(name), args...)
}

// IngestOne applies one update in its own transaction (tests and tools; the server batches).
func (db *DB) IngestOne(ctx context.Context, u *track.Update) (track.Result, error) {
	rs, err := db.Ingest(ctx, []*track.Update{u})
	if err != nil {
		return track.Result{}, err
	}
	return rs[0], rs[0].Err
}

// apply applies one update: the order first, so refunds and shipments that come with it see it.
func (b *batch) apply(u *track.Update) (track.Result, error) {
	var r track.Result
	var err error
	if u.Order != nil {
		if r.Order, err = b.applyOrder(u); err != nil {
			return r, err
		}
	}
	for _, rf := range u.Refunds {
		s, err := b.applyRefund(u, rf)
		if err != nil {
			return r, err
		}
		r.Refunds = append(r.Refunds, s)
	}
	for i := range u.Shipments {
		rs, err := b.applyShipment(u, &u.Shipments[i])
		if err != nil {
			return r, err
		}
		r.Shipments = append(r.Shipments, rs...)
	}
	return r, nil
}

// orderCustomer returns the customer id of an order, "" when the order is unknown (yet).
func (b *batch) orderCustomer(shopID, orderID string) (string, error) {
	c, _, err := b.orderOf(shopID, orderID)
	return c, err
}

// orderOf returns the customer of an order, and whether the order is stored.
func (b *batch) orderOf(shopID, orderID string) (string, bool, error) {
	if orderID == "" {
		return "", false, nil
	}
	var c string
	err := b.queryRow("OrderCustomer", shopID, orderID).Scan(&c)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	return c, err == nil, wrap("OrderCustomer", err)
}

// activity appends one activity inside the update's transaction.
func (b *batch) activity(a epilogue.Activity) error {
	return b.db.appendActivity(b.ctx, b.tx, &a)
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: true} }
