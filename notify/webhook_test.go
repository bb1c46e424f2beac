package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

func TestWebhookSignatureVerifiesAtReceiver(t *testing.T) {
	secret := []byte("whsec_shop1")
	clock := epilogue.NewManualClock(created.Add(time.Minute))
	type delivery struct {
		id   string
		body []byte
		err  error
	}
	got := make(chan delivery, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// The receiver's side: verify against the raw body with its own clock.
		err := notify.VerifySignature(secret, r.Header.Get(notify.SignatureHeader), body, clock.Now(), 5*time.Minute)
		got <- delivery{r.Header.Get(notify.EventIDHeader), body, err}
		if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Shop") != "brew" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()

	w := notify.NewWebhook(notify.StaticSecret(secret), srv.Client(), clock)
	m := &epilogue.Message{ID: "msg_abc", ShopID: "shop_1", IdempotencyKey: "enr_1:3", Channel: epilogue.ChannelWebhook,
		To: srv.URL + "/hooks", Subject: "shipment.delivered", Text: `{"order_id":"1001","status":"delivered"}`,
		Headers: map[string]string{"X-Shop": "brew"}, CreatedAt: created}
	if err := w.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	d := <-got
	if d.err != nil {
		t.Fatalf("receiver could not verify: %v", d.err)
	}
	var ev struct {
		EventID   string          `json:"event_id"`
		Type      string          `json:"type"`
		CreatedAt time.Time       `json:"created_at"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(d.body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.EventID != "msg_abc" || d.id != "msg_abc" || ev.Type != "shipment.delivered" || !ev.CreatedAt.Equal(created) ||
		string(ev.Data) != `{"order_id":"1001","status":"delivered"}` {
		t.Errorf("event = %s (header id %s)", d.body, d.id)
	}

	// A retry later carries the same body and event id, signed afresh.
	clock.Advance(10 * time.Minute)
	if err := w.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	d2 := <-got
	if d2.err != nil || string(d2.body) != string(d.body) {
		t.Errorf("retry: verify %v, body %s", d2.err, d2.body)
	}

	// What a receiver must refuse.
	sig := notify.Sign(secret, clock.Now(), d.body)
	for name, tc := range map[string]struct {
		secret, body []byte
		header       string
		now          time.Time
	}{
		"tampered body": {secret, []byte(strings.Replace(string(d.body), "1001", "1002", 1)), sig, clock.Now()},
		"wrong secret":  {[]byte("other"), d.body, sig, clock.Now()},
		"replayed":      {secret, d.body, sig, clock.Now().Add(time.Hour)},
		"malformed":     {secret, d.body, "v1=abc", clock.Now()},
	} {
		if err := notify.VerifySignature(tc.secret, tc.header, tc.body, tc.now, 5*time.Minute); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	// Rotation: a header with two signatures verifies with either secret.
	both := sig + ",v1=" + strings.Split(notify.Sign([]byte("next"), clock.Now(), d.body), "v1=")[1]
	if err := notify.VerifySignature([]byte("next"), both, d.body, clock.Now(), time.Minute); err != nil {
		t.Errorf("rotation: %v", err)
	}
}

func TestWebhookClassifiesAnswers(t *testing.T) {
	for _, tc := range []struct {
		status            int
		temporary, bounce bool
	}{
		{200, false, false}, {204, false, false},
		{429, true, false}, {500, true, false}, {502, true, false},
		{400, false, false}, {404, false, false}, {410, false, true}, {301, false, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.status == 301 {
				w.Header().Set("Location", "https://elsewhere.example/")
			}
			w.WriteHeader(tc.status)
		}))
		w := notify.NewWebhook(notify.StaticSecret([]byte("s")), &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}, epilogue.SystemClock{})
		err := w.Send(context.Background(), &epilogue.Message{ID: "msg_1", Channel: epilogue.ChannelWebhook, To: srv.URL, Text: `{}`})
		srv.Close()
		if (err == nil) != (tc.status/100 == 2) || notify.Temporary(err) != tc.temporary || notify.HardBounce(err) != tc.bounce {
			t.Errorf("%d: err = %v, temporary=%v bounce=%v", tc.status, err, notify.Temporary(err), notify.HardBounce(err))
		}
	}
}

func TestWebhookDefaultClientRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("the request reached a loopback server")
	}))
	defer srv.Close()
	w := notify.NewWebhook(notify.StaticSecret([]byte("s")), nil, epilogue.SystemClock{})
	for _, to := range []string{srv.URL, "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1:9/"} {
		err := w.Send(context.Background(), &epilogue.Message{ID: "msg_1", Channel: epilogue.ChannelWebhook, To: to, Text: `{}`})
		if err == nil || notify.Temporary(err) {
			t.Errorf("%s: err = %v, want a permanent refusal", to, err)
		}
	}
}

func TestWebhookRefusesBadMessages(t *testing.T) {
	w := notify.NewWebhook(notify.StaticSecret([]byte("s")), nil, epilogue.SystemClock{})
	for name, m := range map[string]*epilogue.Message{
		"not a URL":  {Channel: epilogue.ChannelWebhook, To: "ftp://x.example/", Text: `{}`},
		"not JSON":   {Channel: epilogue.ChannelWebhook, To: "https://x.example/", Text: `order shipped`},
		"userinfo":   {Channel: epilogue.ChannelWebhook, To: "https://u:p@x.example/", Text: `{}`},
		"empty host": {Channel: epilogue.ChannelWebhook, To: "https:///x", Text: `{}`},
	} {
		if err := w.Send(context.Background(), m); err == nil || notify.Temporary(err) || epilogue.ErrorCode(err) != epilogue.EInvalid {
			t.Errorf("%s: err = %v, want permanent invalid", name, err)
		}
	}
}
