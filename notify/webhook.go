package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Webhook headers.
const (
	SignatureHeader = "Epilogue-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">
	EventIDHeader   = "Epilogue-Event-Id"
)

// SecretFunc returns the secret that signs a shop's webhooks.
type SecretFunc func(ctx context.Context, shopID string) ([]byte, error)

// StaticSecret returns a SecretFunc with one secret for every shop.
func StaticSecret(secret []byte) SecretFunc {
	return func(context.Context, string) ([]byte, error) { return secret, nil }
}

// Webhook posts messages to the URL in their To field as signed JSON events:
//
//	{"event_id":"msg_…","type":<Subject>,"created_at":<CreatedAt>,"data":<Text, a JSON value>}
//
// The body is the same on every attempt (event_id lets the receiver drop repeats); the
// signature is fresh, so the receiver can refuse replays of old requests.
type Webhook struct {
	secret SecretFunc
	client *http.Client
	clock  epilogue.Clock
}

// NewWebhook returns a webhook sender. A nil client gets one with a 10 s timeout that does not
// follow redirects and refuses to connect to loopback, private and link-local addresses, so a
// shop's webhook URL cannot reach into the server's own network.
func NewWebhook(secret SecretFunc, client *http.Client, clock epilogue.Clock) *Webhook {
	if client == nil {
		d := &net.Dialer{Timeout: 5 * time.Second, Control: publicOnly}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = d.DialContext
		tr.Proxy = nil
		client = &http.Client{
			Timeout:   10 * time.Second,
			Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return &Webhook{secret: secret, client: client, clock: clock}
}

// webhookEvent is the body of a webhook.
type webhookEvent struct {
	EventID   string          `json:"event_id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Send posts m to m.To.
func (w *Webhook) Send(ctx context.Context, m *epilogue.Message) error {
	u, err := url.Parse(m.To)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return &Error{Channel: epilogue.ChannelWebhook, Err: epilogue.Invalid("to", "must be an http or https URL, not %q", m.To)}
	}
	data := json.RawMessage(strings.TrimSpace(m.Text))
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	if !json.Valid(data) {
		return &Error{Channel: epilogue.ChannelWebhook, Err: epilogue.Invalid("text", "a webhook's text must be JSON")}
	}
	ev := webhookEvent{EventID: eventID(m), Type: m.Subject, CreatedAt: m.CreatedAt.UTC(), Data: data}
	if ev.Type == "" {
		ev.Type = "message"
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = w.clock.Now().UTC()
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return &Error{Channel: epilogue.ChannelWebhook, Err: err}
	}
	secret, err := w.secret(ctx, m.ShopID)
	if err != nil {
		return &Error{Channel: epilogue.ChannelWebhook, Temp: true, Err: fmt.Errorf("webhook secret: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(string(body)))
	if err != nil {
		return &Error{Channel: epilogue.ChannelWebhook, Err: err}
	}
	for k, v := range m.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Epilogue-Webhook/1")
	req.Header.Set(EventIDHeader, ev.EventID)
	req.Header.Set(SignatureHeader, Sign(secret, w.clock.Now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		if errors.Is(err, errPrivateAddress) {
			return &Error{Channel: epilogue.ChannelWebhook, Err: err}
		}
		return &Error{Channel: epilogue.ChannelWebhook, Temp: true, Err: err}
	}
	defer resp.Body.Close()
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch c := resp.StatusCode; {
	case c/100 == 2:
		return nil
	case c/100 == 3:
		return &Error{Channel: epilogue.ChannelWebhook, Code: c, Err: fmt.Errorf("%s: webhooks do not follow redirects; update the URL", resp.Status)}
	case c == http.StatusGone:
		// The receiver says the endpoint is gone for good: stop sending to it.
		return &Error{Channel: epilogue.ChannelWebhook, Code: c, Bounce: true, Err: errors.New(resp.Status)}
	}
	return httpError(epilogue.ChannelWebhook, resp, "")
}

// eventID is the message's id, or one derived from its idempotency key.
func eventID(m *epilogue.Message) string {
	if m.ID != "" {
		return m.ID
	}
	return "evt_" + messageHash(m)[:24]
}

// Sign returns the signature header of a webhook body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signature(secret, ts, body))
}

func signature(secret []byte, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifySignature checks a webhook's signature header against its raw body, as a receiver
// does: the HMAC must match and the timestamp be within tolerance of now, so a captured
// request cannot be replayed later. Several v1 values are accepted, for secret rotation.
func VerifySignature(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("webhook signature: malformed header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook signature: timestamp outside tolerance")
	}
	want := signature(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return errors.New("webhook signature: no match")
}

var errPrivateAddress = errors.New("webhook: refusing to connect to a loopback, private or link-local address")

// publicOnly is a dialer Control that refuses non-public addresses. It runs after name
// resolution, so a public name that resolves to a private address is caught too.
func publicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return errPrivateAddress
	}
	if v4 := ip.To4(); v4 != nil && (v4[0] == 0 || v4[0] == 100 && v4[1]&0xc0 == 64) {
		return errPrivateAddress // "this network" and carrier-grade NAT space
	}
	return nil
}
