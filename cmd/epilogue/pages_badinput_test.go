package main

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
	"github.com/epiloguehq/epilogue/notify/smtptest"
)

// pageLink signs a link of shop a of e for order 1001 and customer c1, valid for a day.
func pageLink(t *testing.T, e *env, kind string) string {
	t.Helper()
	shop := e.shop(e.a.id)
	return "/" + kind + "/" + journey.SignLink(shop.Secret, journey.Link{Kind: kind, ShopID: shop.ID, OrderID: "1001", CustomerID: "c1",
		Channel: "email", Ref: "enr_1", Expires: time.Now().Add(24 * time.Hour)})
}

// post sends a body of the given content type to a page.
func (e *env) post(path, contentType string, body []byte) resp {
	e.t.Helper()
	return e.call("POST", path, "", body, "Content-Type", contentType)
}

func postOrder1001(t *testing.T, e *env) {
	t.Helper()
	e.call("POST", "/v1/orders", e.a.sk, `{"id":"1001","customer":{"id":"c1","email":"ana@example.com","first_name":"Ana"},
		"items":[{"sku":"X1","title":"Espresso machine","price":"499.00","quantity":1}],"total":"499.00","currency":"USD",
		"created_at":"2026-11-20T10:00:00Z"}`).must(t, 201)
}

