package main

import (
	"fmt"
	"sync"
	"testing"
)

// Customers, offers and placements changed at once, each request a different field, keep every
// change: none writes back a record it read before another was stored. A lost change shows in
// some rounds only (it takes two requests between one's read and its write), so each resource
// is raced several times.
func TestConcurrentUpdatesAllLand(t *testing.T) {
	e := startEnv(t, "")
	const rounds = 10
	// race sends the bodies at once to path and fails the test unless each is answered 200.
	race := func(t *testing.T, method, path string, bodies ...string) {
		t.Helper()
		var wg sync.WaitGroup
		for _, body := range bodies {
			wg.Go(func() {
				if r := e.call(method, path, e.a.sk, body); r.status != 200 {
					t.Errorf("%s %s %s: %d %s", method, path, body, r.status, r.raw)
				}
			})
		}
		wg.Wait()
	}

	t.Run("customers", func(t *testing.T) {
		for i := range rounds {
			// The customer does not exist yet: the requests also race to create it.
			path := fmt.Sprint("/v1/customers/race-", i)
			race(t, "PUT", path, `{"consent":{"partners":false}}`, `{"first_name":"Ana"}`, `{"last_name":"Lopez"}`,
				`{"attributes":{"tier":"gold"}}`)
			r := e.call("GET", path, e.a.sk, nil).must(t, 200)
			if r.get("consent", "partners") != false || r.str("first_name") != "Ana" || r.str("last_name") != "Lopez" ||
				r.str("attributes", "tier") != "gold" {
				t.Fatalf("round %d: a customer change was lost: %s", i, r.raw)
			}
		}
	})

	t.Run("offers", func(t *testing.T) {
		for i := range rounds {
			path := "/v1/offers/" + e.call("POST", "/v1/offers", e.a.sk, issueOffer).must(t, 201).str("id")
			race(t, "PATCH", path, `{"title":"Fresh beans"}`, `{"priority":7}`, `{"status":"paused"}`, `{"cta":"Get them"}`)
			r := e.call("GET", path, e.a.sk, nil).must(t, 200)
			if r.str("title") != "Fresh beans" || r.get("priority") != 7.0 || r.str("status") != "paused" || r.str("cta") != "Get them" {
				t.Fatalf("round %d: an offer change was lost: %s", i, r.raw)
			}
		}
	})

	t.Run("placements", func(t *testing.T) {
		for i := range rounds {
			id := fmt.Sprint("race-", i)
			e.call("POST", "/v1/placements", e.a.sk, `{"id":"`+id+`","surface":"confirmation"}`).must(t, 201)
			path := "/v1/placements/" + id
			race(t, "PATCH", path, `{"max_offers":5}`, `{"layout":"carousel"}`, `{"status":"paused"}`, `{"reserve":"1.50"}`)
			r := e.call("GET", path, e.a.sk, nil).must(t, 200)
			if r.get("max_offers") != 5.0 || r.str("layout") != "carousel" || r.str("status") != "paused" || r.str("reserve") != "1.50" {
				t.Fatalf("round %d: a placement change was lost: %s", i, r.raw)
			}
		}
	})
}
