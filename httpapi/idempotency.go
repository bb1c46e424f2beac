package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"sync"
	"time"

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
		unlock := s.idem.lock(shop + "\x00" + key) // concurrent retries in this process wait here
		defer unlock()
		// Across replicas, the key is claimed in the store before the request runs: a retry
		// that finds it claimed waits for the answer (status 0 is a claim not yet answered).
		// With only a per-process lock, retries spread over three replicas made two or three
		// offers of one request.
		for wait := idemWait; ; wait -= idemPoll {
			claimed, err := s.store.ClaimIdempotencyKey(r.Context(), shop, key, hash, s.clock.Now(), idemStale)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if claimed {
				break
			}
			prev, found, err := s.store.IdempotentResponse(r.Context(), shop, key)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			switch {
			case found && prev.RequestHash != hash:
				s.fail(w, r, epilogue.Errorf(epilogue.EConflict, "Idempotency-Key %q was used with a different request", key))
				return
			case found && prev.Status != 0:
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(prev.Status)
				w.Write(prev.Body)
				return
			case wait <= 0:
				s.fail(w, r, epilogue.Errorf(epilogue.EConflict, "a request with Idempotency-Key %q is still running; retry in a moment", key))
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(idemPoll):
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w}
		h(rec, r)
		// The answer is kept even when the client has gone: the request ran.
		ctx := context.WithoutCancel(r.Context())
		if rec.status < 500 {
			if err := s.store.SaveIdempotentResponse(ctx, shop, key,
				epilogue.StoredResponse{RequestHash: hash, Status: rec.status, Body: rec.body.Bytes()}); err != nil {
				s.log.ErrorContext(ctx, "saving idempotent response", "err", err, "request_id", requestID(ctx))
			}
		} else if err := s.store.ReleaseIdempotencyKey(ctx, shop, key); err != nil {
			s.log.ErrorContext(ctx, "releasing an idempotency key", "err", err, "request_id", requestID(ctx))
		}
	}
}

// A retry finding its key claimed by a request still running asks again every idemPoll for up
// to idemWait; a claim older than idemStale (past any request's write timeout) was left by a
// process that died, and is taken over.
const (
	idemWait  = 10 * time.Second
	idemPoll  = 50 * time.Millisecond
	idemStale = time.Minute
)

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
