// Package store keeps Epilogue's data in SQLite (embedded, one machine) or PostgreSQL (many
// replicas), through one code path: database/sql, migrations and queries in embedded .sql files.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// DB is Epilogue's database. It is safe for concurrent use.
type DB struct {
	dialect string
	// write takes every write. On SQLite it holds one connection: SQLite has one writer at a
	// time anyway, and queueing in Go is cheaper than SQLITE_BUSY retries.
	write *sql.DB
	// read serves reads; on SQLite a separate pool, so a read never waits behind a write.
	read *sql.DB
	q    *queries
	// stopCheckpoints ends the SQLite checkpointer (nil on PostgreSQL).
	stopCheckpoints func()
	// log hears of stored rows that no longer decode (see skip); silent until SetLogger.
	log atomic.Pointer[slog.Logger]
	// path is the SQLite file ("" on PostgreSQL); server holds ClaimServer's lock.
	path   string
	server *os.File
}

// SetLogger sets where the store reports rows it skips because they no longer decode.
func (db *DB) SetLogger(l *slog.Logger) { db.log.Store(l) }

// skip reports a stored record that does not decode, so that readers can go on without it:
// one bad row (written by an older version with looser checks, or damaged on disk) must not
// stop a shop's snapshot, the server's start or the learner for every shop. What it held is
// left in the database, untouched, for an operator to look at.
func (db *DB) skip(what, shopID, id string, err error) {
	if l := db.log.Load(); l != nil {
		l.Warn("skipping a stored record that does not decode", "record", what, "shop", shopID, "id", id, "err", err)
	}
}

// Open connects to the database at url and migrates it. url is sqlite:///abs/path.db,
// sqlite://rel/path.db or postgres://… (postgresql://…).
func Open(ctx context.Context, url string) (*DB, error) {
	var db *DB
	var err error
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		db, err = openSQLite(strings.TrimPrefix(url, "sqlite://"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err = openPostgres(url)
	default:
		scheme, _, _ := strings.Cut(url, ":")
		return nil, fmt.Errorf("store: unknown database URL scheme %q: want sqlite:///path/to/file.db or postgres://…", scheme)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openSQLite(path string) (*DB, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, errors.New("store: sqlite URL needs a file path without '?', e.g. sqlite:///var/lib/epilogue.db")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: create database directory: %w", err)
		}
	}
	q, err := loadQueries(dialectSQLite)
	if err != nil {
		return nil, err
	}
	// synchronous=FULL: in WAL mode NORMAL may lose the last commits on power loss, and an
	// acknowledged event must survive. _txlock=immediate takes the write lock at BEGIN, so two
	// processes on one file wait on busy_timeout instead of failing on a lock upgrade.
	// wal_autocheckpoint(10000) lets the log grow to about 40 MB before the writer checkpoints
	// itself: random index inserts dirty the same pages batch after batch, and each checkpoint
	// then copies a page once instead of every few batches (a quarter more events/s in
	// BenchmarkInsertEvents). Below that, the checkpointer keeps the log short off the writer's
	// path.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(memory)"
	write, err := sqliteDB(path + "?" + common + "&_pragma=cache_size(-65536)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)&_pragma=wal_autocheckpoint(10000)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	// The write pool's first connection turns WAL on for the file before any reader opens it.
	if err := connectSQLite(write); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	read, err := sqliteDB(path + "?" + common + "&_pragma=cache_size(-16000)&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	ckpt, err := sqliteDB(path + "?" + common + "&_pragma=synchronous(FULL)")
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	ckpt.SetMaxOpenConns(1)
	db := &DB{dialect: dialectSQLite, write: write, read: read, q: q, path: path}
	db.stopCheckpoints = checkpointer(ckpt, checkpointEvery)
	return db, nil
}

// connectSQLite opens the first write connection. Switching a new file to WAL needs an
// exclusive lock and SQLite answers SQLITE_BUSY at once, without the busy timeout, when another
// process holds any lock (replicas starting together), so it retries for a while.
func connectSQLite(db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := db.Ping()
		var e *sqlite.Error
		if err == nil || !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond)
	}
}

func sqliteDB(dsn string) (*sql.DB, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: %w", err)
	}
	return sql.OpenDB(c), nil
}

func openPostgres(url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: postgres URL: %w", err)
	}
	q, err := loadQueries(dialectPostgres)
	if err != nil {
		return nil, err
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	pool.SetConnMaxLifetime(time.Hour)
	return &DB{dialect: dialectPostgres, write: pool, read: pool, q: q}, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	if db.stopCheckpoints != nil {
		db.stopCheckpoints()
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if db.server != nil {
		db.server.Close() // and with it the lock
	}
	return err
}

// Ping checks that the database answers, for reads and writes.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if db.read != db.write {
		if err := db.read.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping: %w", err)
		}
	}
	return nil
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect }

// tx runs fn in a write transaction and commits it when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// exec runs a named query on the write pool and returns the number of rows it changed.
func (db *DB) exec(ctx context.Context, e execer, name string, args ...any) (int64, error) {
	res, err := e.ExecContext(ctx, db.q.get(name), args...)
	if err != nil {
		return 0, wrap(name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap(name, err)
	}
	return n, nil
}

// execer is what *sql.DB and *sql.Tx share.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// wrap says which query failed; the cause stays in the chain for errors.Is and errors.As.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", what, err)
}
