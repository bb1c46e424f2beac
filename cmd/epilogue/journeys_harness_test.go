package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify/smtptest"
	"github.com/epiloguehq/epilogue/store"
)

// journeyEnv is a whole server with a real SMTP relay (smtptest), a manual clock and a
// scheduler the test steps itself.
type journeyEnv struct {
	*env
	clock *epilogue.ManualClock
	smtp  *smtptest.Server
}

// monday10 is a time outside the default quiet hours in UTC.
var monday10 = time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)

// startJourneys starts a server on a fresh SQLite file with two shops; opts may change the
// relay and the configuration.
func startJourneys(t *testing.T, smtpOpts smtptest.Options, cfg ...func(*appConfig)) *journeyEnv {
	t.Helper()
	relay, err := smtptest.Start(smtpOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	clock := epilogue.NewManualClock(monday10)
	e := &journeyEnv{env: &env{t: t, db: "sqlite://" + filepath.Join(t.TempDir(), "test.db")}, clock: clock, smtp: relay}
	s, err := store.Open(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*shopKeys{&e.a, &e.b} {
		st := epilogue.DefaultSettings()
		st.HoldoutShare = 0
		shop, pk, sk, err := createShop(context.Background(), s, "Shop", st, monday10)
		if err != nil {
			t.Fatal(err)
		}
		*k = shopKeys{shop.ID, pk, sk}
	}
	s.Close()
	c := appConfig{db: e.db, clock: clock, log: slog.New(slog.DiscardHandler), journeys: journeyConfig{
		smtpURL: relay.URL() + "?starttls=off", publicURL: "http://127.0.0.1:1", manual: true,
		outbox: filepath.Join(t.TempDir(), "outbox.jsonl"),
	}}
	if testing.Verbose() {
		c.log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	for _, f := range cfg {
		f(&c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := openApp(ctx, c)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.base, e.cancel, e.done, e.app = "http://"+ln.Addr().String(), cancel, make(chan error, 1), a
	go func() { e.done <- a.serve(ctx, ln) }()
	t.Cleanup(e.stop)
	return e
}

// run steps the scheduler until it has nothing left to do now.
func (e *journeyEnv) run() {
	e.t.Helper()
	if err := e.app.scheduler.Drain(context.Background(), 100); err != nil {
		e.t.Fatal(err)
	}
}

// later moves the clock and runs what became due.
func (e *journeyEnv) later(d time.Duration) {
	e.t.Helper()
	e.clock.Advance(d)
	e.run()
}

// order posts an order for a customer of shop a.
func (e *journeyEnv) order(id, customer, email, locale string, extra ...string) {
	e.t.Helper()
	body := fmt.Sprintf(`{"id":%q,"customer":{"id":%q,"email":%q,"first_name":"Ana","locale":%q},
		"items":[{"sku":"BEANS","title":"Espresso beans","category":"coffee","price":"34.00","quantity":1%s}],
		"total":"34.00","currency":"USD","created_at":%q}`, id, customer, email, locale, strings.Join(extra, ""),
		e.clock.Now().Format(time.RFC3339))
	r := e.call("POST", "/v1/orders", e.a.sk, body)
	if r.status != 201 && r.status != 200 {
		e.t.Fatalf("order %s: %d %s", id, r.status, r.raw)
	}
}

// scan posts a carrier scan of a shipment of an order.
func (e *journeyEnv) scan(shipment, order, status string) {
	e.t.Helper()
	body := fmt.Sprintf(`{"id":%q,"order_id":%q,"carrier":"UPS","tracking_number":"1Z%s","tracking_url":"https://ups.example/t/1Z%s",
		"events":[{"status":%q,"time":%q}]}`, shipment, order, shipment, shipment, status, e.clock.Now().Format(time.RFC3339Nano))
	r := e.call("POST", "/v1/shipments", e.a.sk, body)
	if r.status != 201 && r.status != 200 {
		e.t.Fatalf("scan %s %s: %d %s", shipment, status, r.status, r.raw)
	}
}

// email is one message the relay accepted, decoded.
type email struct {
	header     mail.Header
	to         []string
	text, html string
	raw        []byte
}

func (m email) subject() string {
	s, _ := new(mime.WordDecoder).DecodeHeader(m.header.Get("Subject"))
	return s
}

// link returns the first URL in the text part with the given path prefix ("/r/").
func (m email) link(t *testing.T, prefix string) string {
	t.Helper()
	re := regexp.MustCompile(`https?://[^\s"<>]*` + regexp.QuoteMeta(prefix) + `[^\s"<>]+`)
	l := re.FindString(m.text)
	if l == "" {
		t.Fatalf("no %s link in %q:\n%s", prefix, m.subject(), m.text)
	}
	return l
}

// mails returns every message the relay accepted, decoded.
func (e *journeyEnv) mails() []email {
	e.t.Helper()
	var out []email
	for _, m := range e.smtp.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			e.t.Fatal(err)
		}
		em := email{header: msg.Header, to: m.To, raw: m.Data}
		_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
				em.html = string(b)
			} else {
				em.text = string(b)
			}
		}
		out = append(out, em)
	}
	return out
}

// wantMails checks that the relay has exactly n messages and returns the last.
func (e *journeyEnv) wantMails(n int) email {
	e.t.Helper()
	ms := e.mails()
	if len(ms) != n {
		var subjects []string
		for _, m := range ms {
			subjects = append(subjects, m.subject())
		}
		e.t.Fatalf("%d emails, want %d: %q", len(ms), n, subjects)
	}
	if n == 0 {
		return email{}
	}
	return ms[n-1]
}

// follow requests a link of a message against the test server (links point at the configured
// public URL, not at the test's port).
func (e *journeyEnv) follow(method, link string, form string) resp {
	e.t.Helper()
	i := strings.Index(link, "/")
	for n := 0; n < 2 && i >= 0; n++ { // past "http://"
		j := strings.Index(link[i+1:], "/")
		if j < 0 {
			i = -1
			break
		}
		i += j + 1
	}
	req, err := http.NewRequest(method, e.base+link[i:], strings.NewReader(form))
	if err != nil {
		e.t.Fatal(err)
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, header: res.Header, raw: raw}
	json.Unmarshal(raw, &out.body)
	return out
}

// timeline returns an order's timeline entries as "type:kind" strings, with the entries.
func (e *journeyEnv) timeline(order string) ([]string, []map[string]any) {
	e.t.Helper()
	r := e.call("GET", "/v1/orders/"+order+"/timeline", e.a.sk, nil).must(e.t, 200)
	var out []string
	var entries []map[string]any
	for _, x := range r.get("entries").([]any) {
		m := x.(map[string]any)
		entries = append(entries, m)
		out = append(out, fmt.Sprint(m["type"], ":", m["kind"]))
	}
	return out, entries
}
