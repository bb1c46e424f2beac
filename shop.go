package epilogue

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Shop is a tenant: one merchant. Everything else belongs to exactly one shop.
type Shop struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Secret    string    `json:"-"` // signs offer tokens and review links; never leaves the server
	Settings  Settings  `json:"settings"`
	CreatedAt time.Time `json:"created_at"`
}

// Settings are a shop's tunables, read and changed through /v1/settings.
type Settings struct {
	// HoldoutShare is the stable share of customers who get no offers (0 to 0.5).
	HoldoutShare float64 `json:"holdout_share"`
	// DismissalPeriod is how long a dismissed offer stays hidden from that customer.
	DismissalPeriod Duration `json:"dismissal_period"`
	// AllowedOrigins restricts browsers using a publishable key; empty means any origin.
	AllowedOrigins []string `json:"allowed_origins"`
	// Currency is the shop's own currency, used for budgets and reports.
	Currency string `json:"currency"`
	// Timezone is the shop's IANA zone: daily budgets reset at its midnight.
	Timezone string `json:"timezone"`

	ShopifyWebhookSecret  string `json:"shopify_webhook_secret,omitempty"`
	EasypostWebhookSecret string `json:"easypost_webhook_secret,omitempty"`

	// StallFulfillmentHours is how long a paid order may wait for a shipment before it is
	// reported as stalled_fulfillment.
	StallFulfillmentHours int `json:"stall_fulfillment_hours"`
	// StallTransitHours is how long a shipment on its way may go without a carrier scan before
	// it is reported as stalled_transit.
	StallTransitHours int `json:"stall_transit_hours"`
}

// Stall thresholds of a new shop, in hours.
const (
	DefaultStallFulfillmentHours = 48
	DefaultStallTransitHours     = 72
)

// DefaultSettings are the settings of a new shop.
func DefaultSettings() Settings {
	return Settings{
		HoldoutShare:    0.05,
		DismissalPeriod: Duration(30 * 24 * time.Hour),
		AllowedOrigins:  []string{},
		Currency:        "USD",
		Timezone:        "UTC",

		StallFulfillmentHours: DefaultStallFulfillmentHours,
		StallTransitHours:     DefaultStallTransitHours,
	}
}

