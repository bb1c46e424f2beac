package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
)

const issueOffer = `{"kind":"cross_sell","title":"Specialty beans, 20% off","body":"Roasted this week for your new machine.",
 "image_url":"https://shop.example/beans.jpg","cta":"Add to order",
 "action":{"type":"link","url":"https://shop.example/beans"},
 "payout":{"model":"cpa","amount":"4.00","currency":"USD"},
 "budget":{"total":"1000.00","daily":"50.00"},
 "targeting":{"surfaces":["confirmation","thank_you"],"countries":["US","CA"],"devices":["mobile","desktop"],
              "min_amount":"20.00","cart_categories_any":["coffee machines"],"cart_skus_none":["BEANS-1KG"],
              "customer_attributes":{"loyalty_tier":["gold","silver"]},"customer_type":"any"},
 "frequency_cap":{"count":3,"period":"168h"},
 "schedule":{"start":"2026-01-01T00:00:00Z","end":"2030-01-01T00:00:00Z"},
 "priority":1,"exclusion_group":"coffee-beans","status":"active"}`

const issuePlacement = `{"id":"confirmation","surface":"confirmation","max_offers":3,"reserve":"0.00"}`

const structuredRequest = `{"placement":"confirmation","transaction":{"confirmationref":"1001","amount":"499.00","currency":"USD","paymenttype":"card"},"customer":{"id":"cust_42","email":"Ana@Example.com","attributes":{"loyalty_tier":"gold"}},"cart":[{"sku":"X1","product_id":"p1","category":"coffee machines","price":"499.00","quantity":1}],"context":{"device":"mobile","country":"US","locale":"en-US"},"explain":true}`

const flatRequest = `{"placement":"confirmation","attributes":{"email":"ana@example.com","confirmationref":"1001","amount":"499.00","currency":"USD","country":"US","device":"mobile","loyalty_tier":"gold","cartitems":"[{\"sku\":\"X1\",\"category\":\"coffee machines\",\"price\":\"499.00\",\"quantity\":1}]"},"explain":true}`

// setupShop gives shop a the issue's placement and offer and returns the offer id.
func (e *env) setupShop() string {
	e.t.Helper()
	e.call("POST", "/v1/placements", e.a.sk, issuePlacement).must(e.t, 201)
	return e.call("POST", "/v1/offers", e.a.sk, issueOffer).must(e.t, 201).str("id")
}

