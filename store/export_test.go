package store

import "context"

// Exec runs raw SQL, for tests that build an older schema's state.
func (db *DB) Exec(ctx context.Context, sql string) error {
	_, err := db.write.ExecContext(ctx, sql)
	return err
}
