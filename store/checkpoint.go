package store

import (
	"database/sql"
	"sync"
	"time"
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
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				// Errors are left to the next open: SQLite replays the log on recovery.
				db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
				return
			case <-t.C:
				db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
			db.Close()
		})
	}
}