// TestFeedbackFormsFromRealBrowsers: what a browser sends from the review and survey forms is
// taken. A textarea of maxlength 2000 holds 2000 characters of any script, percent-encoded to
// up to 9 bytes each (a 2000-character Japanese review was refused as an unreadable form), and
// its line breaks are sent as CRLF while maxlength counts them as one character (a review of
// 1400 characters on 700 lines was refused as longer than 2000). A body too large for any
// form, or one that is not a form, says so, with the form shown again in the shop's brand.
func TestFeedbackFormsFromRealBrowsers(t *testing.T) {
	e := startEnv(t, "")
	postOrder1001(t, e)
	e.call("PATCH", "/v1/brand", e.a.sk, `{"name":"Brew & Co"}`).must(t, 200)
	form := "application/x-www-form-urlencoded"

	survey := pageLink(t, e, journey.LinkSurvey)
	if r := e.post(survey, form, []byte(url.Values{"score": {"9"}, "comment": {strings.Repeat("語", 2000)}}.Encode())); r.status != 200 ||
		!strings.Contains(string(r.raw), "Thank you") {
		t.Fatalf("a survey with a 2000-character Japanese comment: %d %s", r.status, r.raw)
	}
	review := pageLink(t, e, journey.LinkReview)
	if r := e.post(review, form, []byte(url.Values{"rating": {"4"}, "comment": {strings.Repeat("a\r\n", 700)}}.Encode())); r.status != 200 ||
		!strings.Contains(string(r.raw), "Thank you") {
		t.Fatalf("a review of 700 lines sent with CRLF: %d %s", r.status, r.raw)
	}

	shop := e.shop(e.a.id)
	other := "/r/" + journey.SignLink(shop.Secret, journey.Link{Kind: journey.LinkReview, ShopID: shop.ID, OrderID: "1002", CustomerID: "c1",
		Channel: "email", Expires: time.Now().Add(time.Hour)})
	huge := []byte("rating=4&comment=" + strings.Repeat("a", 100<<10))
	r := e.post(other, form, huge)
	if r.status != 413 || !strings.Contains(string(r.raw), "too long") || !strings.Contains(string(r.raw), `name="rating"`) ||
		!strings.Contains(string(r.raw), "Brew &amp; Co") {
		t.Fatalf("a form of 100 KiB: %d %s", r.status, r.raw)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("rating", "4")
	mw.Close()
	r = e.post(other, mw.FormDataContentType(), mp.Bytes())
	if r.status != 415 || !strings.Contains(string(r.raw), "form") || !strings.Contains(string(r.raw), `name="rating"`) ||
		strings.Contains(string(r.raw), "between 1 and 5") {
		t.Fatalf("a multipart body: %d %s", r.status, r.raw)
	}
	r = e.post(other, "application/json", []byte(`{"rating":4}`))
	if r.status != 415 {
		t.Fatalf("a JSON body: %d %s", r.status, r.raw)
	}
	// A bad link with a bad body is still a bad link.
	if r := e.post("/r/x.y", form, huge); r.status != 404 {
		t.Fatalf("a forged link with a huge body: %d %s", r.status, r.raw)
	}
}

// TestPagesAfterErasure: once a customer is erased, their review and survey links answer as a
// link that never was (a review would store their words again and credit points to nobody);
// their unsubscribe link still works.
func TestPagesAfterErasure(t *testing.T) {
	e := startEnv(t, "")
	postOrder1001(t, e)
	e.call("PATCH", "/v1/messaging", e.a.sk, `{"loyalty":{"review":50,"survey":20}}`).must(t, 200)
	review, survey, unsub := pageLink(t, e, journey.LinkReview), pageLink(t, e, journey.LinkSurvey), pageLink(t, e, journey.LinkUnsubscribe)
	if r := e.call("GET", review, "", nil); r.status != 200 {
		t.Fatalf("review page before erasure: %d %s", r.status, r.raw)
	}
	e.call("DELETE", "/v1/customers/c1", e.a.sk, nil).must(t, 200)

	forged := e.call("GET", "/r/"+strings.Repeat("A", 40)+".AAAA", "", nil)
	if forged.status != 404 || !strings.Contains(string(forged.raw), "<p>This link is not valid.</p>") {
		t.Fatalf("forged link: %d %s", forged.status, forged.raw)
	}
	for _, c := range []struct{ method, path, form string }{
		{"GET", review, ""}, {"POST", review, "rating=5&comment=I+am+Ana+Smith"},
		{"GET", survey + "?score=9", ""}, {"POST", survey, "score=9"},
	} {
		r := e.call(c.method, c.path, "", c.form, "Content-Type", "application/x-www-form-urlencoded")
		if r.status != 404 || !bytes.Equal(r.raw, forged.raw) {
			t.Errorf("%s %s after erasure: %d %s", c.method, c.path[:3], r.status, r.raw)
		}
	}
	if bal := e.call("GET", "/v1/customers/c1/loyalty", e.a.sk, nil).must(t, 200).get("balance"); bal != 0.0 {
		t.Fatalf("points credited to an erased customer: %v", bal)
	}
	if r := e.call("POST", unsub, "", "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded"); r.status != 200 {
		t.Fatalf("unsubscribe after erasure: %d %s", r.status, r.raw)
	}
}

// TestPageHeaders: every page, good link or bad, is HTML that a browser must not sniff as
// anything else, is not cached, and sends no referrer (its URL carries the token).
func TestPageHeaders(t *testing.T) {
	e := startEnv(t, "")
	postOrder1001(t, e)
	for _, path := range []string{pageLink(t, e, journey.LinkUnsubscribe), pageLink(t, e, journey.LinkReview), "/s/nope"} {
		r := e.call("GET", path, "", nil)
		h := r.header
		if h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("GET %s: %d %v", path[:3], r.status, h)
		}
	}
	// A page asked with a method it does not serve is a page too, not an API error; the API
	// keeps its JSON 405.
	for _, path := range []string{pageLink(t, e, journey.LinkUnsubscribe), "/r/x", "/c/shop/x"} {
		r := e.call("DELETE", path, "", nil)
		if r.status != 405 || r.header.Get("Content-Type") != "text/html; charset=utf-8" || r.header.Get("Allow") == "" ||
			!strings.Contains(string(r.raw), "<html") {
			t.Errorf("DELETE %s: %d %v %.80s", path[:3], r.status, r.header, r.raw)
		}
	}
	if r := e.call("DELETE", "/v1/settings", e.a.sk, ""); r.status != 405 || !strings.Contains(string(r.raw), `"method_not_allowed"`) {
		t.Errorf("DELETE /v1/settings: %d %s", r.status, r.raw)
	}
}