func TestOffersAndPlacementsCRUD(t *testing.T) {
	e := startEnv(t, "")
	r := e.call("POST", "/v1/offers", e.a.sk, issueOffer).must(t, 201)
	id := r.str("id")
	if !strings.HasPrefix(id, "off_") || r.str("status") != "active" || r.str("payout", "amount") != "4.00" ||
		r.str("budget", "daily") != "50.00" || r.str("frequency_cap", "period") != "168h0m0s" || r.str("schedule", "end") != "2030-01-01T00:00:00Z" {
		t.Fatalf("created offer: %s", r.raw)
	}
	minimal := e.call("POST", "/v1/offers", e.a.sk, `{"kind":"survey","title":"How was checkout?","action":{"type":"survey","question":"1-5?"},"payout":{"model":"none"}}`).must(t, 201)
	if minimal.str("payout", "currency") != "USD" || minimal.str("status") != "active" || minimal.str("cta") == "" {
		t.Fatalf("defaults: %s", minimal.raw)
	}
	got := e.call("GET", "/v1/offers/"+id, e.a.sk, nil).must(t, 200)
	if got.str("title") != "Specialty beans, 20% off" {
		t.Fatalf("get: %s", got.raw)
	}
	p := e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"status":"paused","targeting":{"countries":["US"]}}`).must(t, 200)
	if p.str("status") != "paused" || len(p.get("targeting", "countries").([]any)) != 1 || p.str("targeting", "min_amount") != "20.00" || p.str("title") != got.str("title") {
		t.Fatalf("patch: %s", p.raw)
	}
	e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"id":"off_other"}`).mustError(t, 400, "invalid_request", "id")
	e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"payout":{"amount":"-1.00"}}`).mustError(t, 400, "invalid_request", "payout.amount")
	// A null that would change nothing is refused; where a field can be empty, null empties it.
	e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"title":null}`).mustError(t, 400, "invalid_request", "title")
	e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"payout":{"amount":null}}`).mustError(t, 400, "invalid_request", "payout.amount")
	if p := e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"targeting":{"countries":null},"schedule":{"end":null}}`).must(t, 200); len(p.get("targeting", "countries").([]any)) != 0 || p.get("schedule", "end") != nil || p.str("title") != got.str("title") {
		t.Fatalf("patch with nulls: %s", p.raw)
	}
	// In a map, which merges, null removes one entry.
	if p := e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"metadata":{"a":"1","b":"2"},"targeting":{"customer_attributes":{"tier":["x"]}}}`).must(t, 200); p.str("metadata", "b") != "2" {
		t.Fatalf("metadata set: %s", p.raw)
	}
	p = e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"metadata":{"a":null},"targeting":{"customer_attributes":{"tier":null}}}`).must(t, 200)
	if m := p.get("metadata").(map[string]any); len(m) != 1 || m["b"] != "2" {
		t.Fatalf("metadata after removing a: %s", p.raw)
	}
	if ca := p.get("targeting", "customer_attributes").(map[string]any); ca["tier"] != nil || ca["loyalty_tier"] == nil {
		t.Fatalf("customer_attributes after removing tier: %s", p.raw)
	}
	// A schedule merges like any object: the bound sent changes, the other stays; a misspelt
	// key is refused rather than read as "no schedule".
	if p := e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"schedule":{"start":"2027-06-01T00:00:00Z","end":"2027-07-01T00:00:00Z"}}`).must(t, 200); p.str("schedule", "start") != "2027-06-01T00:00:00Z" {
		t.Fatalf("schedule set: %s", p.raw)
	}
	if p := e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"schedule":{"end":"2027-08-01T00:00:00Z"}}`).must(t, 200); p.str("schedule", "start") != "2027-06-01T00:00:00Z" || p.str("schedule", "end") != "2027-08-01T00:00:00Z" {
		t.Fatalf("changing the end lost the start: %s", p.raw)
	}
	e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"schedule":{"strat":"2027-06-02T00:00:00Z"}}`).mustError(t, 400, "invalid_request", "schedule.strat")
	e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"schedule":{"start":5}}`).mustError(t, 400, "invalid_request", "schedule.start")
	if p := e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"schedule":{}}`).must(t, 200); p.str("schedule", "start") != "2027-06-01T00:00:00Z" || p.str("schedule", "end") != "2027-08-01T00:00:00Z" {
		t.Fatalf("an empty schedule patch changed it: %s", p.raw)
	}
	if p := e.call("PATCH", "/v1/offers/"+id, e.a.sk, `{"schedule":{"start":null,"end":null}}`).must(t, 200); p.get("schedule", "start") != nil || p.get("schedule", "end") != nil {
		t.Fatalf("nulls did not clear the schedule: %s", p.raw)
	}
	e.call("PATCH", "/v1/settings", e.a.sk, `{"holdout_share":null}`).mustError(t, 400, "invalid_request", "holdout_share")
	if r := e.call("PATCH", "/v1/settings", e.a.sk, `{"holdout_share":1e400}`); !strings.Contains(r.str("error", "message"), "out of range") {
		t.Fatalf("1e400: %s", r.raw)
	}
	if r := e.call("PATCH", "/v1/settings", e.a.sk, `{"stall_transit_hours":1.5}`); !strings.Contains(r.str("error", "message"), "whole number") {
		t.Fatalf("1.5 hours: %s", r.raw)
	}
	// Paging and filters.
	for i := 0; i < 5; i++ {
		e.call("POST", "/v1/offers", e.a.sk, strings.Replace(issueOffer, "Specialty", fmt.Sprint("Beans ", i), 1)).must(t, 201)
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		l := e.call("GET", "/v1/offers?kind=cross_sell&limit=2"+cursor, e.a.sk, nil).must(t, 200)
		for _, o := range l.get("data").([]any) {
			oid := o.(map[string]any)["id"].(string)
			if seen[oid] {
				t.Fatalf("offer %s on two pages", oid)
			}
			seen[oid] = true
		}
		next, _ := l.get("next_cursor").(string)
		if next == "" {
			break
		}
		cursor = "&cursor=" + next
		// A cursor is opaque and the shop's own: no row number shows through (they count
		// every shop's rows), and another shop cannot page with it.
		if raw, err := base64.RawURLEncoding.DecodeString(next); err == nil && regexp.MustCompile(`c[0-9]+`).Match(raw) {
			t.Fatalf("cursor %q shows a row number: %q", next, raw)
		}
		e.call("GET", "/v1/offers?limit=2"+cursor, e.b.sk, nil).mustError(t, 400, "invalid_request", "cursor")
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 6 {
		t.Fatalf("paged %d cross-sells, want 6", len(seen))
	}
	if l := e.call("GET", "/v1/offers?status=paused", e.a.sk, nil).must(t, 200); len(l.get("data").([]any)) != 1 {
		t.Fatalf("status filter: %s", l.raw)
	}
	e.call("GET", "/v1/offers?limit=0", e.a.sk, nil).mustError(t, 400, "invalid_request", "limit")
	e.call("GET", "/v1/offers?kind=coupon", e.a.sk, nil).mustError(t, 400, "invalid_request", "kind")
	e.call("GET", "/v1/offers?cursor=zzz", e.a.sk, nil).mustError(t, 400, "invalid_request", "cursor")

	pl := e.call("POST", "/v1/placements", e.a.sk, issuePlacement).must(t, 201)
	if pl.str("id") != "confirmation" || pl.get("max_offers").(float64) != 3 {
		t.Fatalf("placement: %s", pl.raw)
	}
	e.call("POST", "/v1/placements", e.a.sk, issuePlacement).mustError(t, 409, "conflict", "")
	e.call("PATCH", "/v1/placements/confirmation", e.a.sk, `{"max_offers":2}`).must(t, 200)
	if g := e.call("GET", "/v1/placements/confirmation", e.a.sk, nil).must(t, 200); g.get("max_offers").(float64) != 2 {
		t.Fatalf("placement patch lost: %s", g.raw)
	}
	if l := e.call("GET", "/v1/placements", e.a.sk, nil).must(t, 200); len(l.get("data").([]any)) != 1 || l.get("next_cursor") != nil {
		t.Fatalf("placements list: %s", l.raw)
	}
	e.call("PATCH", "/v1/placements/confirmation", e.a.sk, `{"max_offers":11}`).mustError(t, 400, "invalid_request", "max_offers")
}

func TestSettings(t *testing.T) {
	e := startEnv(t, "")
	s := e.call("GET", "/v1/settings", e.a.sk, nil).must(t, 200)
	if s.get("holdout_share").(float64) != 0 || s.str("dismissal_period") != "720h0m0s" || len(s.get("allowed_origins").([]any)) != 0 {
		t.Fatalf("settings: %s", s.raw)
	}
	u := e.call("PATCH", "/v1/settings", e.a.sk, `{"holdout_share":0.1,"dismissal_period":"7d","allowed_origins":["https://Shop.Example"],"shopify_webhook_secret":"shh"}`).must(t, 200)
	if u.get("holdout_share").(float64) != 0.1 || u.str("dismissal_period") != "168h0m0s" || u.get("allowed_origins").([]any)[0] != "https://shop.example" ||
		u.get("shopify_webhook_secret_set") != true || strings.Contains(string(u.raw), "shh") {
		t.Fatalf("updated settings: %s", u.raw)
	}
	for _, c := range []struct{ body, field string }{
		{`{"holdout_share":0.9}`, "holdout_share"},
		{`{"holdout_share":"0.1"}`, "holdout_share"},
		{`{"dismissal_period":"forever"}`, "dismissal_period"},
		{`{"allowed_origins":["not an origin"]}`, "allowed_origins[0]"},
		// A browser sends an internationalized host in punycode: this could never match.
		{`{"allowed_origins":["https://shop.example","https://bücher.example"]}`, "allowed_origins[1]"},
		{`{"easypost_webhook_secret":"` + strings.Repeat("a", 300) + `"}`, "easypost_webhook_secret"},
		{`{"colour":"red"}`, "colour"},
	} {
		e.call("PATCH", "/v1/settings", e.a.sk, c.body).mustError(t, 400, "invalid_request", c.field)
	}
	if s := e.call("GET", "/v1/settings", e.a.sk, nil).must(t, 200); s.get("holdout_share").(float64) != 0.1 {
		t.Fatalf("a refused update changed settings: %s", s.raw)
	}
}

func TestDecisionBothFormsAndExplain(t *testing.T) {
	e := startEnv(t, "")
	offerID := e.setupShop()
	var answers []resp
	for _, body := range []string{structuredRequest, flatRequest} {
		r := e.call("POST", "/v1/decisions", e.a.sk, body).must(t, 200)
		if !strings.HasPrefix(r.str("decision_id"), "dec_") || r.str("arm") != "policy" || r.get("no_offer_reason") != nil {
			t.Fatalf("decision: %s", r.raw)
		}
		offers := r.get("offers").([]any)
		if len(offers) != 1 || r.str("offers", "0", "offer_id") != offerID || r.str("offers", "0", "token") == "" ||
			r.str("offers", "0", "action", "url") != "https://shop.example/beans" || r.str("offers", "0", "cta") != "Add to order" {
			t.Fatalf("offers: %s", r.raw)
		}
		if c := r.get("candidates").([]any); len(c) != 1 || r.str("candidates", "0", "verdict") != "chosen" {
			t.Fatalf("candidates: %s", r.raw)
		}
		answers = append(answers, r)
	}
	// Both forms are the same request: same treatment, same customer (email hash).
	if answers[0].get("candidates", "0", "score") == nil || answers[1].get("candidates", "0", "score") == nil {
		t.Fatal("no scores")
	}
	// A browser never learns about other offers.
	if r := e.call("POST", "/v1/decisions", e.a.pk, structuredRequest).must(t, 200); r.get("candidates") != nil {
		t.Fatalf("publishable key got candidates: %s", r.raw)
	}
	// Every verdict has a reason.
	miss := strings.Replace(structuredRequest, `"country":"US"`, `"country":"FR"`, 1)
	r := e.call("POST", "/v1/decisions", e.a.sk, miss).must(t, 200)
	if r.str("no_offer_reason") != "none_eligible" || r.str("candidates", "0", "reason") != "targeting:countries" || len(r.get("offers").([]any)) != 0 {
		t.Fatalf("no offer: %s", r.raw)
	}
	// The decision is recorded (durably within a second), without the raw email.
	time.Sleep(1100 * time.Millisecond)
	d := e.call("GET", "/v1/decisions/"+answers[0].str("decision_id"), e.a.sk, nil).must(t, 200)
	if d.str("arm") != "policy" || d.str("offers", "0", "offer_id") != offerID || strings.Contains(strings.ToLower(string(d.raw)), "ana@example.com") {
		t.Fatalf("recorded decision: %s", d.raw)
	}
}

func TestHoldoutArm(t *testing.T) {
	e := startEnv(t, "")
	e.setupShop()
	e.call("PATCH", "/v1/settings", e.a.sk, `{"holdout_share":0.5}`).must(t, 200)
	arms := map[string]int{}
	for i := 0; i < 200; i++ {
		body := strings.Replace(structuredRequest, `"id":"cust_42"`, fmt.Sprintf(`"id":"c%d"`, i), 1)
		r := e.call("POST", "/v1/decisions", e.a.pk, body).must(t, 200)
		arms[r.str("arm")]++
		if r.str("arm") == "holdout" && (len(r.get("offers").([]any)) != 0 || r.str("no_offer_reason") != "holdout") {
			t.Fatalf("holdout got offers: %s", r.raw)
		}
	}
	if arms["holdout"] < 70 || arms["policy"] < 70 {
		t.Fatalf("arms %v for a 50%% holdout", arms)
	}
}

func TestEventsIngestion(t *testing.T) {
	e := startEnv(t, "")
	e.setupShop()
	tok := e.call("POST", "/v1/decisions", e.a.pk, structuredRequest).must(t, 200).str("offers", "0", "token")
	batch := fmt.Sprintf(`{"events":[
	 {"id":"e1","type":"impression","token":%[1]q,"time":%[2]q},
	 {"id":"e2","type":"engagement","token":%[1]q},
	 {"id":"e3","type":"conversion","token":%[1]q,"value":"12.00","currency":"USD"},
	 {"id":"e1","type":"impression","token":%[1]q},
	 {"id":"e4","type":"purchase","token":%[1]q},
	 {"id":"e5","type":"impression","token":"forged.token"},
	 {"id":"e6","type":"impression","token":%[1]q,"time":"2099-01-01T00:00:00Z"},
	 {"id":"e7","type":"conversion","token":%[1]q,"value":12.5},
	 {"id":"e8","type":"impression","token":%[1]q,"time":"yesterday"}]}`, tok, time.Now().UTC().Format(time.RFC3339))
	r := e.call("POST", "/v1/events", e.a.pk, batch).must(t, 200)
	want := []struct{ status, field string }{{"accepted", ""}, {"accepted", ""}, {"accepted", ""}, {"duplicate", ""},
		{"rejected", "events[4].type"}, {"rejected", "events[5].token"}, {"rejected", "events[6].time"}, {"rejected", "events[7].value"}, {"rejected", "events[8].time"}}
	for i, w := range want {
		if got := r.str("results", fmt.Sprint(i), "status"); got != w.status || r.str("results", fmt.Sprint(i), "error", "field") != w.field {
			t.Fatalf("event %d: want %s %s, got %s", i, w.status, w.field, r.raw)
		}
	}
	// A retry of the whole batch changes nothing.
	r = e.call("POST", "/v1/events", e.a.pk, batch).must(t, 200)
	for i := 0; i < 3; i++ {
		if r.str("results", fmt.Sprint(i), "status") != "duplicate" {
			t.Fatalf("retry: %s", r.raw)
		}
	}
	// The converted offer is not shown again to that customer, within a second.
	if d := e.call("POST", "/v1/decisions", e.a.sk, structuredRequest).must(t, 200); d.str("candidates", "0", "reason") != "already_converted" {
		t.Fatalf("after conversion: %s", d.raw)
	}
	// Another shop's key cannot use this shop's token.
	o := e.call("POST", "/v1/events", e.b.pk, fmt.Sprintf(`{"events":[{"id":"x1","type":"impression","token":%q}]}`, tok)).must(t, 200)
	if o.str("results", "0", "status") != "rejected" || o.str("results", "0", "error", "field") != "events[0].token" {
		t.Fatalf("other shop's token: %s", o.raw)
	}
	// An expired token, signed with this shop's own secret, is refused.
	shop := e.shop(e.a.id)
	old := decide.Sign(shop.Secret, decide.Claims{DecisionID: "dec_old", OfferID: "off_x", Placement: "confirmation", Arm: "policy", Expires: time.Now().Add(-time.Minute)})
	x := e.call("POST", "/v1/events", e.a.pk, fmt.Sprintf(`{"events":[{"id":"old1","type":"impression","token":%q}]}`, old)).must(t, 200)
	if x.str("results", "0", "status") != "rejected" || !strings.Contains(x.str("results", "0", "error", "message"), "expired") {
		t.Fatalf("expired token: %s", x.raw)
	}
	// No token at all says so.
	x = e.call("POST", "/v1/events", e.a.pk, `{"events":[{"id":"notoken","type":"impression"}]}`).must(t, 200)
	if x.str("results", "0", "error", "field") != "events[0].token" || !strings.Contains(x.str("results", "0", "error", "message"), "is required") {
		t.Fatalf("missing token: %s", x.raw)
	}
	// Whole-batch refusals.
	var many []string
	for i := 0; i < 101; i++ {
		many = append(many, fmt.Sprintf(`{"id":"m%d","type":"impression","token":%q}`, i, tok))
	}
	e.call("POST", "/v1/events", e.a.pk, `{"events":[`+strings.Join(many, ",")+`]}`).mustError(t, 400, "invalid_request", "events")
	e.call("POST", "/v1/events", e.a.pk, `{"events":[]}`).mustError(t, 400, "invalid_request", "events")
	e.call("POST", "/v1/events", e.a.pk, `{"events":{"id":"x"}}`).mustError(t, 400, "invalid_request", "events")
	e.call("POST", "/v1/events", e.a.pk, `{"events":[`).mustError(t, 400, "invalid_request", "")
}

// TestEventsRefuseWhatTheyCannotHold: each event that cannot be what it says is rejected with
// the field at fault, and an id reused for another event is a conflict, not a "duplicate" that
// silently drops it.
func TestEventsRefuseWhatTheyCannotHold(t *testing.T) {
	e := startEnv(t, "")
	e.setupShop() // a cpa offer paying 4.00 USD
	tok := e.call("POST", "/v1/decisions", e.a.pk, structuredRequest).must(t, 200).str("offers", "0", "token")
	ago := func(d time.Duration) string { return time.Now().Add(-d).UTC().Format(time.RFC3339) }
	batch := fmt.Sprintf(`{"events":[
	 {"id":"b0","type":"conversion","token":%[1]q,"value":"1.5","currency":"JPY"},
	 {"id":"b1","type":"conversion","token":%[1]q,"value":"1.555","currency":"USD"},
	 {"id":"b2","type":"conversion","token":%[1]q,"value":"12.00","currency":"EUR"},
	 {"id":"b3","type":"impression","token":%[1]q,"currency":"XYZ"},
	 {"id":"b4","type":"impression","token":%[1]q,"value":"3.00","currency":"USD"},
	 {"id":"b5","type":"impression","token":%[1]q,"time":%[2]q},
	 {"id":"b6\u0085","type":"impression","token":%[1]q},
	 5,
	 null,
	 {"id":"ok1","type":"impression","token":%[1]q,"time":%[3]q},
	 {"id":"ok1","type":"engagement","token":%[1]q},
	 {"id":"ok1","type":"impression","token":%[1]q},
	 {"id":"ok2","type":"conversion","token":%[1]q,"value":"12.50","currency":"USD"},
	 {"id":"b13","type":"conversion","token":%[1]q,"amount":"12.50","currency":"USD"},
	 {"id":"b14","type":"impression","token":%[1]q,"colour":"red"}]}`, tok, ago(time.Hour), ago(5*time.Minute))
	r := e.call("POST", "/v1/events", e.a.pk, batch).must(t, 200)
	want := []struct{ status, code, field, message string }{
		{"rejected", "invalid_request", "events[0].value", "whole number of JPY"},
		{"rejected", "invalid_request", "events[1].value", "at most 2 decimals"},
		{"accepted", "", "", ""}, // a shop selling in several currencies reports the customer's; each event keeps its own
		{"rejected", "invalid_request", "events[3].currency", ""},
		{"rejected", "invalid_request", "events[4].value", "only a conversion"},
		{"rejected", "invalid_request", "events[5].time", "before the offer was shown"},
		{"rejected", "invalid_request", "events[6].id", "control characters"},
		{"rejected", "invalid_request", "events[7]", "an event must be a JSON object"},
		{"rejected", "invalid_request", "events[8]", "an event must be a JSON object"},
		{"accepted", "", "", ""}, // five minutes before the decision: the client's clock may be behind
		{"rejected", "conflict", "events[10].id", "another event"},
		{"duplicate", "", "", ""}, // the same event again: a retry
		{"accepted", "", "", ""},
		// Unknown fields are refused, not dropped: a conversion's "amount" would have been stored
		// without its value.
		{"rejected", "invalid_request", "events[13].amount", `an event's money is "value"`},
		{"rejected", "invalid_request", "events[14].colour", "unknown field"},
	}
	for i, w := range want {
		res := func(k ...string) string { return r.str(append([]string{"results", fmt.Sprint(i)}, k...)...) }
		if res("status") != w.status || res("error", "code") != w.code || res("error", "field") != w.field || !strings.Contains(res("error", "message"), w.message) {
			t.Fatalf("event %d: want %s %s %s %q, got %s", i, w.status, w.code, w.field, w.message, r.raw)
		}
	}
	// Across batches too: another event under a stored id is a conflict, a retry is a duplicate.
	r = e.call("POST", "/v1/events", e.a.pk, fmt.Sprintf(`{"events":[{"id":"ok2","type":"conversion","token":%[1]q,"value":"99.00","currency":"USD"},
	 {"id":"ok2","type":"conversion","token":%[1]q,"value":"12.50","currency":"USD"}]}`, tok)).must(t, 200)
	if r.str("results", "0", "error", "code") != "conflict" || r.str("results", "1", "status") != "duplicate" {
		t.Fatalf("reused id across batches: %s", r.raw)
	}
	// What was stored is the first event of each id, and nothing of the rejected ones.
	st := e.openStore()
	got, err := st.EventsByID(context.Background(), e.a.id, []string{"b0", "b1", "b2", "b3", "b4", "b5", "b6\u0085", "ok1", "ok2", "b13", "b14"})
	if err != nil {
		t.Fatal(err)
	}
	// b2, the first conversion, charged the cpa; ok2 converted the same shown offer again.
	if len(got) != 3 || got["ok1"].Type != "impression" || got["b2"].Currency != "EUR" || got["b2"].Spend != 4*epilogue.Micro ||
		got["ok2"].Value != 12_500_000 || got["ok2"].Spend != 0 {
		t.Fatalf("stored: %v", got)
	}
}

