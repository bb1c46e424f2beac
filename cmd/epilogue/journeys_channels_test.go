package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue/notify"
	"github.com/epiloguehq/epilogue/notify/smtptest"
)

// TestJourneySMSWebhookAndOffers: a shop that enables texts sends shipping updates by SMS to a
// customer who agreed to them; a webhook step posts a signed event; the order confirmation
// carries offers from the decision engine behind tracked, signed links.
func TestJourneySMSWebhookAndOffers(t *testing.T) {
	var mu sync.Mutex
	var texts []url.Values
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		texts = append(texts, r.PostForm)
		mu.Unlock()
		w.WriteHeader(201)
		io.WriteString(w, `{"sid":"SM1"}`)
	}))
	defer provider.Close()
	type hook struct {
		sig  string
		body []byte
	}
	hooks := make(chan hook, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hooks <- hook{r.Header.Get(notify.SignatureHeader), b}
	}))
	defer receiver.Close()
	e := startJourneys(t, smtptest.Options{}, func(c *appConfig) {
		c.journeys.sms = notify.SMSConfig{BaseURL: provider.URL, AccountSID: "AC1", AuthToken: "tok", From: "+15550000000"}
		c.journeys.webhookClient = receiver.Client()
		c.journeys.cacheTTL = time.Nanosecond
	})
	e.call("PATCH", "/v1/messaging", e.a.sk, `{"sms_enabled":true}`).must(t, 200)
	e.call("POST", "/v1/placements", e.a.sk, `{"id":"email","surface":"email","max_offers":2}`).must(t, 201)
	e.call("POST", "/v1/offers", e.a.sk, `{"kind":"cross_sell","title":"Burr grinder","body":"Grind fresh.","cta":"Shop now",
		"action":{"type":"link","url":"https://shop.example/grinder"},"payout":{"model":"none"},"targeting":{"surfaces":["email"]}}`).must(t, 201)
	e.call("POST", "/v1/journeys", e.a.sk, `{"name":"Tell the warehouse","trigger":{"event":"delivered"},
		"steps":[{"type":"webhook","url":"`+receiver.URL+`/hooks","event_name":"order.delivered"}]}`).must(t, 201)

	e.order("5001", "c5", "eve@example.com", "en")
	e.run()
	m := e.wantMails(1)
	if !strings.Contains(m.html, "Burr grinder") {
		t.Fatalf("no offer in the confirmation:\n%s", m.text)
	}
	click := m.link(t, "/c/")
	r := e.follow("GET", click, "")
	if r.status != 302 || r.header.Get("Location") != "https://shop.example/grinder" {
		t.Fatalf("offer click: %d %s", r.status, r.header.Get("Location"))
	}
	if r := e.follow("GET", click[:len(click)-3]+"xyz", ""); r.status != 404 {
		t.Fatalf("forged click: %d", r.status)
	}
	// Decision records are written within a second.
	var kinds []string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if kinds, _ = e.timeline("5001"); slices.Contains(kinds, "decision:policy") {
			break
		}
	}
	for _, want := range []string{"decision:policy", "offer_event:impression", "offer_event:engagement"} {
		if !slices.Contains(kinds, want) {
			t.Fatalf("timeline lacks %s: %v", want, kinds)
		}
	}

	// The customer agrees to texts: the next update goes by SMS instead of email.
	e.call("PUT", "/v1/customers/c5", e.a.sk, `{"phone":"+14155550100","consent":{"sms":true}}`).must(t, 200)
	e.scan("S5", "5001", "in_transit")
	e.run()
	e.wantMails(1)
	mu.Lock()
	if len(texts) != 1 || texts[0].Get("To") != "+14155550100" || !strings.Contains(texts[0].Get("Body"), "on its way") ||
		strings.Contains(texts[0].Get("Body"), "STOP") {
		t.Fatalf("texts: %v", texts)
	}
	mu.Unlock()

	e.scan("S5", "5001", "delivered")
	e.run()
	select {
	case h := <-hooks:
		secret := e.call("GET", "/v1/messaging", e.a.sk, nil).must(t, 200).str("webhook_signing_secret")
		if err := notify.VerifySignature([]byte(secret), h.sig, h.body, e.clock.Now(), time.Minute); err != nil {
			t.Fatalf("webhook signature: %v", err)
		}
		if !strings.Contains(string(h.body), `"type":"order.delivered"`) || !strings.Contains(string(h.body), `"order_id":"5001"`) {
			t.Fatalf("webhook body: %s", h.body)
		}
	default:
		t.Fatal("no webhook")
	}
}

