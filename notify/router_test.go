package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

type recorder struct{ got []string }

func (r *recorder) Send(_ context.Context, m *epilogue.Message) error {
	r.got = append(r.got, m.Channel+":"+m.To)
	return nil
}

func TestRouterPicksSenderByChannel(t *testing.T) {
	email, sms := &recorder{}, &recorder{}
	r := notify.Router{epilogue.ChannelEmail: email, epilogue.ChannelSMS: sms}
	ctx := context.Background()
	r.Send(ctx, &epilogue.Message{Channel: epilogue.ChannelEmail, To: "a@b.c"})
	r.Send(ctx, &epilogue.Message{Channel: epilogue.ChannelSMS, To: "+14155550100"})
	if len(email.got) != 1 || len(sms.got) != 1 || email.got[0] != "email:a@b.c" {
		t.Errorf("email got %v, sms got %v", email.got, sms.got)
	}
	err := r.Send(ctx, &epilogue.Message{Channel: epilogue.ChannelWebhook, To: "https://x.example"})
	if err == nil || notify.Temporary(err) || epilogue.ErrorCode(err) != epilogue.EInvalid {
		t.Errorf("unrouted channel: err = %v, want a permanent invalid_request", err)
	}
}

func TestTemporaryClassifiesPlainErrors(t *testing.T) {
	_, dialErr := net.Dial("tcp", "127.0.0.1:1")
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("something"), false},
		{epilogue.Invalid("to", "bad"), false},
		{context.DeadlineExceeded, true},
		{fmt.Errorf("wrapped: %w", syscall.ECONNREFUSED), true},
		{io.ErrUnexpectedEOF, true},
		{dialErr, true},
		{&notify.Error{Temp: true, Err: errors.New("x")}, true},
		{fmt.Errorf("journey: %w", &notify.Error{Bounce: true, Err: errors.New("550")}), false},
	} {
		if got := notify.Temporary(tc.err); got != tc.want {
			t.Errorf("Temporary(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if !notify.HardBounce(fmt.Errorf("journey: %w", &notify.Error{Bounce: true})) || notify.HardBounce(errors.New("550")) {
		t.Error("HardBounce does not see through wrapping, or guesses from text")
	}
}

func TestBackoffGrowsWithJitterUpToCap(t *testing.T) {
	prevMax := time.Duration(0)
	for attempt := 1; attempt <= 40; attempt++ {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for range 200 {
			d := notify.Backoff(attempt)
			lo, hi = min(lo, d), max(hi, d)
		}
		if hi > 2*time.Hour || lo < 15*time.Second {
			t.Fatalf("attempt %d: backoff in [%v, %v], want within [15s, 2h]", attempt, lo, hi)
		}
		if hi < prevMax/2 {
			t.Fatalf("attempt %d: backoff shrank to %v", attempt, hi)
		}
		if attempt < 8 && lo == hi {
			t.Fatalf("attempt %d: no jitter", attempt)
		}
		prevMax = hi
	}
	if d := notify.Backoff(1); d > 30*time.Second {
		t.Errorf("first retry after %v, want at most 30s", d)
	}
	if d := notify.Backoff(0); d > 30*time.Second || d < 15*time.Second {
		t.Errorf("Backoff(0) = %v", d)
	}
	if d := notify.RetryDelay(&notify.Error{Temp: true, RetryAfter: time.Hour}, 1); d != time.Hour {
		t.Errorf("RetryDelay with Retry-After 1h = %v", d)
	}
}

func TestParseSMTPURL(t *testing.T) {
	for raw, want := range map[string]notify.SMTPConfig{
		"smtp://localhost":                    {Host: "localhost", Port: 25, StartTLS: "opportunistic", Auth: "plain"},
		"smtp://user:p%40ss@mail.example:587": {Host: "mail.example", Port: 587, Username: "user", Password: "p@ss", StartTLS: "opportunistic", Auth: "plain"},
		"smtps://u:p@mail.example":            {Host: "mail.example", Port: 465, Username: "u", Password: "p", ImplicitTLS: true, StartTLS: "opportunistic", Auth: "plain"},
		"smtp://relay:2525?starttls=required": {Host: "relay", Port: 2525, StartTLS: "required", Auth: "plain"},
		"smtp://[::1]:25?insecure_skip_verify=1&pool=8&timeout=5s&auth=auto&helo=me.example": {
			Host: "::1", Port: 25, StartTLS: "opportunistic", InsecureSkipVerify: true, PoolSize: 8, Timeout: 5 * time.Second, Auth: "auto", HELO: "me.example"},
	} {
		got, err := notify.ParseSMTPURL(raw)
		if err != nil || got != want {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v\nwant %+v", raw, got, err, want)
		}
	}
	for raw, wantErr := range map[string]string{
		"http://mail.example":                          "scheme",
		"smtp://":                                      "missing host",
		"smtp://mail.example:99999":                    "port",
		"smtp://mail.example:25/path":                  "path",
		"smtp://:secret@mail.example":                  "user name",
		"smtp://mail.example?starttls=maybe":           "starttls",
		"smtp://mail.example?tls=1":                    "unknown option",
		"smtps://mail.example?starttls=off":            "smtps",
		"smtp://mail.example?pool=0":                   "pool",
		"smtp://mail.example?timeout=soon":             "timeout",
		"smtp://mail.example?auth=gssapi":              "auth",
		"smtp://user:pa ss@mail.example":               "smtp url",
		"mail.example:25":                              "scheme",
		"smtp://mail.example?insecure_skip_verify=yes": "insecure_skip_verify",
	} {
		_, err := notify.ParseSMTPURL(raw)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("ParseSMTPURL(%q) = %v, want an error about %s", raw, err, wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseSMTPURL(%q) leaks the password: %v", raw, err)
		}
	}
	cfg, _ := notify.ParseSMTPURL("smtp://user:secret@mail.example:587?starttls=required")
	if s := cfg.String(); strings.Contains(s, "secret") || !strings.Contains(s, "user:xxxxx@mail.example:587") {
		t.Errorf("String() = %q", s)
	}
}
