package store

import (
	"errors"
	"fmt"
	"os"
)

// ClaimServer makes this process the one server of a SQLite database until Close. A second
// server on the same file would keep budgets, frequency caps and the learner in memory apart
// from the first, and each would overwrite what the other learned: SQLite is one node, and
// several replicas need PostgreSQL, where ClaimServer does nothing. Command-line tools (shop
// create, key create) do not claim, and work beside a running server.
//
// The claim is an advisory lock on a file beside the database ("<file>-server.lock"), not on
// the database itself, whose locks are SQLite's; the kernel drops it when the process ends, so
// a crashed server never leaves the database claimed.
func (db *DB) ClaimServer() error {
	if db.path == "" || db.server != nil {
		return nil
	}
	path := db.path + "-server.lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return fmt.Errorf("store: another Epilogue server is using %s (SQLite serves one process; stop it, or run replicas on PostgreSQL)", db.path)
		}
		return fmt.Errorf("store: lock %s: %w", path, err)
	}
	db.server = f
	return nil
}

var errLocked = errors.New("locked")