// TestJourneysLoad loads journey files into a shop: all or nothing, idempotent, with errors
// that name the file and the field.
func TestJourneysLoad(t *testing.T) {
	e := startEnv(t, "")
	e.stop() // the command works on the database alone
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("care.json", `[{"name":"Descaling tip","trigger":{"event":"delivered","delay":"30d"},"steps":[{"type":"send","template":"replenishment","transactional":false}]},
		{"name":"VIP thanks","trigger":{"event":"order_placed","if":"order.total >= 500"},"steps":[{"type":"points","points":100}]}]`)
	write("welcome.json", `{"id":"jrn_welcome","name":"Welcome","trigger":{"event":"order_placed","once_per":"customer"},"steps":[{"type":"send","template":"order_confirmation"}]}`)
	write("notes.txt", "not a journey")
	load := func(extra ...string) (string, error) {
		var out, errs bytes.Buffer
		args := append([]string{"journeys", "load", dir, "--db", e.db, "--shop", e.a.id}, extra...)
		err := run(context.Background(), args, func(string) string { return "" }, &out, &errs)
		return out.String(), err
	}
	out, err := load()
	if err != nil || strings.Count(out, "created") != 3 || !strings.Contains(out, "jrn_care_2") || !strings.Contains(out, "jrn_welcome") {
		t.Fatalf("load: %v\n%s", err, out)
	}
	if out, err = load("--json"); err != nil || strings.Count(out, `"updated"`) != 3 {
		t.Fatalf("load again: %v\n%s", err, out)
	}
	write("zz_bad.json", `{"name":"Bad","trigger":{"event":"order_placed"},"steps":[{"type":"wait","duration":"a while"}]}`)
	if _, err = load(); err == nil || !strings.Contains(err.Error(), "zz_bad.json") || !strings.Contains(err.Error(), "steps.duration") {
		t.Fatalf("a bad file: %v", err)
	}
	write("zz_bad.json", `{"name":"Bad","trigger":{"event":"order_placed"},"steps":[{"type":"condition","if":"order.total > \"x\""}]}`)
	if _, err = load(); err == nil || !strings.Contains(err.Error(), "steps[0].if") {
		t.Fatalf("a bad condition: %v", err)
	}
	// A syntax error says where, as an editor counts.
	write("zz_bad.json", "{\n  \"name\": \"Bad\",\n  \"trigger\": {\"event\": \"order_placed\"}\n  \"steps\": []\n}\n")
	if _, err = load(); err == nil || !strings.Contains(err.Error(), "zz_bad.json: line 4, column 3") {
		t.Fatalf("a syntax error: %v", err)
	}
	os.Remove(filepath.Join(dir, "zz_bad.json"))
	if err := run(context.Background(), []string{"journeys", "load", dir, dir, "--shop", e.a.id}, envOf(), io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "takes one directory") {
		t.Fatalf("two directories: %v", err)
	}
	s := e.openStore()
	js, err := s.ShopJourneys(context.Background(), e.a.id)
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 8+3 {
		t.Fatalf("%d journeys, want the 8 defaults and 3 loaded", len(js))
	}
	if err := run(context.Background(), []string{"journeys", "load", dir, "--db", e.db}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Fatal("load without --shop worked")
	}
}
