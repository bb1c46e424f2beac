package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
)

type countingKeys struct {
	keys  map[string]*epilogue.Key // by stored hash
	calls int
}

func (c *countingKeys) KeyByHash(_ context.Context, hash string) (*epilogue.Key, error) {
	c.calls++
	if k, ok := c.keys[hash]; ok {
		return k, nil
	}
	return nil, epilogue.NotFound("key", "")
}

// The cache is keyed by the raw SHA-256 but must find what the store keeps under HashKey's hex
// form, answer repeats from memory, read the key again once its entry expires (so a revocation
// made by another process takes effect within the TTL, and not before), and refuse bad keys.
func TestKeyCacheHitsExpiresAndRefuses(t *testing.T) {
	plain := "pk_test_0123456789"
	key := &epilogue.Key{ID: "key_1", ShopID: "s1"}
	st := &countingKeys{keys: map[string]*epilogue.Key{epilogue.HashKey(plain): key}}
	clock := epilogue.NewManualClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	c := newKeyCache(st, clock, time.Minute)
	ctx := context.Background()
	for range 3 {
		k, err := c.lookup(ctx, plain)
		if err != nil || k.ShopID != "s1" {
			t.Fatalf("lookup = %v, %v", k, err)
		}
	}
	if st.calls != 1 {
		t.Fatalf("store asked %d times for one key, want 1", st.calls)
	}
	// Revoked elsewhere: the store's record changes, the cached one does not.
	revoked := *key
	at := clock.Now()
	revoked.RevokedAt = &at
	st.keys[epilogue.HashKey(plain)] = &revoked
	clock.Advance(59 * time.Second)
	if _, err := c.lookup(ctx, plain); err != nil || st.calls != 1 {
		t.Fatalf("within the TTL: err %v, store calls %d, want the cached key and no call", err, st.calls)
	}
	clock.Advance(2 * time.Second)
	if _, err := c.lookup(ctx, plain); epilogue.ErrorCode(err) != epilogue.EUnauthorized || st.calls != 2 {
		t.Fatalf("past the TTL: err %v, store calls %d, want unauthorized after a second call", err, st.calls)
	}
	for _, bad := range []string{"pk_unknown", "xx_" + plain[3:], ""} {
		if _, err := c.lookup(ctx, bad); epilogue.ErrorCode(err) != epilogue.EUnauthorized {
			t.Errorf("lookup(%q) = %v, want unauthorized", bad, err)
		}
	}
}
