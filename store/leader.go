package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"
)

// Leader is one replica's claim to a role that only one replica may hold at a time (the
// learner). On PostgreSQL it is a session advisory lock held on a connection of its own, so it
// ends with the process however the process ends; SQLite serves one machine, so there the
// claim always holds.
type Leader struct {
	db   *DB
	role string
	mu   sync.Mutex
	conn *sql.Conn // holds the lock while leading
}

// Leader returns a claim to a role; it leads nothing until Lead.
func (db *DB) Leader(role string) *Leader {
	return &Leader{db: db, role: "epilogue.leader." + role}
}

// Lead reports whether this replica holds the role, trying to take it when it does not. A
// connection that broke loses the role (PostgreSQL released the lock with the session).
func (l *Leader) Lead(ctx context.Context) (bool, error) {
	if !l.db.q.has("TryLead") {
		return true, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		if err := l.conn.PingContext(ctx); err == nil {
			return true, nil
		}
		l.discard()
	}
	conn, err := l.db.write.Conn(ctx)
	if err != nil {
		return false, wrap("TryLead", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, l.db.q.get("TryLead"), l.role).Scan(&got); err != nil {
		conn.Close()
		return false, wrap("TryLead", err)
	}
	if !got {
		conn.Close()
		return false, nil
	}
	l.conn = conn
	return true, nil
}

// Release gives the role up.
func (l *Leader) Release() error {
	if !l.db.q.has("Unlead") {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	_, err := l.conn.ExecContext(context.Background(), l.db.q.get("Unlead"), l.role)
	l.discard()
	return wrap("Unlead", err)
}

// discard closes the leader's connection for good instead of returning it to the pool, so a
// lock that failed to unlock cannot outlive the claim on a connection someone else borrows.
func (l *Leader) discard() {
	l.conn.Raw(func(any) error { return driver.ErrBadConn }) // closes the connection
	l.conn = nil
}
