package notify

import (
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/epiloguehq/epilogue"
)

// Brand is how a shop's messages look and whom they come from.
type Brand struct {
	Name          string `json:"name"`
	LogoURL       string `json:"logo_url,omitempty"`
	PrimaryColor  string `json:"primary_color,omitempty"` // #rrggbb: buttons and the header rule
	AccentColor   string `json:"accent_color,omitempty"`  // #rrggbb: links and highlights
	SenderAddress string `json:"sender_address,omitempty"`
	SenderName    string `json:"sender_name,omitempty"`
	ReplyTo       string `json:"reply_to,omitempty"`
	// PostalAddress is the sender's physical address, which anti-spam laws (CAN-SPAM) require
	// in marketing email; it goes in the footer.
	PostalAddress string `json:"postal_address,omitempty"`
	WebsiteURL    string `json:"website_url,omitempty"`
}

// Colours of a brand that chose none: dark text on light, a neutral button.
const (
	DefaultPrimaryColor = "#1f2937"
	DefaultAccentColor  = "#2563eb"
)

// DefaultBrand is the brand of a shop that set none: its name, sent from the server's default
// sender address.
func DefaultBrand(shopName, senderAddress string) Brand {
	return Brand{}.WithDefaults(shopName, senderAddress)
}

// WithDefaults fills what the shop left empty: the shop's name, the default colours and the
// server's default sender address.
func (b Brand) WithDefaults(shopName, senderAddress string) Brand {
	if strings.TrimSpace(b.Name) == "" {
		b.Name = shopName
	}
	if b.PrimaryColor == "" {
		b.PrimaryColor = DefaultPrimaryColor
	}
	if b.AccentColor == "" {
		b.AccentColor = DefaultAccentColor
	}
	if b.SenderAddress == "" {
		b.SenderAddress = senderAddress
	}
	if b.SenderName == "" {
		b.SenderName = b.Name
	}
	return b
}

// Apply sets a message's sender and reply-to from the brand, where the message has none.
func (b Brand) Apply(m *epilogue.Message) {
	if m.From == "" {
		m.From = b.SenderAddress
	}
	if m.FromName == "" {
		m.FromName = b.SenderName
		if m.FromName == "" {
			m.FromName = b.Name
		}
	}
	if m.ReplyTo == "" {
		m.ReplyTo = b.ReplyTo
	}
}

// Validate checks the brand and names the first field at fault.
func (b *Brand) Validate() error {
	b.Name = strings.TrimSpace(b.Name)
	if b.Name == "" || len(b.Name) > 100 || strings.ContainsAny(b.Name, "\r\n") {
		return epilogue.Invalid("name", "is required, one line of at most 100 characters")
	}
	// The brand's words are printed on every page and in every email (and the names in From).
	for _, f := range []struct {
		field, v  string
		multiline bool
	}{{"name", b.Name, false}, {"sender_name", b.SenderName, false}, {"postal_address", b.PostalAddress, true}} {
		if err := epilogue.NoControl(f.field, f.v, f.multiline); err != nil {
			return err
		}
	}
	if b.LogoURL != "" && !httpURL(b.LogoURL) {
		return epilogue.Invalid("logo_url", "must be an http or https URL")
	}
	if b.WebsiteURL != "" && !httpURL(b.WebsiteURL) {
		return epilogue.Invalid("website_url", "must be an http or https URL")
	}
	for _, c := range []struct{ field, v string }{{"primary_color", b.PrimaryColor}, {"accent_color", b.AccentColor}} {
		if c.v != "" && !ValidColor(c.v) {
			return epilogue.Invalid(c.field, "must be a colour such as #1a73e8, not %q", c.v)
		}
	}
	b.PrimaryColor, b.AccentColor = strings.ToLower(b.PrimaryColor), strings.ToLower(b.AccentColor)
	for _, a := range []struct{ field, v string }{{"sender_address", b.SenderAddress}, {"reply_to", b.ReplyTo}} {
		if a.v == "" {
			continue
		}
		if addr, err := mail.ParseAddress(a.v); err != nil || addr.Address != a.v {
			return epilogue.Invalid(a.field, "must be a bare email address such as orders@shop.example, not %q", a.v)
		}
	}
	if len(b.SenderName) > 100 || strings.ContainsAny(b.SenderName, "\r\n") {
		return epilogue.Invalid("sender_name", "must be one line of at most 100 characters")
	}
	if len(b.PostalAddress) > 300 {
		return epilogue.Invalid("postal_address", "at most 300 characters")
	}
	return nil
}

// ValidColor reports whether s is a #rrggbb colour.
func ValidColor(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	_, err := strconv.ParseUint(s[1:], 16, 32)
	return err == nil
}

// textOn returns the colour of text drawn on background c: white on dark colours, near-black
// on light ones, so a shop with a yellow brand still gets readable buttons.
func textOn(c string) string {
	if !ValidColor(c) {
		return "#ffffff"
	}
	v, _ := strconv.ParseUint(c[1:], 16, 32)
	r, g, b := float64(v>>16&0xff), float64(v>>8&0xff), float64(v&0xff)
	// Perceived brightness (ITU-R BT.601 weights); above the middle, dark text reads better.
	if 0.299*r+0.587*g+0.114*b > 160 {
		return "#111111"
	}
	return "#ffffff"
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
