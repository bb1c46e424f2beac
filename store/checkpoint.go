package store

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue/internal/tick"
)

// checkpointEvery is how often the SQLite checkpointer copies the write-ahead log into the
// database file.
const checkpointEvery = time.Second

// checkpointer copies SQLite's write-ahead log into the database file every interval, on a
// connection of its own, until stop is called; stop runs a last checkpoint.
//
// SQLite's default is for the committing connection to checkpoint once the log passes a size:
// the commit that crosses it then takes a hundred milliseconds or more (copying and syncing tens
// of MB) while every write behind it waits, and the writer catches up in a burst that starves
// the request goroutines of CPU (p99 decision latency doubled in `epilogue bench decide`). A
// passive checkpoint on another connection runs beside the writer: in WAL mode a checkpoint and
// a write transaction do not block each other, and the log restarts from its beginning once a
// checkpoint has caught up with it.
func checkpointer(db *sql.DB, every time.Duration) (stop func()) {
	// Errors are left to the next checkpoint, or to the next open: SQLite replays the log.
	checkpoint := func(context.Context) { db.Exec("PRAGMA wal_checkpoint(PASSIVE)") }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		tick.Every(ctx, every, checkpoint)
		close(done)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
			checkpoint(context.Background())
			db.Close()
		})
	}
}