// TestOfferClickProbe: a HEAD of an offer link (link scanners send them) answers the redirect
// but records no click; the GET that follows does. An offer whose stored URL is not http or
// https (written around the API's checks) is never a redirect target.
func TestOfferClickProbe(t *testing.T) {
	e := startJourneys(t, smtptest.Options{}, func(c *appConfig) { c.journeys.cacheTTL = time.Nanosecond })
	e.call("POST", "/v1/placements", e.a.sk, `{"id":"email","surface":"email","max_offers":1}`).must(t, 201)
	o := e.call("POST", "/v1/offers", e.a.sk, `{"kind":"cross_sell","title":"Burr grinder","cta":"Shop now",
		"action":{"type":"link","url":"https://shop.example/grinder"},"payout":{"model":"none"},"targeting":{"surfaces":["email"]}}`).must(t, 201)
	e.order("5001", "c5", "eve@example.com", "en")
	e.run()
	click := e.wantMails(1).link(t, "/c/")
	engaged := func() bool {
		kinds, _ := e.timeline("5001")
		return slices.Contains(kinds, "offer_event:engagement")
	}
	// The timeline shows offer events with their decision, which is written within a second.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if kinds, _ := e.timeline("5001"); slices.Contains(kinds, "decision:policy") {
			break
		}
	}

	if r := e.follow("HEAD", click, ""); r.status != 302 || r.header.Get("Location") != "https://shop.example/grinder" {
		t.Fatalf("HEAD of the click: %d %v", r.status, r.header)
	}
	if engaged() {
		t.Fatal("a HEAD recorded a click")
	}
	if r := e.follow("GET", click, ""); r.status != 302 || r.header.Get("Location") != "https://shop.example/grinder" {
		t.Fatalf("GET of the click: %d %v", r.status, r.header)
	}
	if !engaged() {
		t.Fatal("the GET recorded no click")
	}

	st := e.openStore()
	off, err := st.Offer(context.Background(), e.a.id, o.str("id"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"javascript:alert(document.domain)", "//evil.example/x", "data:text/html,<script>alert(1)</script>", "/\\evil.example"} {
		if _, err := st.UpdateOffer(context.Background(), e.a.id, off.ID, func(o *epilogue.Offer) error { o.Action.URL = bad; return nil }); err != nil {
			t.Fatal(err)
		}
		r := e.follow("GET", click, "")
		if r.status != http.StatusNotFound || r.header.Get("Location") != "" {
			t.Errorf("click to an offer whose URL is %q: %d Location %q", bad, r.status, r.header.Get("Location"))
		}
	}
}

// TestPageLinksAreBoundToKindAndShop: a link's signature covers its kind and its shop, so a
// tracking, review or unsubscribe token opens nothing else, and a link claiming another shop
// (or signed with another shop's secret) is not valid — with the same answer as a forged one.
func TestPageLinksAreBoundToKindAndShop(t *testing.T) {
	e := startEnv(t, "")
	postOrder1001(t, e)
	a, b := e.shop(e.a.id), e.shop(e.b.id)
	forged := e.call("GET", "/u/"+strings.Repeat("A", 40)+".AAAA", "", nil)
	link := func(secret, shop, kind string) string {
		return journey.SignLink(secret, journey.Link{Kind: kind, ShopID: shop, OrderID: "1001", CustomerID: "c1", Channel: "email",
			Expires: time.Now().Add(time.Hour)})
	}
	for name, path := range map[string]string{
		"review token on /u":       "/u/" + link(a.Secret, a.ID, journey.LinkReview),
		"unsubscribe token on /r":  "/r/" + link(a.Secret, a.ID, journey.LinkUnsubscribe),
		"survey token on /r":       "/r/" + link(a.Secret, a.ID, journey.LinkSurvey),
		"shop b's id, a's secret":  "/r/" + link(a.Secret, b.ID, journey.LinkReview),
		"shop a's id, b's secret":  "/r/" + link(b.Secret, a.ID, journey.LinkReview),
		"no such shop":             "/r/" + link(a.Secret, "shop_nope", journey.LinkReview),
		"kind changed after sign":  "/r/" + strings.Replace(link(a.Secret, a.ID, journey.LinkUnsubscribe), "bDEKdQ", "bDEKcg", 1),
		"offer click token on /u":  "/u/dDEKZGVjXzE.AAAA",
		"signature of another one": "/r/" + strings.Split(link(a.Secret, a.ID, journey.LinkReview), ".")[0] + "." + strings.Split(link(a.Secret, a.ID, journey.LinkSurvey), ".")[1],
	} {
		for _, method := range []string{"GET", "POST"} {
			r := e.call(method, path, "", "rating=5", "Content-Type", "application/x-www-form-urlencoded")
			if r.status != 404 || !bytes.Equal(r.raw, forged.raw) {
				t.Errorf("%s %s: %d %s", method, name, r.status, r.raw)
			}
		}
	}
}
