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

// PUTs of one customer at once leave in memory the profile the store kept: decisions target
// by the stored attributes, not by whichever request happened to finish last. (The window
// between a PUT's commit and its profile is short: this catches a mix-up now and then, not
// every time.)
func TestConcurrentCustomerPutsLeaveTheStoredProfile(t *testing.T) {
	e := startEnv(t, "")
	e.call("PATCH", "/v1/settings", e.a.sk, `{"holdout_share":0}`).must(t, 200)
	e.call("POST", "/v1/placements", e.a.sk, `{"id":"confirmation","surface":"confirmation"}`).must(t, 201)
	e.call("POST", "/v1/offers", e.a.sk, `{"kind":"loyalty","title":"Gold perks","action":{"type":"link","url":"https://shop.example/gold"},
		"payout":{"model":"cpa","amount":"1.00","currency":"USD"},"targeting":{"customer_attributes":{"tier":["gold"]}}}`).must(t, 201)
	for i := range 20 {
		id := fmt.Sprint("profile-", i)
		var wg sync.WaitGroup
		for k := range 8 {
			tier := []string{"gold", "silver"}[k%2]
			wg.Go(func() {
				if r := e.call("PUT", "/v1/customers/"+id, e.a.sk, `{"attributes":{"tier":"`+tier+`"}}`); r.status != 200 {
					t.Errorf("PUT: %d %s", r.status, r.raw)
				}
			})
		}
		wg.Wait()
		stored := e.call("GET", "/v1/customers/"+id, e.a.sk, nil).must(t, 200).str("attributes", "tier")
		d := e.call("POST", "/v1/decisions", e.a.sk, `{"placement":"confirmation","customer":{"id":"`+id+`"},"explain":true}`).must(t, 200)
		cands := d.get("candidates").([]any)
		if len(cands) != 1 {
			t.Fatalf("round %d: candidates %s", i, d.raw)
		}
		if targeted := d.str("candidates", "0", "reason") == "targeting:customer_attributes"; targeted != (stored != "gold") {
			t.Fatalf("round %d: stored tier %q, but the decision says %s", i, stored, d.raw)
		}
	}
}
