package loadgen

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The raw client speaks HTTP/1.1 to a real net/http server: bodies and headers arrive, small and
// chunked answers are read whole, connections are reused.
func TestClientAgainstNetHTTP(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer k" || string(b) != `{"n":1}` {
			http.Error(w, "bad request", 400)
			return
		}
		if r.URL.Query().Get("big") != "" || strings.Contains(r.URL.Path, "big") {
			w.Write([]byte(strings.Repeat("x", 100_000))) // chunked
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	for _, path := range []string{"/small", "/big"} {
		c := NewClient(addr, path, 4, "Authorization", "Bearer k", "Content-Type", "application/json")
		res := Saturate(context.Background(), 200*time.Millisecond, 4, func(int) error {
			status, err := c.Post([]byte(`{"n":1}`))
			if err == nil && status != 200 {
				t.Errorf("%s: status %d", path, status)
			}
			return err
		})
		c.Close()
		if res.Errors > 0 || res.Requests < 10 {
			t.Fatalf("%s: %d requests, %d errors (%s)", path, res.Requests, res.Errors, res.FirstError)
		}
	}
	if n := conns.Load(); n > 8 {
		t.Fatalf("%d connections for two clients of 4: not reused", n)
	}
	bad := NewClient(addr, "/small", 1, "Authorization", "Bearer wrong")
	if status, err := bad.Post([]byte(`{"n":1}`)); err != nil || status != 400 {
		t.Fatalf("refused request: %d %v", status, err)
	}
}