func TestBudgetExhaustionStopsTheOfferWithinASecond(t *testing.T) {
	e := startEnv(t, "")
	e.call("POST", "/v1/placements", e.a.sk, issuePlacement).must(t, 201)
	body := strings.Replace(issueOffer, `"budget":{"total":"1000.00","daily":"50.00"}`, `"budget":{"total":"8.00"}`, 1)
	id := e.call("POST", "/v1/offers", e.a.sk, body).must(t, 201).str("id")
	for i := 0; i < 2; i++ {
		req := strings.Replace(structuredRequest, `"id":"cust_42"`, fmt.Sprintf(`"id":"buyer%d"`, i), 1)
		tok := e.call("POST", "/v1/decisions", e.a.sk, req).must(t, 200).str("offers", "0", "token")
		if tok == "" {
			t.Fatalf("buyer%d was not shown the offer: 4.00 of its 8.00 should be left", i)
		}
		// Three conversions of one token in one batch charge the budget once.
		e.call("POST", "/v1/events", e.a.pk, fmt.Sprintf(`{"events":[{"id":"c%d","type":"conversion","token":%[2]q},`+
			`{"id":"c%[1]d-again","type":"conversion","token":%[2]q},{"id":"c%[1]d-more","type":"conversion","token":%[2]q}]}`, i, tok)).must(t, 200)
	}
	req := strings.Replace(structuredRequest, `"id":"cust_42"`, `"id":"late"`, 1)
	r := e.call("POST", "/v1/decisions", e.a.sk, req).must(t, 200)
	if r.str("candidates", "0", "offer_id") != id || r.str("candidates", "0", "reason") != "budget_exhausted" {
		t.Fatalf("spent budget still shown: %s", r.raw)
	}
}

