package notify_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

// fakeProvider is a Twilio-style Messages endpoint that records requests and answers as told.
type fakeProvider struct {
	status  int
	body    string
	headers map[string]string
	got     []url.Values
	user    string
	pass    string
	path    string
}

func (f *fakeProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.path = r.Method + " " + r.URL.Path
	f.user, f.pass, _ = r.BasicAuth()
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "want a form", http.StatusUnsupportedMediaType)
		return
	}
	b, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(b))
	f.got = append(f.got, form)
	for k, v := range f.headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	io.WriteString(w, f.body)
}

func smsMessage() *epilogue.Message {
	return &epilogue.Message{ShopID: "shop_1", IdempotencyKey: "k", Channel: epilogue.ChannelSMS,
		To: "+14155550100", Text: "Brew & Co: your order #1001 is out for delivery. Track: https://t.example/1"}
}

func TestSMSPostsForm(t *testing.T) {
	p := &fakeProvider{status: 201, body: `{"sid":"SM123","status":"queued"}`}
	srv := httptest.NewServer(p)
	defer srv.Close()
	s, err := notify.NewSMS(notify.SMSConfig{BaseURL: srv.URL, AccountSID: "AC123", AuthToken: "tok", From: "+14155559999"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), smsMessage()); err != nil {
		t.Fatal(err)
	}
	if p.path != "POST /2010-04-01/Accounts/AC123/Messages.json" {
		t.Errorf("request = %s", p.path)
	}
	if p.user != "AC123" || p.pass != "tok" {
		t.Errorf("basic auth = %q:%q", p.user, p.pass)
	}
	f := p.got[0]
	if f.Get("To") != "+14155550100" || f.Get("From") != "+14155559999" || f.Get("Body") != smsMessage().Text {
		t.Errorf("form = %v", f)
	}

	// A messaging service instead of a number.
	m := smsMessage()
	m.From = "MG0123456789abcdef"
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if f := p.got[1]; f.Get("MessagingServiceSid") != "MG0123456789abcdef" || f.Has("From") {
		t.Errorf("form = %v", f)
	}
}

func TestSMSClassifiesAnswers(t *testing.T) {
	for _, tc := range []struct {
		status            int
		body              string
		retryAfter        string
		temporary, bounce bool
		wait              time.Duration
	}{
		{429, `{"code":20429,"message":"Too Many Requests"}`, "30", true, false, 30 * time.Second},
		{500, `{"message":"oops"}`, "", true, false, 0},
		{503, ``, "", true, false, 0},
		{401, `{"code":20003,"message":"Authenticate"}`, "", true, false, 0},
		{400, `{"code":21211,"message":"The 'To' number is not a valid phone number."}`, "", false, true, 0},
		{400, `{"code":21610,"message":"Attempt to send to unsubscribed recipient"}`, "", false, true, 0},
		{400, `{"code":21408,"message":"Permission to send an SMS has not been enabled"}`, "", false, false, 0},
	} {
		p := &fakeProvider{status: tc.status, body: tc.body, headers: map[string]string{}}
		if tc.retryAfter != "" {
			p.headers["Retry-After"] = tc.retryAfter
		}
		srv := httptest.NewServer(p)
		s, _ := notify.NewSMS(notify.SMSConfig{BaseURL: srv.URL, AccountSID: "AC1", AuthToken: "t", From: "+14155559999"}, srv.Client())
		err := s.Send(context.Background(), smsMessage())
		srv.Close()
		var e *notify.Error
		if !errors.As(err, &e) || e.Code != tc.status || notify.Temporary(err) != tc.temporary || notify.HardBounce(err) != tc.bounce || e.RetryAfter != tc.wait {
			t.Errorf("%d %s: err = %v (%+v), want temporary=%v bounce=%v retry after %v", tc.status, tc.body, err, e, tc.temporary, tc.bounce, tc.wait)
		}
	}
}

func TestSMSProviderDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	s, _ := notify.NewSMS(notify.SMSConfig{BaseURL: base, AccountSID: "AC1", AuthToken: "t", From: "+14155559999"}, nil)
	if err := s.Send(context.Background(), smsMessage()); !notify.Temporary(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
}

func TestSMSRefusesBadMessages(t *testing.T) {
	s, _ := notify.NewSMS(notify.SMSConfig{BaseURL: "http://127.0.0.1:1", AccountSID: "AC1", AuthToken: "t", From: "+14155559999"}, nil)
	for name, edit := range map[string]func(*epilogue.Message){
		"to local":   func(m *epilogue.Message) { m.To = "0612345678" },
		"to letters": func(m *epilogue.Message) { m.To = "+1415CALLME" },
		"empty":      func(m *epilogue.Message) { m.Text = " " },
		"too long":   func(m *epilogue.Message) { m.Text = string(make([]byte, 1601)) },
	} {
		m := smsMessage()
		edit(m)
		if err := s.Send(context.Background(), m); err == nil || notify.Temporary(err) || epilogue.ErrorCode(err) != epilogue.EInvalid {
			t.Errorf("%s: err = %v, want permanent invalid", name, err)
		}
	}
}