// Validate checks every setting and names the first one at fault.
func (s *Settings) Validate() error {
	if s.HoldoutShare < 0 || s.HoldoutShare > 0.5 || s.HoldoutShare != s.HoldoutShare {
		return Invalid("holdout_share", "must be between 0 and 0.5")
	}
	if s.DismissalPeriod < 0 || time.Duration(s.DismissalPeriod) > 3650*24*time.Hour {
		return Invalid("dismissal_period", "must be between 0 and 3650 days")
	}
	if len(s.AllowedOrigins) > 100 {
		return Invalid("allowed_origins", "at most 100 origins")
	}
	for i, o := range s.AllowedOrigins {
		n, ok := NormalizeOrigin(o)
		if !ok {
			return Invalid("allowed_origins["+strconv.Itoa(i)+"]", "must be an origin such as \"https://shop.example\", not %q", o)
		}
		s.AllowedOrigins[i] = n
	}
	if !ValidCurrency(s.Currency) {
		return Invalid("currency", "unknown ISO 4217 currency %q", s.Currency)
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil || s.Timezone == "" || s.Timezone == "Local" {
		return Invalid("timezone", "unknown IANA time zone %q", s.Timezone)
	}
	if len(s.ShopifyWebhookSecret) > 256 {
		return Invalid("shopify_webhook_secret", "webhook secrets are at most 256 characters")
	}
	if len(s.EasypostWebhookSecret) > 256 {
		return Invalid("easypost_webhook_secret", "webhook secrets are at most 256 characters")
	}
	if s.StallFulfillmentHours < 1 || s.StallFulfillmentHours > 8760 {
		return Invalid("stall_fulfillment_hours", "must be between 1 and 8760 hours")
	}
	if s.StallTransitHours < 1 || s.StallTransitHours > 8760 {
		return Invalid("stall_transit_hours", "must be between 1 and 8760 hours")
	}
	return nil
}

// Location returns the shop's time zone (UTC when unset or unknown).
func (s *Settings) Location() *time.Location {
	if loc, err := time.LoadLocation(s.Timezone); err == nil && s.Timezone != "" {
		return loc
	}
	return time.UTC
}

// NormalizeOrigin returns the canonical form of a browser origin (scheme://host[:port], lower
// case, no path, no default port: a browser never sends ":443" for https) and whether it is
// one. A host must be ASCII, as browsers send it: an internationalized name is written in its
// punycode form ("xn--bcher-kva.example"), or it could never match.
func NormalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", false
	}
	for _, c := range u.Host {
		if c >= utf8.RuneSelf {
			return "", false
		}
	}
	if !originHost(u) {
		return "", false
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if p := u.Port(); (scheme == "https" && p == "443") || (scheme == "http" && p == "80") {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return scheme + "://" + host, true
}

// originHost reports whether an origin's host is one a browser can send: a DNS name or an IP
// address, and a port from 1 to 65535 written without leading zeros. "shop.example:0443",
// "shop.example:", ":99999" or "*." were accepted and could never match.
func originHost(u *url.URL) bool {
	if strings.HasSuffix(u.Host, ":") {
		return false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || p[0] == '0' {
			return false
		}
	}
	h := u.Hostname()
	if strings.Contains(h, ":") {
		return net.ParseIP(h) != nil
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i] | 0x20
			if !(c >= 'a' && c <= 'z' || label[i] >= '0' && label[i] <= '9' || label[i] == '-') {
				return false
			}
		}
	}
	return true
}

// OriginAllowed reports whether a browser origin may use the shop's publishable keys.
func (s *Settings) OriginAllowed(origin string) bool {
	if len(s.AllowedOrigins) == 0 {
		return true
	}
	o, ok := NormalizeOrigin(origin)
	if !ok {
		return false
	}
	for _, a := range s.AllowedOrigins {
		if a == o {
			return true
		}
	}
	return false
}

// Key kinds.
const (
	KeyPublishable = "publishable"
	KeySecret      = "secret"
)

// Key is an API key. Only its SHA-256 is stored; the key itself is shown once, at creation.
type Key struct {
	ID        string     `json:"id"`
	ShopID    string     `json:"shop_id"`
	Kind      string     `json:"kind"`
	Hash      string     `json:"-"`
	Hint      string     `json:"hint"` // the first characters, so a person can tell keys apart
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// NewKey makes a key of the given kind for a shop and returns it with the plain key.
func NewKey(shopID, kind string, now time.Time) (Key, string) {
	prefix := "pk_"
	if kind == KeySecret {
		prefix = "sk_"
	}
	plain := prefix + RandomString(32)
	return Key{
		ID:        NewID(PrefixKey),
		ShopID:    shopID,
		Kind:      kind,
		Hash:      HashKey(plain),
		Hint:      plain[:7],
		CreatedAt: now,
	}, plain
}

// HashKey returns the stored form of a plain key.
func HashKey(plain string) string { return SHA256Hex(plain) }

// ValidateShopName checks a shop's name. Until the shop sets a brand, its name is the brand and
// sender name of its emails, so it follows the brand's rule: one line of at most 100
// characters. A line break there would be refused by the mail path, and every email of the
// shop with it.
func ValidateShopName(name string) error {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Invalid("name", "is required")
	case utf8.RuneCountInString(name) > 100:
		return Invalid("name", "is too long: at most 100 characters, not %d", utf8.RuneCountInString(name))
	}
	if NoControl("name", name, false) != nil {
		return Invalid("name", "must be one line without control characters")
	}
	return nil
}
