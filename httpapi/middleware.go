package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
)

type ctxKey int

const keyExchange ctxKey = 0

// exchange is what the layers of one request share: the status the handler wrote (for logs
// and metrics), the request id and, once authed, the caller. Decisions are the hot path, and
// one allocation and one context value per request cost less than one per layer.
type exchange struct {
	http.ResponseWriter
	status int
	id     string
	caller caller
}

func exchangeOf(ctx context.Context) *exchange {
	x, _ := ctx.Value(keyExchange).(*exchange)
	return x
}

func requestID(ctx context.Context) string {
	if x := exchangeOf(ctx); x != nil {
		return x.id
	}
	return ""
}

func (w *exchange) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *exchange) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *exchange) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives every request an id, recovers panics into a 500 in the error shape, logs the
// request and records its latency under its route pattern.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [24]byte
			id = string(strconv.AppendUint(append(b[:0], "req_"...), rand.Uint64(), 36))
		}
		w.Header()["X-Request-Id"] = []string{id}
		sw := &exchange{ResponseWriter: w, id: id}
		r = r.WithContext(context.WithValue(r.Context(), keyExchange, sw))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.fail(sw, r, fmt.Errorf("panic: %v", p))
			}
			elapsed := time.Since(start)
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			s.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Observe(elapsed.Seconds())
			if s.logRequests || sw.status >= 500 {
				s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", id),
					slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.status),
					slog.Duration("elapsed", elapsed))
			}
		}()
		if uncleanPath(r.URL.EscapedPath()) {
			s.notFound(sw, r)
			return
		}
		next.ServeHTTP(sw, r)
	})
}

// notFound answers unknown paths in the error shape.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, epilogue.Errorf(epilogue.ENotFound, "no such endpoint: %s %s", r.Method, epilogue.Clip(r.URL.Path)))
}

// uncleanPath reports a path with empty, "." or ".." segments. ServeMux would answer it with
// a redirect to the cleaned path and an HTML body; an API client is better served by a JSON
// 404. It is given the path as sent, escaped, as ServeMux cleans it: an id such as "x/" or
// "a//b", which shops may give, is reached as "x%2F" and must not be refused for the slashes
// its escaping hides.
func uncleanPath(p string) bool {
	for seg := range strings.SplitSeq(strings.TrimPrefix(p, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return p != "/"
		}
	}
	return false
}

// methodNotAllowed answers a known path asked with the wrong method; a page (one a person
// opens from a message) answers with a page.
func (s *Server) methodNotAllowed(allow string, page bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		if page {
			s.page(w, http.StatusMethodNotAllowed, nil, pageView{Title: "This link does not work",
				Lines: []string{"Please open the link from your message again."}})
			return
		}
		s.fail(w, r, &epilogue.Error{Code: codeMethodNotAllowed, Message: r.Method + " is not allowed here; use " + allow})
	}
}
