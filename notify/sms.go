package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/epiloguehq/epilogue"
)

// DefaultSMSBaseURL is Twilio's API.
const DefaultSMSBaseURL = "https://api.twilio.com"

// SMSConfig says how to reach a Twilio-compatible SMS provider.
type SMSConfig struct {
	BaseURL    string // DefaultSMSBaseURL when empty; a test server in tests
	AccountSID string
	AuthToken  string
	// From is the sending number (E.164) or a messaging service SID ("MG…"), used when the
	// message names none.
	From string
}

// SMS sends texts through the provider's Messages API: a form POST of To, From and Body with
// basic auth to {base}/2010-04-01/Accounts/{sid}/Messages.json.
type SMS struct {
	cfg      SMSConfig
	endpoint string
	client   *http.Client
}

// maxSMSBody is the provider's limit on a message body, in characters.
const maxSMSBody = 1600

// NewSMS returns an SMS sender. client may be nil for one with a 15 s timeout.
func NewSMS(cfg SMSConfig, client *http.Client) (*SMS, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultSMSBaseURL
	}
	if !httpURL(cfg.BaseURL) {
		return nil, fmt.Errorf("sms: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.AccountSID == "" || cfg.AuthToken == "" {
		return nil, errors.New("sms: account SID and auth token are required")
	}
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	endpoint := strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json"
	return &SMS{cfg: cfg, endpoint: endpoint, client: client}, nil
}

// Send posts m.Text to m.To.
func (s *SMS) Send(ctx context.Context, m *epilogue.Message) error {
	if !ValidPhone(m.To) {
		return &Error{Channel: epilogue.ChannelSMS, Err: epilogue.Invalid("to", "must be an E.164 phone number such as +14155550100, not %q", m.To)}
	}
	body := strings.TrimSpace(m.Text)
	if body == "" {
		return &Error{Channel: epilogue.ChannelSMS, Err: epilogue.Invalid("text", "is empty")}
	}
	if n := utf8.RuneCountInString(body); n > maxSMSBody {
		return &Error{Channel: epilogue.ChannelSMS, Err: epilogue.Invalid("text", "is %d characters, more than %d", n, maxSMSBody)}
	}
	from := m.From
	if from == "" {
		from = s.cfg.From
	}
	form := url.Values{"To": {m.To}, "Body": {body}}
	switch {
	case strings.HasPrefix(from, "MG"):
		form.Set("MessagingServiceSid", from)
	case from != "":
		form.Set("From", from)
	default:
		return &Error{Channel: epilogue.ChannelSMS, Err: epilogue.Invalid("from", "no sending number configured")}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return &Error{Channel: epilogue.ChannelSMS, Err: err}
	}
	req.SetBasicAuth(s.cfg.AccountSID, s.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return &Error{Channel: epilogue.ChannelSMS, Temp: true, Err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	var perr struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(b, &perr)
	e := httpError(epilogue.ChannelSMS, resp, perr.Message)
	if perr.Code != 0 {
		e.Detail = strconv.Itoa(perr.Code)
	}
	// The provider's codes for a number that can never receive our texts: invalid (21211),
	// not a mobile (21614), unreachable (21612) or having replied STOP (21610).
	switch perr.Code {
	case 21211, 21610, 21612, 21614:
		e.Temp, e.Bounce = false, true
	}
	return e
}

// ValidPhone reports whether s is an E.164 number: "+", a non-zero digit, 7 to 15 digits in all.
func ValidPhone(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	return digitsOnly(s[1:])
}

// httpError classifies an HTTP answer that is not a success: 408, 425, 429 and 5xx may pass
// later, as may 401 and 403 (our credentials, an outage to fix rather than a verdict on the
// message); other 4xx will not.
func httpError(channel string, resp *http.Response, detail string) *Error {
	c := resp.StatusCode
	msg := resp.Status
	if detail != "" {
		msg += ": " + detail
	}
	e := &Error{Channel: channel, Code: c, Err: errors.New(msg)}
	switch {
	case c == http.StatusRequestTimeout, c == http.StatusTooEarly, c == http.StatusTooManyRequests, c >= 500,
		c == http.StatusUnauthorized, c == http.StatusForbidden:
		e.Temp = true
	}
	if e.Temp {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
