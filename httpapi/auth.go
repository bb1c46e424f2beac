package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
)

// caller is who is making a request: the key and its shop.
type caller struct {
	key  *epilogue.Key
	shop *epilogue.Shop // from the in-memory snapshot
}

func callerOf(ctx context.Context) *caller { return &exchangeOf(ctx).caller }

// shopID returns the calling shop's id.
func shopID(r *http.Request) string { return callerOf(r.Context()).key.ShopID }

// authed checks the bearer key. A publishable key may only reach routes that allow it
// (secretOnly false), and only from the shop's allowed origins; CORS answers follow the same list.
func (s *Server) authed(secretOnly bool, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		// A browser route's refusal before the shop is known (no key, a bad key, the shop still
		// loading) tells nothing of any shop, so a page may read it: without CORS headers the
		// SDK saw only a network error.
		failOpen := func(err error) {
			if _, ok := epilogue.NormalizeOrigin(origin); ok && !secretOnly {
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Add("Vary", "Origin")
			}
			s.fail(w, r, err)
		}
		plain, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			failOpen(epilogue.Errorf(epilogue.EUnauthorized, "missing API key: send Authorization: Bearer sk_… or pk_…"))
			return
		}
		key, err := s.keys.lookup(r.Context(), plain)
		if err != nil {
			failOpen(err)
			return
		}
		snap := s.engine.Snapshot(key.ShopID)
		if snap == nil {
			failOpen(epilogue.Errorf(epilogue.EUnavailable, "shop is loading; retry shortly"))
			return
		}
		if key.Kind == epilogue.KeyPublishable {
			if secretOnly {
				s.fail(w, r, epilogue.Errorf(epilogue.EForbidden, "a publishable key may only request decisions and send events; use a secret key"))
				return
			}
			if origin != "" && !snap.Shop.Settings.OriginAllowed(origin) {
				s.fail(w, r, epilogue.Errorf(epilogue.EForbidden, "origin %q is not in this shop's allowed_origins", origin))
				return
			}
		}
		if origin != "" && !secretOnly && snap.Shop.Settings.OriginAllowed(origin) {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
		}
		x := exchangeOf(r.Context())
		if x == nil { // a handler served without observe (tests)
			x = &exchange{ResponseWriter: w}
			r = r.WithContext(context.WithValue(r.Context(), keyExchange, x))
		}
		x.caller = caller{key: key, shop: snap.Shop}
		h(w, r)
	})
}

// preflight answers CORS preflight requests for the browser routes. A preflight carries no key,
// so it cannot know the shop: it allows the asking origin, and the real request that follows is
// refused (without CORS headers) when its key's shop does not list that origin.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if _, ok := epilogue.NormalizeOrigin(origin); !ok {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key")
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Origin")
	w.WriteHeader(http.StatusNoContent)
}

// keyCache keeps recently used keys in memory so the hot path does not read the database on
// every request. Keys are revoked from the command line, in another process, so a revocation
// reaches every server, this one included, within the cache's lifetime (keyCacheTTL).
type keyCache struct {
	store interface {
		KeyByHash(ctx context.Context, hash string) (*epilogue.Key, error)
	}
	clock epilogue.Clock
	ttl   time.Duration
	mu    sync.RWMutex
	// m is keyed by the key's SHA-256 (as stored, but not hex-encoded: a hit costs the hash and
	// no allocation); the plain key itself is never kept.
	m map[[sha256.Size]byte]cachedKey
}

type cachedKey struct {
	key     *epilogue.Key
	expires time.Time
}

func newKeyCache(st interface {
	KeyByHash(ctx context.Context, hash string) (*epilogue.Key, error)
}, clock epilogue.Clock, ttl time.Duration) *keyCache {
	return &keyCache{store: st, clock: clock, ttl: ttl, m: map[[sha256.Size]byte]cachedKey{}}
}

// keyCacheTTL is how long a key's record is trusted before it is read again: the longest a
// revoked key keeps working ("epilogue key revoke" says so).
const keyCacheTTL = time.Minute

// maxCachedKeys bounds the cache; past it the cache starts over (keys are few per shop).
const maxCachedKeys = 100_000

func (c *keyCache) lookup(ctx context.Context, plain string) (*epilogue.Key, error) {
	invalid := func() error { return epilogue.Errorf(epilogue.EUnauthorized, "invalid API key") }
	if len(plain) > 200 || (!strings.HasPrefix(plain, "sk_") && !strings.HasPrefix(plain, "pk_")) {
		return nil, invalid()
	}
	sum := sha256.Sum256([]byte(plain))
	now := c.clock.Now()
	c.mu.RLock()
	ck, ok := c.m[sum]
	c.mu.RUnlock()
	if !ok || now.After(ck.expires) {
		k, err := c.store.KeyByHash(ctx, hex.EncodeToString(sum[:])) // epilogue.HashKey's form
		if err != nil {
			if epilogue.ErrorCode(err) == epilogue.ENotFound {
				return nil, invalid()
			}
			return nil, err
		}
		ck = cachedKey{key: k, expires: now.Add(c.ttl)}
		c.mu.Lock()
		if len(c.m) >= maxCachedKeys {
			c.m = map[[sha256.Size]byte]cachedKey{}
		}
		c.m[sum] = ck
		c.mu.Unlock()
	}
	if ck.key.RevokedAt != nil {
		return nil, epilogue.Errorf(epilogue.EUnauthorized, "API key has been revoked")
	}
	return ck.key, nil
}

// bearer returns the key of an "Authorization: Bearer KEY" header. The scheme is matched
// without regard to case, as HTTP auth schemes are (RFC 9110 §11.1).
func bearer(h string) (string, bool) {
	scheme, key, ok := strings.Cut(strings.TrimSpace(h), " ")
	key = strings.TrimSpace(key)
	return key, ok && strings.EqualFold(scheme, "Bearer") && key != ""
}
