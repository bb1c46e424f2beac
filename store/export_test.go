package store

import "context"

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