func TestPublishableKeysAndOrigins(t *testing.T) {
	e := startEnv(t, "")
	e.setupShop()
	for _, path := range []string{"/v1/offers", "/v1/placements", "/v1/settings"} {
		e.call("GET", path, e.a.pk, nil).mustError(t, 403, "forbidden", "")
	}
	e.call("POST", "/v1/offers", e.a.pk, issueOffer).mustError(t, 403, "forbidden", "")
	// No allowed origins: any origin may call, and CORS echoes it.
	r := e.call("POST", "/v1/decisions", e.a.pk, structuredRequest, "Origin", "https://anywhere.example").must(t, 200)
	if r.header.Get("Access-Control-Allow-Origin") != "https://anywhere.example" {
		t.Fatalf("CORS header missing: %v", r.header)
	}
	// The default port is no part of an origin a browser sends: it is dropped, or it could never match.
	if s := e.call("PATCH", "/v1/settings", e.a.sk, `{"allowed_origins":["https://shop.example:443"]}`).must(t, 200); s.str("allowed_origins", "0") != "https://shop.example" {
		t.Fatalf("default port kept: %s", s.raw)
	}
	e.call("POST", "/v1/decisions", e.a.pk, structuredRequest, "Origin", "https://evil.example").mustError(t, 403, "forbidden", "")
	ok := e.call("POST", "/v1/decisions", e.a.pk, structuredRequest, "Origin", "https://shop.example").must(t, 200)
	if ok.header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Fatal("allowed origin without CORS header")
	}
	e.call("POST", "/v1/decisions", e.a.pk, structuredRequest).must(t, 200) // server to server: no Origin
	pre := e.call("OPTIONS", "/v1/decisions", "", nil, "Origin", "https://shop.example", "Access-Control-Request-Method", "POST")
	if pre.status != 204 || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", pre.status, pre.header)
	}
}

