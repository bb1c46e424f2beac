package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSQLitePragmas(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	ctx := context.Background()
	for _, c := range []struct {
		pool       string
		pragma     string
		want       string
		onlyReader bool
	}{
		{"write", "journal_mode", "wal", false},
		{"write", "synchronous", "2", false}, // FULL
		{"write", "foreign_keys", "1", false},
		{"write", "busy_timeout", "10000", false},
		{"write", "query_only", "0", false},
		{"read", "journal_mode", "wal", true},
		{"read", "busy_timeout", "10000", true},
		{"read", "query_only", "1", true},
	} {
		pool := db.write
		if c.pool == "read" {
			pool = db.read
		}
		var got string
		if err := pool.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s pool: PRAGMA %s = %s, want %s", c.pool, c.pragma, got, c.want)
		}
	}
	if n := db.write.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("write pool allows %d connections, want 1", n)
	}
	if n := db.read.Stats().MaxOpenConnections; n < 2 {
		t.Errorf("read pool allows %d connections, want several", n)
	}
}

// TestSQLiteReadsDoNotWaitForWrites holds the one write connection in an open transaction and
// reads meanwhile: the read pool must answer at once, from the last committed state.
func TestSQLiteReadsDoNotWaitForWrites(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	ctx := context.Background()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, db.q.get("InsertShop"), "s1", "n", "x", "{}", 0); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	shops, err := db.Shops(rctx)
	if err != nil {
		t.Fatalf("read during a write: %v", err)
	}
	if len(shops) != 0 {
		t.Fatal("read saw an uncommitted write")
	}
}

func TestRewritePlaceholders(t *testing.T) {
	t.Parallel()
	pg := &queries{dialect: dialectPostgres}
	for in, want := range map[string]string{
		"SELECT ? , ?":                          "SELECT $1 , $2",
		"WHERE a = '?' AND b = ?":               "WHERE a = '?' AND b = $1",
		`SELECT "we?ird" FROM t WHERE x = ?`:    `SELECT "we?ird" FROM t WHERE x = $1`,
		"SELECT 1 -- is it?\nFROM t WHERE ?":    "SELECT 1 -- is it?\nFROM t WHERE $1",
		"WHERE a = 'it''s?' AND b IN (?, ?, ?)": "WHERE a = 'it''s?' AND b IN ($1, $2, $3)",
	} {
		if got := pg.rewrite(in); got != want {
			t.Errorf("rewrite(%q) = %q, want %q", in, got, want)
		}
	}
	lite := &queries{dialect: dialectSQLite}
	if got := lite.rewrite("SELECT ?"); got != "SELECT ?" {
		t.Errorf("sqlite rewrite changed the query: %q", got)
	}
}

func TestRowsExpansion(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ dialect, want string }{
		{dialectSQLite, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?) ON CONFLICT DO NOTHING"},
		{dialectPostgres, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT DO NOTHING"},
	} {
		q := &queries{dialect: c.dialect, raw: map[string]string{"X": "INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT DO NOTHING"}, rowsSQL: map[rowsKey]string{}}
		if got := q.rows("X", 3); got != c.want {
			t.Errorf("%s: rows = %q, want %q", c.dialect, got, c.want)
		}
		if got := q.rows("X", 3); got != c.want {
			t.Errorf("%s: cached rows = %q", c.dialect, got)
		}
	}
}

func TestParseBlocks(t *testing.T) {
	t.Parallel()
	got := map[string]string{}
	err := parseBlocks("f.sql", "-- header comment\n\n-- name: A\n-- why\nSELECT 1\nFROM t;\n\n-- name: B\nSELECT 2;\n", got)
	if err != nil {
		t.Fatal(err)
	}
	if got["A"] != "SELECT 1\nFROM t" || got["B"] != "SELECT 2" || len(got) != 2 {
		t.Fatalf("blocks %q", got)
	}
	for _, bad := range []string{"SELECT 1;", "-- name: A\n", "-- name: A\nSELECT 1;\n-- name: A\nSELECT 2;"} {
		if err := parseBlocks("f.sql", bad, map[string]string{}); err == nil {
			t.Errorf("parseBlocks(%q) accepted it", bad)
		}
	}
}

// TestEveryDialectLoads checks the embedded queries and migrations of both dialects parse, and
// that overrides name only queries where the syntax differs or that one dialect alone needs.
func TestEveryDialectLoads(t *testing.T) {
	t.Parallel()
	for _, d := range []string{dialectSQLite, dialectPostgres} {
		q, err := loadQueries(d)
		if err != nil {
			t.Fatal(err)
		}
		if !q.has("InsertEvents") || strings.Contains(q.get("InsertEvents"), "?") == (d == dialectPostgres) {
			t.Errorf("%s: InsertEvents = %q", d, q.get("InsertEvents"))
		}
		ms, err := migrations(d)
		if err != nil || len(ms) == 0 || ms[0].version != 1 {
			t.Fatalf("%s migrations: %v %v", d, ms, err)
		}
	}
}

func TestChunkRows(t *testing.T) {
	t.Parallel()
	sizes := map[int]bool{}
	for n := 1; n <= 3000; n++ {
		left, statements := n, 0
		for left > 0 {
			c := chunkRows(left)
			if c < 1 || c > left || c > maxRowsPerStatement {
				t.Fatalf("chunkRows(%d) = %d", left, c)
			}
			sizes[c] = true
			left -= c
			statements++
		}
		if n < maxRowsPerStatement && statements > 9 {
			t.Fatalf("%d rows take %d statements", n, statements)
		}
	}
	if len(sizes) != 10 {
		t.Fatalf("%d statement sizes, want 10", len(sizes))
	}
}

// TestSQLiteQueryPlans checks that the queries that run against large logs use their indexes;
// a partial index, for one, is only used when the query repeats its condition.
func TestSQLiteQueryPlans(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	for name, index := range map[string]string{
		"CustomerEvents":        "events_customer",
		"PseudonymiseEvents":    "events_customer",
		"DecisionBatchKeys":     "decision_batches_",
		"DecisionBatchesAround": "decision_batches_time",
		"DecisionBatch":         "INTEGER PRIMARY KEY",
		"Spend":                 "COVERING INDEX events_spend",
		"EventsAfter":           "INTEGER PRIMARY KEY",
		"DecisionBatchesAfter":  "INTEGER PRIMARY KEY",
		"Offers":                "offers_shop_seq",
		"Placements":            "placements_shop_seq",
		"KeyByHash":             "api_keys",
	} {
		q := db.q.get(name)
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = "x"
		}
		rows, err := db.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, index) || strings.Contains(p, "SCAN") {
			t.Errorf("%s: plan %q, want a search using %s", name, p, index)
		}
	}
}
