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
// form, answer repeats from memory, and forget a key by its stored hash.
func TestKeyCacheHitsForgetsAndRefuses(t *testing.T) {
	plain := "pk_test_0123456789"
	st := &countingKeys{keys: map[string]*epilogue.Key{epilogue.HashKey(plain): {ID: "key_1", ShopID: "s1"}}}
	c := newKeyCache(st, time.Minute)
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
	c.Forget(epilogue.HashKey(plain))
	if _, err := c.lookup(ctx, plain); err != nil || st.calls != 2 {
		t.Fatalf("after Forget: err %v, store calls %d, want a second call", err, st.calls)
	}
	for _, bad := range []string{"pk_unknown", "xx_" + plain[3:], ""} {
		if _, err := c.lookup(ctx, bad); epilogue.ErrorCode(err) != epilogue.EUnauthorized {
			t.Errorf("lookup(%q) = %v, want unauthorized", bad, err)
		}
	}
}