func TestAuthErrors(t *testing.T) {
	e := startEnv(t, "")
	e.call("GET", "/v1/offers", "", nil).mustError(t, 401, "unauthorized", "")
	e.call("GET", "/v1/offers", "sk_nonsense", nil).mustError(t, 401, "unauthorized", "")
	e.call("GET", "/v1/offers", "Basic abc", nil).mustError(t, 401, "unauthorized", "")
	e.call("GET", "/v1/offers", "", nil, "Authorization", "Bearer ").mustError(t, 401, "unauthorized", "")
	// A browser's refused key is readable by its page, and a 401 names its scheme.
	r0 := e.call("POST", "/v1/decisions", "pk_nonsense", structuredRequest, "Origin", "https://shop.example")
	r0.mustError(t, 401, "unauthorized", "")
	if r0.header.Get("Access-Control-Allow-Origin") != "https://shop.example" || !strings.HasPrefix(r0.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("401 to a browser: %v", r0.header)
	}
	if h := e.call("GET", "/v1/offers", "sk_nonsense", nil, "Origin", "https://shop.example").header; h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a secret-key route answered a browser with CORS: %v", h)
	}
	// The scheme's case does not matter (RFC 9110); the key's does.
	e.call("GET", "/v1/offers", "", nil, "Authorization", "bearer "+e.a.sk).must(t, 200)
	e.call("GET", "/v1/offers", "", nil, "Authorization", "BEARER  "+e.a.sk).must(t, 200)
	e.call("GET", "/v1/offers", "", nil, "Authorization", "Bearer "+strings.ToUpper(e.a.sk)).mustError(t, 401, "unauthorized", "")
	r := e.call("GET", "/v1/offers", "", nil, "Authorization", "sk_"+strings.Repeat("a", 5000))
	r.mustError(t, 401, "unauthorized", "")
	e.call("GET", "/v1/nothing", e.a.sk, nil).mustError(t, 404, "not_found", "")
	// Paths with dot segments get a JSON 404, not ServeMux's redirect with an HTML body.
	for _, p := range []string{"/v1/placements/../offers", "/v1/offers/.", "/v1//offers", "/v1/offers/"} {
		e.call("GET", p, e.a.sk, nil).mustError(t, 404, "not_found", "")
	}
	// A huge id is not echoed whole.
	if r := e.call("GET", "/v1/offers/off_"+strings.Repeat("x", 100_000), e.a.sk, nil); len(r.raw) > 500 {
		t.Fatalf("404 for a 100 KB id is %d bytes", len(r.raw))
	}
	// Ids a shop gives may hold a slash: escaped in the path, they are found.
	e.call("POST", "/v1/placements", e.a.sk, `{"id":"checkout/thanks","surface":"thank_you"}`).must(t, 201)
	if p := e.call("GET", "/v1/placements/checkout%2Fthanks", e.a.sk, nil).must(t, 200); p.str("id") != "checkout/thanks" {
		t.Fatalf("placement with a slash: %s", p.raw)
	}
	// Even slashes that would make an empty segment unescaped: the path as sent is clean.
	for id, path := range map[string]string{"trail/": "trail%2F", "a//b": "a%2F%2Fb", "/lead": "%2Flead"} {
		e.call("POST", "/v1/placements", e.a.sk, `{"id":"`+id+`","surface":"cart"}`).must(t, 201)
		if p := e.call("PATCH", "/v1/placements/"+path, e.a.sk, `{"status":"paused"}`).must(t, 200); p.str("id") != id || p.str("status") != "paused" {
			t.Fatalf("placement %q: %s", id, p.raw)
		}
	}
	e.call("PUT", "/v1/customers/gdpr%2F", e.a.sk, `{"email":"g@example.com"}`).must(t, 200)
	if r := e.call("DELETE", "/v1/customers/gdpr%2F", e.a.sk, nil).must(t, 200); r.str("id") != "gdpr/" {
		t.Fatalf("erasing gdpr/: %s", r.raw)
	}
	e.call("POST", "/v1/placements", e.a.sk, `{"id":"..","surface":"cart"}`).mustError(t, 400, "invalid_request", "id")
	e.call("DELETE", "/v1/offers", e.a.sk, nil).mustError(t, 405, "method_not_allowed", "")
}

// TestTenantIsolation: a key of one shop can never read, change or even detect another
// shop's data, on any endpoint.
func TestTenantIsolation(t *testing.T) {
	e := startEnv(t, "")
	offerID := e.setupShop()
	dec := e.call("POST", "/v1/decisions", e.a.sk, structuredRequest).must(t, 200)
	e.call("PUT", "/v1/customers/cust_42", e.a.sk, `{"email":"ana@example.com","attributes":{"tier":"gold"}}`).must(t, 200)
	time.Sleep(1100 * time.Millisecond)
	missing := e.call("GET", "/v1/offers/off_doesnotexist", e.b.sk, nil)
	missing.mustError(t, 404, "not_found", "")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/offers/" + offerID, ""},
		{"PATCH", "/v1/offers/" + offerID, `{"status":"paused"}`},
		{"GET", "/v1/placements/confirmation", ""},
		{"PATCH", "/v1/placements/confirmation", `{"max_offers":1}`},
		{"GET", "/v1/decisions/" + dec.str("decision_id"), ""},
		{"GET", "/v1/customers/cust_42", ""},
	} {
		r := e.call(c.method, c.path, e.b.sk, c.body)
		r.mustError(t, 404, "not_found", "")
		// Indistinguishable from a resource that does not exist anywhere (besides the id).
		if strings.ReplaceAll(r.str("error", "message"), offerID, "X") == "" {
			t.Fatal("empty message")
		}
	}
	// Erasure answers the same for any id (it is owed even without a profile), and b's
	// erasure of the id erases only what b holds under it.
	if a, b := e.call("DELETE", "/v1/customers/cust_42", e.b.sk, nil).must(t, 200), e.call("DELETE", "/v1/customers/nobody", e.b.sk, nil).must(t, 200); strings.ReplaceAll(string(a.raw), "cust_42", "X") != strings.ReplaceAll(string(b.raw), "nobody", "X") {
		t.Fatalf("erasure tells ids apart: %s vs %s", a.raw, b.raw)
	}
	if c := e.call("GET", "/v1/customers/cust_42", e.a.sk, nil).must(t, 200); c.get("erased_at") != nil || c.str("attributes", "tier") != "gold" {
		t.Fatalf("shop b's erasure reached shop a's customer: %s", c.raw)
	}
	for _, path := range []string{"/v1/offers", "/v1/placements"} {
		if l := e.call("GET", path, e.b.sk, nil).must(t, 200); len(l.get("data").([]any)) != 0 {
			t.Fatalf("shop b lists shop a's %s: %s", path, l.raw)
		}
	}
	// Shop b's decisions for the same placement id: b has no such placement; with one of its
	// own, explain lists none of shop a's offers.
	e.call("POST", "/v1/decisions", e.b.sk, structuredRequest).mustError(t, 400, "invalid_request", "placement")
	e.call("POST", "/v1/placements", e.b.sk, issuePlacement).must(t, 201)
	if r := e.call("POST", "/v1/decisions", e.b.sk, structuredRequest).must(t, 200); len(r.get("candidates").([]any)) != 0 || r.str("no_offer_reason") != "no_active_offers" {
		t.Fatalf("shop b sees shop a's offers: %s", r.raw)
	}
	if s := e.call("GET", "/v1/settings", e.b.sk, nil).must(t, 200); len(s.get("allowed_origins").([]any)) != 0 {
		t.Fatalf("settings: %s", s.raw)
	}
	// Shop a's data is untouched.
	if o := e.call("GET", "/v1/offers/"+offerID, e.a.sk, nil).must(t, 200); o.str("status") != "active" {
		t.Fatalf("shop b changed shop a's offer: %s", o.raw)
	}
	e.call("GET", "/v1/customers/cust_42", e.a.sk, nil).must(t, 200)
}

