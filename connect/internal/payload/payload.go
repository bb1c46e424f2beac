// Package payload holds what the webhook adapters share: signature checks, lenient value types
// for platforms' JSON (ids as numbers or strings, money as strings or numbers), and decoding
// whose every error is an *epilogue.Error naming the field at fault.
package payload

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/jsondecode"
)

// MaxBody is the largest webhook body parsed. Shopify orders with hundreds of lines reach a
// few hundred kilobytes; nothing legitimate comes near this.
const MaxBody = 4 << 20

// Sign returns the HMAC-SHA256 of body under secret.
func Sign(body []byte, secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// Verify reports whether mac is the HMAC-SHA256 of body under secret, in constant time.
func Verify(body, mac []byte, secret string) bool {
	return len(mac) == sha256.Size && hmac.Equal(Sign(body, secret), mac)
}

// Unauthorized is the error of a missing or wrong signature.
func Unauthorized(format string, args ...any) error {
	return epilogue.Errorf(epilogue.EUnauthorized, format, args...)
}

// ID is an identifier sent as a JSON number (Shopify's numeric ids) or a string.
type ID string

// UnmarshalJSON accepts an integer, a string or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(strings.TrimSpace(s))
	case len(b) > 0 && len(b) <= 40 && isInteger(string(b)):
		*id = ID(b)
	default:
		return epilogue.FieldError(reflect.TypeFor[ID](), "", "must be an integer or string id")
	}
	return nil
}

func isInteger(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Decimal is money sent as a decimal string ("409.94") or, in some older payloads, a number.
type Decimal struct {
	Amount epilogue.Amount
	Set    bool
}

// UnmarshalJSON accepts a non-negative decimal string or number, or null.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = Decimal{}
		return nil
	}
	s := string(b)
	if len(b) >= 2 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return epilogue.FieldError(reflect.TypeFor[Decimal](), "", "must be a decimal amount such as \"12.50\"")
	}
	a, err := epilogue.ParseAmount(strings.TrimSpace(s))
	if err != nil {
		return epilogue.FieldError(reflect.TypeFor[Decimal](), "", err.(*epilogue.Error).Message)
	}
	*d = Decimal{Amount: a, Set: true}
	return nil
}

// Time is a time sent as an RFC 3339 string (with any offset), or null.
type Time struct{ time.Time }

// UnmarshalJSON accepts an RFC 3339 string, "" or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if len(b) == 0 || b[0] != '"' || json.Unmarshal(b, &s) != nil {
		return epilogue.FieldError(reflect.TypeFor[Time](), "", "must be an RFC 3339 time string")
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return epilogue.FieldError(reflect.TypeFor[Time](), "", "must be an RFC 3339 time such as \"2025-03-14T15:09:26Z\", not "+strconv.Quote(s))
	}
	t.Time = v.UTC()
	return nil
}

// First returns the first set time, or the zero time.
func First(ts ...Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t.Time
		}
	}
	return time.Time{}
}

// Check refuses bodies that are empty or too large before any parsing.
func Check(body []byte) error {
	if len(body) > MaxBody {
		return epilogue.Errorf(epilogue.ETooLarge, "webhook body exceeds %d bytes", MaxBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return epilogue.Errorf(epilogue.EInvalid, "webhook body is empty")
	}
	return nil
}

// Unwrap returns the object under the wrapper key when body is {"<key>": {…}} with one of keys
// (the REST form of a resource) and body itself otherwise (the webhook form).
func Unwrap(body []byte, keys ...string) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return body
	}
	k, err := dec.Token()
	name, ok := k.(string)
	if err != nil || !ok {
		return body
	}
	found := false
	for _, key := range keys {
		found = found || key == name
	}
	if !found {
		return body
	}
	var inner json.RawMessage
	if err := dec.Decode(&inner); err != nil || len(inner) == 0 || inner[0] != '{' {
		return body
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return body // more keys: the wrapper name was a field of the object itself
	}
	return inner
}

// Decode unmarshals one JSON object into v; every failure is an invalid_request naming the field
// at fault ("line_items[1].price").
func Decode(body []byte, v any) error {
	return jsondecode.Decode(body, v, jsondecode.Options{What: "webhook body"})
}

// Clip returns s cut to at most n bytes on a character boundary: webhooks are accepted with
// overlong text rather than refused and retried forever.
func Clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// Join joins the non-empty parts with ", " (a location from city, region and country).
func Join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

// Email returns e when it passes the rule orders from platforms are validated by
// (epilogue.ValidEmail, loose), "" otherwise: a webhook with a malformed contact is still an order,
// where keeping the contact would have it refused.
func Email(e string) string {
	e = strings.TrimSpace(e)
	if !epilogue.ValidEmail(e, false) {
		return ""
	}
	return e
}

// Phone returns p cut to n bytes, or "" when it holds a control character (a line break), which
// an order's customer is refused for: a webhook with a malformed phone is still an order.
func Phone(p string, n int) string {
	p = Clip(p, n)
	if epilogue.NoControl("phone", p, false) != nil {
		return ""
	}
	return p
}
