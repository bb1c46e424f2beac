package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationFiles are numbered per dialect: migrations/<dialect>/0001_name.sql.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int64
	name    string
	sql     string
}

func migrations(dialect string) ([]migration, error) {
	dir := "migrations/" + dialect
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 || path.Ext(e.Name()) != ".sql" {
			return nil, fmt.Errorf("store: migration %s/%s is not named NNNN_name.sql", dir, e.Name())
		}
		b, err := migrationFiles.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: read migration: %w", err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("store: two %s migrations numbered %d", dialect, ms[i].version)
		}
	}
	return ms, nil
}

// Migrate applies every migration the database lacks, each in its own transaction. It is
// idempotent, and safe when several processes migrate one database at once.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := migrations(db.dialect)
	if err != nil {
		return err
	}
	for _, m := range ms {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			if db.q.has("LockMigrations") {
				if _, err := db.exec(ctx, tx, "LockMigrations"); err != nil {
					return err
				}
			}
			if _, err := db.exec(ctx, tx, "CreateMigrationsTable"); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, db.q.get("MigrationApplied"), m.version).Scan(&n); err != nil {
				return wrap("MigrationApplied", err)
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("store: migration %04d_%s: %w", m.version, m.name, err)
			}
			_, err := db.exec(ctx, tx, "InsertMigration", m.version, m.name, micros(time.Now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion returns the number of the newest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := db.read.QueryRowContext(ctx, db.q.get("SchemaVersion")).Scan(&v); err != nil {
		return 0, wrap("SchemaVersion", err)
	}
	return v, nil
}
