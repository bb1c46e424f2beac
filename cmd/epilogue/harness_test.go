package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

// env is a whole Epilogue server on a port-0 listener over a fresh database, with two shops.
type env struct {
	t      *testing.T
	base   string
	db     string
	a, b   shopKeys
	cancel context.CancelFunc
	done   chan error
	app    *app
}

type shopKeys struct {
	id, pk, sk string
}

// startEnv starts a server on dbURL (a fresh SQLite file when empty).
func startEnv(t *testing.T, dbURL string) *env {
	t.Helper()
	if dbURL == "" {
		dbURL = "sqlite://" + filepath.Join(t.TempDir(), "test.db")
	}
	e := &env{t: t, db: dbURL}
	ctx := context.Background()
	s, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*shopKeys{&e.a, &e.b} {
		st := epilogue.DefaultSettings()
		st.HoldoutShare = 0 // tests that need the holdout set it
		shop, pk, sk, err := createShop(ctx, s, "Shop", st, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		*k = shopKeys{shop.ID, pk, sk}
	}
	s.Close()
	e.start()
	return e
}

func (e *env) start() {
	t := e.t
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := openApp(ctx, appConfig{db: e.db, log: log})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.base, e.cancel, e.done, e.app = "http://"+ln.Addr().String(), cancel, make(chan error, 1), a
	go func() { e.done <- a.serve(ctx, ln) }()
	t.Cleanup(e.stop)
}

// stop shuts the server down gracefully and waits for it.
func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	if err := <-e.done; err != nil {
		e.t.Errorf("serve: %v", err)
	}
	e.cancel = nil
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// resp is an HTTP answer with its JSON decoded loosely.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r resp) str(path ...string) string {
	v := r.get(path...)
	s, _ := v.(string)
	return s
}

func (r resp) get(path ...string) any {
	var v any = r.body
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// openStore opens e's database beside the running app, for tests that look at what is stored;
// it is closed when the test ends.
func (e *env) openStore() *store.DB {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	return st
}

// shop reads a shop of e from its database, for tests that sign tokens or links with its secret.
func (e *env) shop(id string) *epilogue.Shop {
	e.t.Helper()
	shop, err := e.openStore().Shop(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return shop
}

// call sends a request with a key and an optional body (a string, []byte or any JSON value).
func (e *env) call(method, path, key string, body any, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, header: res.Header, raw: raw}
	json.Unmarshal(raw, &out.body)
	return out
}

// must fails the test unless the answer has the wanted status.
func (r resp) must(t *testing.T, status int) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// mustError checks the one error shape: status, code and (when given) the field.
func (r resp) mustError(t *testing.T, status int, code, field string) {
	t.Helper()
	if r.status != status || r.str("error", "code") != code || (field != "" && r.str("error", "field") != field) || r.str("error", "message") == "" {
		t.Fatalf("want %d %s field %q, got %d: %s", status, code, field, r.status, r.raw)
	}
}