func TestCustomersPutAndErase(t *testing.T) {
	e := startEnv(t, "")
	e.setupShop()
	c := e.call("PUT", "/v1/customers/cust_42", e.a.sk, `{"email":" Ana@Example.com ","first_name":"Ana","timezone":"America/New_York","attributes":{"loyalty_tier":"gold"},"consent":{"partners":false,"email":true}}`).must(t, 200)
	if c.str("email_sha256") != epilogue.EmailSHA256("ana@example.com") || c.str("email") != "Ana@Example.com" {
		t.Fatalf("customer: %s", c.raw)
	}
	e.call("PUT", "/v1/customers/cust_42", e.a.sk, `{"timezone":"Mars/Olympus"}`).mustError(t, 400, "invalid_request", "timezone")
	e.call("PUT", "/v1/customers/cust_42", e.a.sk, `{"email":"not-an-email"}`).mustError(t, 400, "invalid_request", "email")
	// Attributes from the profile count for targeting when the request has none.
	req := strings.Replace(structuredRequest, `,"attributes":{"loyalty_tier":"gold"}`, "", 1)
	if r := e.call("POST", "/v1/decisions", e.a.sk, req).must(t, 200); len(r.get("offers").([]any)) != 1 {
		t.Fatalf("profile attributes ignored: %s", r.raw)
	}
	tok := e.call("POST", "/v1/decisions", e.a.sk, structuredRequest).must(t, 200).str("offers", "0", "token")
	e.call("POST", "/v1/events", e.a.sk, fmt.Sprintf(`{"events":[{"id":"i1","type":"impression","token":%q}]}`, tok)).must(t, 200)
	// The profile survives a restart: it is loaded into memory at start.
	e.stop()
	e.start()
	if r := e.call("POST", "/v1/decisions", e.a.sk, req).must(t, 200); r.str("candidates", "0", "verdict") != "chosen" {
		t.Fatalf("profile attributes lost in a restart: %s", r.raw)
	}
	d := e.call("DELETE", "/v1/customers/cust_42", e.a.sk, nil).must(t, 200)
	if d.get("erased") != true {
		t.Fatalf("erase: %s", d.raw)
	}
	g := e.call("GET", "/v1/customers/cust_42", e.a.sk, nil).must(t, 200)
	if g.str("email") != "" || g.str("first_name") != "" || g.str("email_sha256") != "" || len(g.get("attributes").(map[string]any)) != 0 || g.str("erased_at") == "" {
		t.Fatalf("erased customer still holds data: %s", g.raw)
	}
}

// TestCustomerPutKeepsWhatItIsNotGiven: a consent flag left out keeps its value (an opt-out
// is not forgotten), names are limited in characters, not bytes, and an erased customer is not
// silently written again under the erased record.
func TestCustomerPutKeepsWhatItIsNotGiven(t *testing.T) {
	e := startEnv(t, "")
	e.call("PUT", "/v1/customers/c7", e.a.sk, `{"consent":{"partners":false,"sms":true}}`).must(t, 200)
	c := e.call("PUT", "/v1/customers/c7", e.a.sk, `{"consent":{"email":true,"sms":false}}`).must(t, 200)
	if c.get("consent", "partners") != false || c.get("consent", "email") != true || c.get("consent", "sms") != false {
		t.Fatalf("consent flags left out were forgotten: %s", c.raw)
	}
	name := strings.Repeat("é", 60) // 60 characters, 120 bytes
	if c := e.call("PUT", "/v1/customers/c7", e.a.sk, `{"first_name":"`+name+`"}`).must(t, 200); c.str("first_name") != name {
		t.Fatalf("name: %s", c.raw)
	}
	e.call("PUT", "/v1/customers/c7", e.a.sk, `{"first_name":"`+strings.Repeat("é", 101)+`"}`).mustError(t, 400, "invalid_request", "first_name")
	e.call("DELETE", "/v1/customers/c7", e.a.sk, nil).must(t, 200)
	e.call("PUT", "/v1/customers/c7", e.a.sk, `{"email":"ana@example.com","first_name":"Ana"}`).mustError(t, 409, "conflict", "")
	if g := e.call("GET", "/v1/customers/c7", e.a.sk, nil).must(t, 200); g.str("erased_at") == "" || g.str("email") != "" || g.str("first_name") != "" {
		t.Fatalf("a PUT after erasure wrote personal data: %s", g.raw)
	}
}

