package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the admin connection
)

// The conformance suite: every test is written once, as func(t, db), and each runs against a fresh
// SQLite file and a fresh PostgreSQL schema.

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var dialects = []string{"sqlite", "postgres"}

// each runs test against a fresh database of every dialect, in parallel.
func each(t *testing.T, test func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Parallel()
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			test(t, open(t, newURL(t, d)))
		})
	}
}

// open opens (and so migrates) the database at u, closing it when the test ends.
func open(tb testing.TB, u string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), u)
	if err != nil {
		tb.Fatalf("open %s: %v", u, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// newURL returns the URL of a fresh, empty database: a file in the test's temporary directory,
// or a new PostgreSQL schema dropped when the test ends.
func newURL(tb testing.TB, dialect string) string {
	tb.Helper()
	if dialect == "sqlite" {
		return "sqlite://" + filepath.Join(tb.TempDir(), "epilogue.db")
	}
	admin := postgresAdmin(tb)
	schema := "t_" + epilogue.RandomString(12)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, _ := url.Parse(postgresURL())
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func postgresURL() string {
	if u := os.Getenv("EPILOGUE_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultPostgres
}

// admin is one connection pool for creating and dropping schemas, shared by the whole run.
var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// postgresAdmin returns the shared admin pool, or skips the test when PostgreSQL cannot be
// reached (and fails it on CI, where it must be).
func postgresAdmin(tb testing.TB) *sql.DB {
	tb.Helper()
	admin.once.Do(func() { admin.db, admin.err = connectAdmin(postgresURL()) })
	if admin.err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL at %s: %v (CI must run the PostgreSQL half)", postgresURL(), admin.err)
		}
		tb.Skipf("PostgreSQL half skipped: cannot reach %s: %v (start PostgreSQL or set EPILOGUE_TEST_POSTGRES)", postgresURL(), admin.err)
	}
	return admin.db
}

// connectAdmin connects to the test database, creating it first when it does not exist.
func connectAdmin(u string) (*sql.DB, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, _ := sql.Open("pgx", u)
	err := db.PingContext(ctx)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "3D000" { // invalid_catalog_name
		db.Close()
		parsed, perr := url.Parse(u)
		if perr != nil {
			return nil, perr
		}
		name := strings.TrimPrefix(parsed.Path, "/")
		parsed.Path = "/postgres"
		server, _ := sql.Open("pgx", parsed.String())
		_, err = server.ExecContext(ctx, "CREATE DATABASE "+name)
		server.Close()
		if err != nil {
			return nil, err
		}
		db, _ = sql.Open("pgx", u)
		err = db.PingContext(ctx)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	db.SetMaxOpenConns(4)
	return db, nil
}

// ctx is the context of every store call in the tests.
var ctx = context.Background()

// t0 is a time with microsecond precision, the precision the store keeps.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// equal fails the test when got and want differ, showing both as JSON (which every domain type
// has) with Go's view as a fallback.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("%s differs\n got: %s\nwant: %s\n got: %#v\nwant: %#v", what, g, w, got, want)
	}
}

// code fails the test unless err carries the given epilogue error code.
func code(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, want)
	}
	if got := epilogue.ErrorCode(err); got != want {
		t.Fatalf("%s: error %v has code %s, want %s", what, err, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newShop creates a shop with default settings.
func newShop(t testing.TB, db *store.DB, id string) *epilogue.Shop {
	t.Helper()
	s := &epilogue.Shop{ID: id, Name: "Shop " + id, Secret: "secret-" + id, Settings: epilogue.DefaultSettings(), CreatedAt: t0}
	if err := db.CreateShop(ctx, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"mysql://localhost/x", "/tmp/x.db", "", "sqlite:/x.db"} {
		_, err := store.Open(ctx, u)
		if err == nil || !strings.Contains(err.Error(), "scheme") {
			t.Errorf("Open(%q) = %v, want an unknown scheme error", u, err)
		}
	}
}

func TestOpenSQLiteURLForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // relative forms resolve against the working directory
	for _, u := range []string{
		"sqlite://" + filepath.Join(dir, "abs.db"),
		"sqlite://./dot.db",
		"sqlite://plain.db",
		"sqlite://sub/dir/nested.db",
	} {
		db := open(t, u)
		if db.Dialect() != "sqlite" {
			t.Errorf("%s: dialect %q", u, db.Dialect())
		}
		newShop(t, db, "s1")
		db.Close()
	}
	for _, f := range []string{"abs.db", "dot.db", "plain.db", "sub/dir/nested.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("database file %s was not created: %v", f, err)
		}
	}
}

