package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	gomail "github.com/wneessen/go-mail"
)

// MessageID returns the Message-ID (without angle brackets) of an email: derived from the
// shop and idempotency key, so a message sent again after a crash is recognisably the same one
// and receivers that deduplicate on Message-ID drop the copy. domain is the right-hand side.
func MessageID(m *epilogue.Message, domain string) string {
	return "epl." + messageHash(m)[:32] + "@" + domain
}

// messageHash is the stable identity of a message, from its idempotency key (or id).
func messageHash(m *epilogue.Message) string {
	key := m.IdempotencyKey
	if key == "" {
		key = m.ID
	}
	sum := sha256.Sum256([]byte(m.ShopID + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// reservedHeaders are written from the message's own fields; Message.Headers may not set them.
var reservedHeaders = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Reply-To": true, "Sender": true,
	"Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true, "Content-Type": true,
	"Content-Transfer-Encoding": true, "List-Unsubscribe": true, "List-Unsubscribe-Post": true,
	"Return-Path": true,
}

// emailer turns messages into MIME emails; it holds what the SMTP sender and the outbox share.
type emailer struct {
	from, fromName string
	mailto         string // List-Unsubscribe mailto address, optional
	domain         string // Message-ID domain; the sender's when empty
	clock          epilogue.Clock
}

// compose checks m and builds its email. Every failure is the message's fault, so permanent.
func (e *emailer) compose(m *epilogue.Message) (*gomail.Msg, error) {
	from := m.From
	if from == "" {
		from = e.from
	}
	if from == "" {
		return nil, invalidEmail("from", "no sender address: set the shop's brand or the server's default sender")
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, invalidEmail("from", "%q is not an email address", from)
	}
	// The shop's name wins over the server's default name, even on the default address.
	fromName := m.FromName
	if fromName == "" {
		fromName = fromAddr.Name
	}
	if fromName == "" && m.From == "" {
		fromName = e.fromName
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, invalidEmail("to", "%q is not an email address", m.To)
	}
	if strings.TrimSpace(m.Subject) == "" {
		return nil, invalidEmail("subject", "is empty")
	}
	if m.HTML == "" && m.Text == "" {
		return nil, invalidEmail("text", "the message has neither an HTML nor a text part")
	}
	for _, f := range []struct{ name, v string }{{"subject", m.Subject}, {"from_name", fromName}, {"reply_to", m.ReplyTo}} {
		if strings.ContainsAny(f.v, "\r\n") {
			return nil, invalidEmail(f.name, "must be one line")
		}
	}
	unsub, err := e.unsubscribe(m)
	if err != nil {
		return nil, err
	}

	hash := messageHash(m)
	domain := e.domain
	if domain == "" {
		domain = fromAddr.Address[strings.LastIndexByte(fromAddr.Address, '@')+1:]
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithBoundary("epl-"+hash[32:64]))
	if err := msg.FromFormat(fromName, fromAddr.Address); err != nil {
		return nil, invalidEmail("from", "%v", err)
	}
	if err := msg.AddToFormat(to.Name, to.Address); err != nil {
		return nil, invalidEmail("to", "%v", err)
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, invalidEmail("reply_to", "%q is not an email address", m.ReplyTo)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(MessageID(m, domain))
	date := m.CreatedAt
	if date.IsZero() {
		date = e.clock.Now()
	}
	msg.SetDateWithValue(date.UTC().Truncate(time.Second))
	// List-Unsubscribe is the only preformatted header: go-mail writes those in map order, and
	// one of them keeps a resent message byte for byte the same.
	msg.SetListUnsubscribe(unsub...)
	msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	// RFC 3834: vacation responders must not answer machine-sent mail.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	for k, v := range m.Headers {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if reservedHeaders[ck] || !validHeaderName(k) {
			return nil, invalidEmail("headers."+k, "cannot be set on a message")
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, invalidEmail("headers."+k, "must be one line")
		}
		msg.SetGenHeader(gomail.Header(ck), v)
	}
	switch {
	case m.HTML != "" && m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}
	return msg, nil
}

// unsubscribe returns the List-Unsubscribe URIs: the one-click URL first (RFC 8058 requires
// https; plain http is let through for a development server on loopback), then the mailto.
func (e *emailer) unsubscribe(m *epilogue.Message) ([]string, error) {
	if m.UnsubscribeURL == "" {
		return nil, invalidEmail("unsubscribe_url", "every email needs a one-click unsubscribe URL")
	}
	u, err := url.Parse(m.UnsubscribeURL)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && Loopback(u.Hostname())) {
		return nil, invalidEmail("unsubscribe_url", "must be an https URL, not %q", m.UnsubscribeURL)
	}
	uris := []string{u.String()}
	if e.mailto != "" {
		q := url.Values{"subject": {"unsubscribe " + messageHash(m)[:16]}}
		uris = append(uris, "mailto:"+e.mailto+"?"+strings.ReplaceAll(q.Encode(), "+", "%20"))
	}
	return uris, nil
}

// Loopback reports whether a URL's host is this machine, where plain http links may do.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

func invalidEmail(field, format string, args ...any) error {
	return &Error{Channel: epilogue.ChannelEmail, Err: epilogue.Invalid(field, format, args...)}
}