func TestBadInputGetsPreciseErrorsAndWritesNothing(t *testing.T) {
	e := startEnv(t, "")
	e.setupShop()
	big := `{"kind":"survey","title":"` + strings.Repeat("x", 1<<20) + `"}`
	cases := []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"malformed", "POST", "/v1/offers", `{"kind":`, 400, "invalid_request", ""},
		{"not an object", "POST", "/v1/offers", `[1,2]`, 400, "invalid_request", ""},
		{"empty", "POST", "/v1/offers", ``, 400, "invalid_request", ""},
		{"two values", "POST", "/v1/offers", `{} {}`, 400, "invalid_request", ""},
		{"wrong type", "POST", "/v1/offers", `{"kind":"survey","title":5}`, 400, "invalid_request", "title"},
		{"unknown field", "POST", "/v1/offers", `{"kind":"survey","titel":"x"}`, 400, "invalid_request", "titel"},
		{"nested unknown field", "POST", "/v1/offers", strings.Replace(issueOffer, `"customer_type":"any"`, `"customer_type":"any","bogus":1`, 1), 400, "invalid_request", "targeting.bogus"},
		{"bad attribute value", "POST", "/v1/offers", strings.Replace(issueOffer, `["gold","silver"]`, `["gold",5]`, 1), 400, "invalid_request", "targeting.customer_attributes.loyalty_tier[1]"},
		{"blank title", "POST", "/v1/offers", strings.Replace(issueOffer, `"Specialty beans, 20% off"`, `"   "`, 1), 400, "invalid_request", "title"},
		{"NUL in title", "POST", "/v1/offers", strings.Replace(issueOffer, `"Specialty beans`, `"Specialty\u0000beans`, 1), 400, "invalid_request", "title"},
		{"lone surrogate", "POST", "/v1/offers", strings.Replace(issueOffer, `"Specialty beans`, `"Specialty\ud800beans`, 1), 400, "invalid_request", ""},
		{"NUL in a survey answer", "POST", "/v1/offers", `{"kind":"survey","title":"T","action":{"type":"survey","question":"Q?","choices":["a\u0000b"]},"payout":{"model":"none"}}`, 400, "invalid_request", "action.choices[0]"},
		{"huge survey answer", "POST", "/v1/offers", `{"kind":"survey","title":"T","action":{"type":"survey","question":"Q?","choices":["` + strings.Repeat("x", 101) + `"]},"payout":{"model":"none"}}`, 400, "invalid_request", "action.choices[0]"},
		{"escape in metadata", "POST", "/v1/offers", strings.Replace(issueOffer, `"status":"active"`, `"status":"active","metadata":{"k":"\u001b[31m"}`, 1), 400, "invalid_request", "metadata.k"},
		{"NUL in a targeting list", "POST", "/v1/offers", strings.Replace(issueOffer, `["BEANS-1KG"]`, `["BEANS\u0000"]`, 1), 400, "invalid_request", "targeting.cart_skus_none[0]"},
		{"NUL in a decision attribute", "POST", "/v1/decisions", `{"placement":"confirmation","customer":{"attributes":{"tier":"a\u0000"}}}`, 400, "invalid_request", "customer.attributes.tier"},
		{"bidi override in title", "POST", "/v1/offers", strings.Replace(issueOffer, `"Specialty beans`, `"Specialty\u202ebeans`, 1), 400, "invalid_request", "title"},
		{"escape in cta", "POST", "/v1/offers", strings.Replace(issueOffer, `"Add to order"`, `"Add\u001b[31m"`, 1), 400, "invalid_request", "cta"},
		{"missing kind", "POST", "/v1/offers", `{"title":"x","action":{"type":"link","url":"https://x.example"},"payout":{"model":"none"}}`, 400, "invalid_request", "kind"},
		{"float money", "POST", "/v1/offers", strings.Replace(issueOffer, `"amount":"4.00"`, `"amount":4.00`, 1), 400, "invalid_request", "payout.amount"},
		{"negative money", "POST", "/v1/offers", strings.Replace(issueOffer, `"daily":"50.00"`, `"daily":"-50.00"`, 1), 400, "invalid_request", "budget.daily"},
		{"bad currency", "POST", "/v1/offers", strings.Replace(issueOffer, `"currency":"USD"`, `"currency":"XYZ"`, 1), 400, "invalid_request", "payout.currency"},
		// No exchange rates: a payout in another currency would be ranked and spent as the shop's.
		{"payout in another currency", "POST", "/v1/offers", strings.Replace(issueOffer, `"currency":"USD"`, `"currency":"JPY"`, 1), 400, "invalid_request", "payout.currency"},
		{"bad surface", "POST", "/v1/offers", strings.Replace(issueOffer, `"thank_you"]`, `"homepage"]`, 1), 400, "invalid_request", "targeting.surfaces[1]"},
		{"bad schedule", "POST", "/v1/offers", strings.Replace(issueOffer, `"start":"2026-01-01T00:00:00Z"`, `"start":"soon"`, 1), 400, "invalid_request", "schedule.start"},
		{"schedule order", "POST", "/v1/offers", strings.Replace(issueOffer, `"2030-01-01T00:00:00Z"`, `"2025-01-01T00:00:00Z"`, 1), 400, "invalid_request", "schedule.end"},
		{"javascript url", "POST", "/v1/offers", strings.Replace(issueOffer, `"https://shop.example/beans"`, `"javascript:alert(1)"`, 1), 400, "invalid_request", "action.url"},
		{"too large", "POST", "/v1/offers", big, 413, "too_large", ""},
		{"wrong media type", "POST", "/v1/offers", "", 415, "unsupported_media_type", ""},
		{"placement surface", "POST", "/v1/placements", `{"id":"p","surface":"homepage"}`, 400, "invalid_request", "surface"},
		{"placement max", "POST", "/v1/placements", `{"id":"p","surface":"cart","max_offers":0}`, 400, "invalid_request", "max_offers"},
		{"placement id", "POST", "/v1/placements", `{"id":"a b","surface":"cart"}`, 400, "invalid_request", "id"},
		{"unknown placement", "POST", "/v1/decisions", strings.Replace(structuredRequest, `"placement":"confirmation"`, `"placement":"nope"`, 1), 400, "invalid_request", "placement"},
		{"no placement", "POST", "/v1/decisions", `{"cart":[]}`, 400, "invalid_request", "placement"},
		{"cart float price", "POST", "/v1/decisions", strings.Replace(structuredRequest, `"price":"499.00"`, `"price":499`, 1), 400, "invalid_request", "cart[0].price"},
		{"negative amount", "POST", "/v1/decisions", strings.Replace(structuredRequest, `"amount":"499.00"`, `"amount":"-1"`, 1), 400, "invalid_request", "transaction.amount"},
		{"bad currency decision", "POST", "/v1/decisions", strings.Replace(structuredRequest, `"currency":"USD"`, `"currency":"usd"`, 1), 400, "invalid_request", "transaction.currency"},
		{"bad country", "POST", "/v1/decisions", strings.Replace(structuredRequest, `"country":"US"`, `"country":"USA"`, 1), 400, "invalid_request", "context.country"},
		{"bad device", "POST", "/v1/decisions", strings.Replace(structuredRequest, `"device":"mobile"`, `"device":"toaster"`, 1), 400, "invalid_request", "context.device"},
		{"bad flat cart", "POST", "/v1/decisions", strings.Replace(flatRequest, `"cartitems":"[`, `"cartitems":"{[`, 1), 400, "invalid_request", "attributes.cartitems"},
		{"bad flat amount", "POST", "/v1/decisions", strings.Replace(flatRequest, `"amount":"499.00"`, `"amount":"lots"`, 1), 400, "invalid_request", "attributes.amount"},
		{"flat object value", "POST", "/v1/decisions", strings.Replace(flatRequest, `"loyalty_tier":"gold"`, `"loyalty_tier":{"a":1}`, 1), 400, "invalid_request", "attributes.loyalty_tier"},
		{"huge cart", "POST", "/v1/decisions", `{"placement":"confirmation","cart":[` + strings.Repeat(`{"sku":"a"},`, 100) + `{"sku":"a"}]}`, 400, "invalid_request", "cart"},
		{"customer unknown field", "PUT", "/v1/customers/c1", `{"mail":"a@b.c"}`, 400, "invalid_request", "mail"},
		// A line break in an address adds headers to the messages sent to it; a list or a display
		// name is not one address, and its hash matches no decision's.
		{"customer email CRLF", "PUT", "/v1/customers/c1", `{"email":"ana@example.com\r\nBcc: x@evil.example"}`, 400, "invalid_request", "email"},
		{"customer two emails", "PUT", "/v1/customers/c1", `{"email":"ana@example.com, bo@example.com"}`, 400, "invalid_request", "email"},
		{"customer display-name email", "PUT", "/v1/customers/c1", `{"email":"Ana <ana@example.com>"}`, 400, "invalid_request", "email"},
		{"customer phone line break", "PUT", "/v1/customers/c1", `{"phone":"+1555\n0100"}`, 400, "invalid_request", "phone"},
		{"customer NUL in name", "PUT", "/v1/customers/c1", `{"first_name":"An\u0000a"}`, 400, "invalid_request", "first_name"},
		{"customer escape in attribute", "PUT", "/v1/customers/c1", `{"attributes":{"tier":"gold\u001b[2J"}}`, 400, "invalid_request", "attributes.tier"},
		{"customer control in attribute name", "PUT", "/v1/customers/c1", `{"attributes":{"ti\u0000er":"gold"}}`, 400, "invalid_request", "attributes"},
		{"customer empty attribute name", "PUT", "/v1/customers/c1", `{"attributes":{"":"gold"}}`, 400, "invalid_request", "attributes"},
		{"customer null attribute", "PUT", "/v1/customers/c1", `{"attributes":{"tier":null}}`, 400, "invalid_request", "attributes.tier"},
		{"customer consent type", "PUT", "/v1/customers/c1", `{"consent":{"email":"yes"}}`, 400, "invalid_request", "consent.email"},
		{"customer Local timezone", "PUT", "/v1/customers/c1", `{"timezone":"Local"}`, 400, "invalid_request", "timezone"},
		{"customer C1 control in id", "PUT", "/v1/customers/c1%C2%85", `{}`, 400, "invalid_request", "id"},
		// Thirteen-digit amounts overflowed to negative ones, which were stored and then broke
		// the shop's snapshot, the server's start and the learner.
		{"huge budget", "POST", "/v1/offers", strings.Replace(issueOffer, `"total":"1000.00"`, `"total":"9999999999999"`, 1), 400, "invalid_request", "budget.total"},
		{"huge payout", "POST", "/v1/offers", strings.Replace(issueOffer, `"amount":"4.00"`, `"amount":"9223372036854.775808"`, 1), 400, "invalid_request", "payout.amount"},
		{"huge reserve", "POST", "/v1/placements", `{"id":"p","surface":"cart","reserve":"9999999999999"}`, 400, "invalid_request", "reserve"},
		{"huge order", "POST", "/v1/decisions", strings.Replace(structuredRequest, `"amount":"499.00"`, `"amount":"9999999999999"`, 1), 400, "invalid_request", "transaction.amount"},
		{"huge flat order", "POST", "/v1/decisions", strings.Replace(flatRequest, `"amount":"499.00"`, `"amount":"9999999999999"`, 1), 400, "invalid_request", "attributes.amount"},
		{"lone surrogate id", "POST", "/v1/placements", "{\"id\":\"p\\ud800\",\"surface\":\"cart\"}", 400, "invalid_request", ""}, // refused with the body, before the id is read
		{"invalid utf-8", "POST", "/v1/offers", strings.Replace(issueOffer, `"Specialty beans`, "\"Specialty \xff\xfe beans", 1), 400, "invalid_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			headers := []string{}
			if c.name == "wrong media type" {
				headers = []string{"Content-Type", "application/xml"}
				c.body = "<offer/>"
			}
			e.call(c.method, c.path, e.a.sk, c.body, headers...).mustError(t, c.status, c.code, c.field)
		})
	}
	// A model that was sent is not "required".
	if r := e.call("POST", "/v1/offers", e.a.sk, strings.Replace(issueOffer, `"model":"cpa"`, `"model":"cpm"`, 1)); !strings.Contains(r.str("error", "message"), `not "cpm"`) {
		t.Fatalf("unknown payout model: %s", r.raw)
	}
	// Nothing was written: still one offer and one placement.
	if l := e.call("GET", "/v1/offers", e.a.sk, nil).must(t, 200); len(l.get("data").([]any)) != 1 {
		t.Fatalf("refused requests wrote offers: %s", l.raw)
	}
	if l := e.call("GET", "/v1/placements", e.a.sk, nil).must(t, 200); len(l.get("data").([]any)) != 1 {
		t.Fatalf("refused requests wrote placements: %s", l.raw)
	}
	e.call("GET", "/v1/customers/c1", e.a.sk, nil).mustError(t, 404, "not_found", "")
	// The server stays healthy after a burst of bad requests.
	for i := 0; i < 300; i++ {
		e.call("POST", "/v1/decisions", e.a.pk, `{"placement":`)
	}
	e.call("GET", "/readyz", "", nil).must(t, 200)
	e.call("POST", "/v1/decisions", e.a.pk, structuredRequest).must(t, 200)
}