func TestOpenPostgresURLForms(t *testing.T) {
	t.Parallel()
	u := newURL(t, "postgres")
	for _, form := range []string{u, "postgresql" + strings.TrimPrefix(u, "postgres")} {
		db := open(t, form)
		if db.Dialect() != "postgres" {
			t.Errorf("%s: dialect %q", form, db.Dialect())
		}
		must(t, db.Ping(ctx))
	}
}

func TestSQLiteIsDurableWAL(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wal.db")
	db := open(t, "sqlite://"+path)
	newShop(t, db, "s1")
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log next to the database: %v", err)
	}
	// A second handle on the same file (another process, in effect) sees the committed write.
	other := open(t, "sqlite://"+path)
	if _, err := other.Shop(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
}

// One server per SQLite file: a second claim fails while the first holds it and succeeds once
// it closes; tools that do not claim (shop create beside a running server) still open the file.
func TestSQLiteHasOneServer(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "one.db")
	first := open(t, "sqlite://"+path)
	must(t, first.ClaimServer())
	second, err := store.Open(ctx, "sqlite://"+path)
	must(t, err)
	if err := second.ClaimServer(); err == nil || !strings.Contains(err.Error(), "another Epilogue server is using") {
		t.Fatalf("second claim: %v", err)
	}
	newShop(t, second, "tool") // a tool beside the server
	first.Close()
	must(t, second.ClaimServer())
	second.Close()
}

// The writer leaves checkpoints to a background connection (store/checkpoint.go): a few writes,
// far below the writer's own checkpoint threshold, still reach the database file within a
// checkpoint interval or two.
func TestSQLiteCheckpointsInBackground(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ckpt.db")
	db := open(t, "sqlite://"+path)
	content := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	time.Sleep(1500 * time.Millisecond) // the migrations' pages reach the file
	before := content()
	for i := range 50 {
		newShop(t, db, fmt.Sprintf("s%d", i))
	}
	deadline := time.Now().Add(5 * time.Second)
	for content() == before {
		if time.Now().After(deadline) {
			t.Fatal("database file unchanged 5 s after the writes: nothing checkpointed them")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestMigrateTwice(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		v1, err := db.SchemaVersion(ctx)
		must(t, err)
		if v1 < 1 {
			t.Fatalf("schema version %d after Open", v1)
		}
		newShop(t, db, "s1")
		must(t, db.Migrate(ctx))
		must(t, db.Migrate(ctx))
		v2, err := db.SchemaVersion(ctx)
		must(t, err)
		if v2 != v1 {
			t.Fatalf("schema version moved from %d to %d on a second migrate", v1, v2)
		}
		if _, err := db.Shop(ctx, "s1"); err != nil {
			t.Fatalf("data lost on a second migrate: %v", err)
		}
	})
}

// TestConcurrentMigrate opens one empty database from several handles at once, as replicas
// starting together do: every one must come up. A migration run twice would fail on its CREATE
// TABLE, so this also shows that each ran once.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			u := newURL(t, d)
			const n = 6
			var wg sync.WaitGroup
			dbs := make([]*store.DB, n)
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() { dbs[i], errs[i] = store.Open(ctx, u) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("handle %d: %v", i, err)
				}
				defer dbs[i].Close()
			}
			v, err := dbs[0].SchemaVersion(ctx)
			must(t, err)
			newShop(t, dbs[0], "s1")
			for _, db := range dbs[1:] {
				if _, err := db.Shop(ctx, "s1"); err != nil {
					t.Fatal(err)
				}
				w, err := db.SchemaVersion(ctx)
				must(t, err)
				if w != v {
					t.Fatalf("schema versions %d and %d", v, w)
				}
			}
		})
	}
}

func TestDialect(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		want := strings.Split(t.Name(), "/")[1]
		if db.Dialect() != want {
			t.Fatalf("Dialect() = %q, want %q", db.Dialect(), want)
		}
		must(t, db.Ping(ctx))
	})
}

// ids returns n ids with a prefix, for lists.
func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}
