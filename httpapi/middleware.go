package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyAuth
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// statusWriter remembers the status a handler wrote, for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives every request an id, recovers panics into a 500 in the error shape, logs the
// request and records its latency under its route pattern.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = "req_" + strconv.FormatUint(rand.Uint64(), 36)
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), keyRequestID, id))
		sw := &statusWriter{ResponseWriter: w}
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
		next.ServeHTTP(sw, r)
	})
}

// notFound answers unknown paths in the error shape.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, epilogue.Errorf(epilogue.ENotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
}

// methodNotAllowed answers a known path asked with the wrong method.
func (s *Server) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		s.fail(w, r, &epilogue.Error{Code: codeMethodNotAllowed, Message: r.Method + " is not allowed here; use " + allow})
	}
}
