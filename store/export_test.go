package store

import (
	"context"

	"github.com/epiloguehq/epilogue"
)

// Exec runs raw SQL, for tests that build an older schema's state.
func (db *DB) Exec(ctx context.Context, sql string) error {
	_, err := db.write.ExecContext(ctx, sql)
	return err
}

// QueryRow runs raw SQL that returns one row, for tests that look at how data is stored.
func (db *DB) QueryRow(ctx context.Context, sql string, dest ...any) error {
	return db.write.QueryRowContext(ctx, sql).Scan(dest...)
}

// ExecArgs runs raw SQL with ? placeholders and arguments, in either dialect.
func (db *DB) ExecArgs(ctx context.Context, sql string, args ...any) error {
	_, err := db.write.ExecContext(ctx, db.q.rewrite(sql), args...)
	return err
}

// UpsertCustomer stores c as it is, with the blind write an order makes of its customer (see
// upsertOrderCustomer), for tests that need a customer to exist. The API and journeys change
// customers through UpdateCustomer, which keeps concurrent changes.
func (db *DB) UpsertCustomer(ctx context.Context, c *epilogue.Customer) error {
	data, err := marshal("customer", c)
	if err != nil {
		return err
	}
	_, err = db.exec(ctx, db.write, "UpsertCustomer", c.ShopID, c.ID, c.EmailSHA256, data, nullMicros(c.ErasedAt),
		micros(c.CreatedAt), micros(c.UpdatedAt))
	return err
}
