package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"sync"

	"github.com/epiloguehq/epilogue"
)

// idempotent replays the first answer to a request retried with the same Idempotency-Key, and
// refuses the key when it comes back with a different request.
func (s *Server) idempotent(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			h(w, r)
			return
		}
		if len(key) > 255 {
			s.fail(w, r, epilogue.Invalid("Idempotency-Key", "must be at most 255 characters"))
			return
		}
		body, err := readBody(w, r)
		if err != nil && epilogue.ErrorCode(err) != epilogue.EInvalid {
			s.fail(w, r, err)
			return
		}
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
		hash := hex.EncodeToString(sum[:])
		shop := shopID(r)
		unlock := s.idem.lock(shop + "\x00" + key) // concurrent retries wait for the first
		defer unlock()
		prev, found, err := s.store.IdempotentResponse(r.Context(), shop, key)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if found {
			if prev.RequestHash != hash {
				s.fail(w, r, epilogue.Errorf(epilogue.EConflict, "Idempotency-Key %q was used with a different request", key))
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(prev.Status)
			w.Write(prev.Body)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w}
		h(rec, r)
		if rec.status < 500 {
			if err := s.store.SaveIdempotentResponse(r.Context(), shop, key,
				epilogue.StoredResponse{RequestHash: hash, Status: rec.status, Body: rec.body.Bytes()}); err != nil {
				s.log.ErrorContext(r.Context(), "saving idempotent response", "err", err, "request_id", requestID(r.Context()))
			}
		}
	}
}

// recorder passes a response through while keeping a copy.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// keyedLocks serialises work per key.
type keyedLocks struct {
	mu sync.Mutex
	m  map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	waiters int
}

func newKeyedLocks() *keyedLocks { return &keyedLocks{m: map[string]*keyedLock{}} }

func (k *keyedLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	l := k.m[key]
	if l == nil {
		l = &keyedLock{}
		k.m[key] = l
	}
	l.waiters++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.waiters--; l.waiters == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
