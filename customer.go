package epilogue

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// Customer is a shop's customer as Epilogue knows it.
type Customer struct {
	ID          string            `json:"id"`
	ShopID      string            `json:"-"`
	Email       string            `json:"email,omitempty"`
	EmailSHA256 string            `json:"email_sha256,omitempty"`
	Phone       string            `json:"phone,omitempty"`
	FirstName   string            `json:"first_name,omitempty"`
	LastName    string            `json:"last_name,omitempty"`
	Locale      string            `json:"locale,omitempty"`
	Timezone    string            `json:"timezone,omitempty"`
	Attributes  map[string]string `json:"attributes"`
	Consent     Consent           `json:"consent"`
	ErasedAt    *time.Time        `json:"erased_at,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// Consent holds what a customer agreed to. Nil means unknown: transactional messages and
// first-party offers go ahead, marketing waits for a yes where the channel requires one.
type Consent struct {
	Email     *bool `json:"email,omitempty"`     // marketing email
	SMS       *bool `json:"sms,omitempty"`       // marketing and order texts
	Marketing *bool `json:"marketing,omitempty"` // personalised offers on pages
	Partners  *bool `json:"partners,omitempty"`  // third-party partner offers
}

// Key returns the customer's internal key, as CustomerRef.Key does.
func (c *Customer) Key() string {
	r := CustomerRef{ID: c.ID, EmailSHA256: c.EmailSHA256}
	return r.Key()
}

// ValidEmail reports whether s can be an email address: at most 320 bytes with an @ and no
// whitespace or control characters (a line break would add headers to a message sent to it)
// and, when strict (what the API accepts), one bare RFC 5322 address, without a display name,
// angle brackets, comment or second address ("Ana <ana@example.com>" names an address, it is
// not one). The webhook adapters use the loose rule to drop a contact that an order from a
// platform would otherwise be refused for.
func ValidEmail(s string, strict bool) bool {
	if len(s) > 320 || !strings.Contains(s, "@") || strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}) >= 0 {
		return false
	}
	if !strict {
		return true
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}
