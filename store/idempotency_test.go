package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue/store"
)

func TestIdempotentResponseFirstWins(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		_, ok, err := db.IdempotentResponse(ctx, "a", "k1")
		must(t, err)
		if ok {
			t.Fatal("found a response never saved")
		}
		first := store.Response{RequestHash: "h1", Status: 201, Body: []byte(`{"id":"off_1"}` + "\x00\xff")}
		must(t, db.SaveIdempotentResponse(ctx, "a", "k1", first))
		must(t, db.SaveIdempotentResponse(ctx, "a", "k1", store.Response{RequestHash: "h2", Status: 500, Body: []byte("later")}))
		got, ok, err := db.IdempotentResponse(ctx, "a", "k1")
		must(t, err)
		if !ok {
			t.Fatal("saved response not found")
		}
		equal(t, "response", got, first)

		// The same key in another shop is another request.
		_, ok, err = db.IdempotentResponse(ctx, "b", "k1")
		must(t, err)
		if ok {
			t.Fatal("shop b sees shop a's response")
		}
		bs := store.Response{RequestHash: "hb", Status: 200, Body: []byte{}}
		must(t, db.SaveIdempotentResponse(ctx, "b", "k1", bs))
		got, _, err = db.IdempotentResponse(ctx, "b", "k1")
		must(t, err)
		if got.RequestHash != "hb" || len(got.Body) != 0 {
			t.Fatalf("b's response: %+v", got)
		}
		got, _, err = db.IdempotentResponse(ctx, "a", "k1")
		must(t, err)
		equal(t, "a's response after b's save", got, first)
	})
}

func TestIdempotentResponseRace(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				errs[i] = db.SaveIdempotentResponse(ctx, "s1", "k", store.Response{RequestHash: "h", Status: 200 + i, Body: []byte("x")})
			})
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		r, ok, err := db.IdempotentResponse(ctx, "s1", "k")
		must(t, err)
		if !ok || r.Status < 200 || r.Status >= 208 {
			t.Fatalf("response %+v %v", r, ok)
		}
	})
}

func TestPruneIdempotentResponses(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		must(t, db.SaveIdempotentResponse(ctx, "a", "old", store.Response{Status: 200}))
		must(t, db.SaveIdempotentResponse(ctx, "b", "old", store.Response{Status: 200}))
		time.Sleep(2 * time.Millisecond)
		mid := time.Now()
		time.Sleep(2 * time.Millisecond)
		must(t, db.SaveIdempotentResponse(ctx, "a", "new", store.Response{Status: 200}))
		n, err := db.PruneIdempotentResponses(ctx, mid)
		must(t, err)
		if n != 2 {
			t.Fatalf("pruned %d, want 2", n)
		}
		for _, k := range [][2]string{{"a", "old"}, {"b", "old"}, {"a", "new"}} {
			_, ok, err := db.IdempotentResponse(ctx, k[0], k[1])
			must(t, err)
			if ok != (k[1] == "new") {
				t.Fatalf("%s/%s present: %v", k[0], k[1], ok)
			}
		}
	})
}

// A key is claimed once before its request runs; the claim shows as status 0 until the answer
// fills it; a failed request gives the claim back; a claim left by a dead process is taken over
// once stale, an answered key never.
func TestIdempotencyKeyClaims(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		claim := func(key string, at time.Time) bool {
			t.Helper()
			ok, err := db.ClaimIdempotencyKey(ctx, "a", key, "h", at, time.Minute)
			must(t, err)
			return ok
		}
		if !claim("k", t0) || claim("k", t0.Add(time.Second)) {
			t.Fatal("a key was claimed twice, or not at all")
		}
		if r, ok, err := db.IdempotentResponse(ctx, "a", "k"); err != nil || !ok || r.Status != 0 {
			t.Fatalf("the claim: %+v %v %v", r, ok, err)
		}
		must(t, db.SaveIdempotentResponse(ctx, "a", "k", store.Response{RequestHash: "h", Status: 201, Body: []byte("made")}))
		if r, _, _ := db.IdempotentResponse(ctx, "a", "k"); r.Status != 201 || string(r.Body) != "made" {
			t.Fatalf("the answer: %+v", r)
		}
		if claim("k", t0.Add(time.Hour)) {
			t.Fatal("an answered key was claimed again")
		}
		must(t, db.ReleaseIdempotencyKey(ctx, "a", "k")) // answered: stays
		if _, ok, _ := db.IdempotentResponse(ctx, "a", "k"); !ok {
			t.Fatal("release removed an answer")
		}
		// A failed request's claim goes back; a dead process's claim is taken over once stale.
		claim("f", t0)
		must(t, db.ReleaseIdempotencyKey(ctx, "a", "f"))
		if !claim("f", t0) {
			t.Fatal("a released key cannot be claimed")
		}
		if claim("f", t0.Add(59*time.Second)) || !claim("f", t0.Add(61*time.Second)) {
			t.Fatal("a stale claim is not taken over, or a fresh one is")
		}
	})
}