func TestIdempotencyKey(t *testing.T) {
	e := startEnv(t, "")
	a := e.call("POST", "/v1/offers", e.a.sk, issueOffer, "Idempotency-Key", "k1").must(t, 201)
	b := e.call("POST", "/v1/offers", e.a.sk, issueOffer, "Idempotency-Key", "k1").must(t, 201)
	if a.str("id") != b.str("id") || b.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry made a second offer: %s vs %s", a.raw, b.raw)
	}
	e.call("POST", "/v1/offers", e.a.sk, strings.Replace(issueOffer, "20%", "30%", 1), "Idempotency-Key", "k1").mustError(t, 409, "conflict", "")
	// Keys are per shop.
	e.call("POST", "/v1/offers", e.b.sk, issueOffer, "Idempotency-Key", "k1").must(t, 201)
	if l := e.call("GET", "/v1/offers", e.a.sk, nil).must(t, 200); len(l.get("data").([]any)) != 1 {
		t.Fatalf("offers: %s", l.raw)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	e := startEnv(t, "")
	e.setupShop()
	e.call("GET", "/healthz", "", nil).must(t, 200)
	e.call("GET", "/readyz", "", nil).must(t, 200)
	e.call("POST", "/v1/decisions", e.a.pk, structuredRequest).must(t, 200)
	res, err := http.Get(e.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	m := sb.String()
	for _, want := range []string{`epilogue_decisions_total{arm="policy",outcome="offers"} 1`, `epilogue_http_request_duration_seconds_bucket{code="200",route="POST /v1/decisions"`, "epilogue_writer_queue_depth"} {
		if !strings.Contains(m, want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}

// TestShutdownFlushesEveryPendingWrite: decisions are recorded asynchronously; a graceful stop
// must still write every one of them.
func TestShutdownFlushesEveryPendingWrite(t *testing.T) {
	e := startEnv(t, "")
	e.setupShop()
	var ids []string
	for i := 0; i < 50; i++ {
		ids = append(ids, e.call("POST", "/v1/decisions", e.a.pk, structuredRequest).must(t, 200).str("decision_id"))
	}
	e.stop()
	e.start()
	for _, id := range ids {
		e.call("GET", "/v1/decisions/"+id, e.a.sk, nil).must(t, 200)
	}
	// State survives the restart: the impression cap is rebuilt from the event log.
	var evs []string
	for i := 0; i < 3; i++ { // three showings, each of its own decision
		tok := e.call("POST", "/v1/decisions", e.a.sk, structuredRequest).must(t, 200).str("offers", "0", "token")
		evs = append(evs, fmt.Sprintf(`{"id":"imp%d","type":"impression","token":%q}`, i, tok))
	}
	e.call("POST", "/v1/events", e.a.pk, `{"events":[`+strings.Join(evs, ",")+`]}`).must(t, 200)
	e.stop()
	e.start()
	if r := e.call("POST", "/v1/decisions", e.a.sk, structuredRequest).must(t, 200); r.str("candidates", "0", "reason") != "frequency_cap" {
		t.Fatalf("after restart: %s", r.raw)
	}
}

// Erasure reaches the copy of the customer each order keeps.
func TestEraseScrubsOrders(t *testing.T) {
	e := startEnv(t, "")
	e.call("PUT", "/v1/customers/c1", e.a.sk, `{"email":"ana@example.com"}`).must(t, 200)
	e.call("POST", "/v1/orders", e.a.sk, `{"id":"1001","customer":{"id":"c1","email":"ana@example.com","first_name":"Ana"},"items":[{"sku":"X1","title":"Espresso machine","price":"499.00","quantity":1}],"total":"499.00","currency":"USD","created_at":"2026-11-20T10:00:00Z"}`).must(t, 201)
	if o := e.call("GET", "/v1/orders/1001", e.a.sk, nil).must(t, 200); !strings.Contains(string(o.raw), "ana@example.com") {
		t.Fatalf("order without its customer: %s", o.raw)
	}
	e.call("DELETE", "/v1/customers/c1", e.a.sk, nil).must(t, 200)
	o := e.call("GET", "/v1/orders/1001", e.a.sk, nil).must(t, 200)
	if strings.Contains(string(o.raw), "ana@example.com") || strings.Contains(string(o.raw), "Ana") || o.str("total") != "499.00" {
		t.Fatalf("erased customer's details kept on the order (or the order lost): %s", o.raw)
	}
}
