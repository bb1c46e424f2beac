package epilogue

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Offer kinds.
const (
	KindUpsell    = "upsell"
	KindCrossSell = "cross_sell"
	KindPartner   = "partner"
	KindPayment   = "payment"
	KindSurvey    = "survey"
	KindLoyalty   = "loyalty"
	KindContent   = "content"
)

// Kinds lists every offer kind.
var Kinds = []string{KindUpsell, KindCrossSell, KindPartner, KindPayment, KindSurvey, KindLoyalty, KindContent}

// Statuses of offers and placements.
const (
	StatusActive   = "active"
	StatusPaused   = "paused"
	StatusArchived = "archived"
)

// Payout models.
const (
	PayoutCPA  = "cpa"  // paid at conversion
	PayoutCPC  = "cpc"  // paid at engagement
	PayoutNone = "none" // first-party or informational: no payout
)

// Offer is something a placement may show: an upsell, a partner offer, a survey…
type Offer struct {
	ID       string `json:"id"`
	ShopID   string `json:"-"`
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	ImageURL string `json:"image_url"`
	CTA      string `json:"cta"`
	Action   Action `json:"action"`
	Payout   Payout `json:"payout"`
	// Margin is the first-party margin a conversion earns the shop (upsells, cross-sells).
	Margin         Amount            `json:"margin"`
	Budget         Budget            `json:"budget"`
	Targeting      Targeting         `json:"targeting"`
	FrequencyCap   FrequencyCap      `json:"frequency_cap"`
	Schedule       Schedule          `json:"schedule"`
	Priority       int               `json:"priority"`
	ExclusionGroup string            `json:"exclusion_group"`
	Status         string            `json:"status"`
	Advertiser     string            `json:"advertiser"`
	Category       string            `json:"category"`   // the category of what the offer sells
	ProductID      string            `json:"product_id"` // the product it sells, if any
	Metadata       map[string]string `json:"metadata"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// Action is what the call to action does.
type Action struct {
	Type      string   `json:"type"` // link, add_to_order, survey
	URL       string   `json:"url,omitempty"`
	SKU       string   `json:"sku,omitempty"`
	ProductID string   `json:"product_id,omitempty"`
	Price     Amount   `json:"price,omitempty"`
	Question  string   `json:"question,omitempty"`
	Choices   []string `json:"choices,omitempty"`
}

// Payout is what the shop earns when the offer works.
type Payout struct {
	Model    string `json:"model"`
	Amount   Amount `json:"amount"`
	Currency string `json:"currency"`
}

// Budget caps what an offer may spend, in its payout currency; zero means no cap.
type Budget struct {
	Total  Amount `json:"total"`
	Daily  Amount `json:"daily"`
	Pacing string `json:"pacing"` // even: spread the daily budget over the day; asap: spend as it comes
}

// Targeting restricts who sees an offer. Every empty field matches everyone.
type Targeting struct {
	Surfaces           []string            `json:"surfaces"`
	Countries          []string            `json:"countries"`
	Devices            []string            `json:"devices"`
	Locales            []string            `json:"locales"`
	PaymentTypes       []string            `json:"payment_types"`
	MinAmount          Amount              `json:"min_amount"`
	MaxAmount          Amount              `json:"max_amount"`
	CartCategoriesAny  []string            `json:"cart_categories_any"`
	CartCategoriesNone []string            `json:"cart_categories_none"`
	CartSKUsAny        []string            `json:"cart_skus_any"`
	CartSKUsNone       []string            `json:"cart_skus_none"`
	CustomerAttributes map[string][]string `json:"customer_attributes"`
	CustomerType       string              `json:"customer_type"` // any, new, returning
}

// FrequencyCap limits impressions per customer; a zero count means no cap.
type FrequencyCap struct {
	Count  int      `json:"count"`
	Period Duration `json:"period"`
}

// Schedule bounds when an offer runs; a nil end means open-ended.
type Schedule struct {
	Start *time.Time `json:"start"`
	End   *time.Time `json:"end"`
}

// UnmarshalJSON reads RFC 3339 times and names the bound at fault when one is not. It merges,
// as a PATCH does everywhere else: a bound that is not sent stays as it was, and null (or "")
// removes it. Keys are checked here, since the strict decoder cannot see inside a custom
// decoding: a misspelt "strat" would otherwise leave the offer running unscheduled.
func (s *Schedule) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil && string(b) != "null" {
		return FieldError(reflect.TypeFor[Schedule](), "", "must be an object with start and end times")
	}
	for k := range raw {
		if k != "start" && k != "end" {
			return FieldError(reflect.TypeFor[Schedule](), k, "is not a field of a schedule (start, end)")
		}
	}
	parse := func(name string, dst **time.Time) error {
		v, sent := raw[name]
		if !sent {
			return nil
		}
		var str *string
		if err := json.Unmarshal(v, &str); err != nil {
			return FieldError(reflect.TypeFor[Schedule](), name, "must be an RFC 3339 time such as \"2026-01-01T00:00:00Z\"")
		}
		if str == nil || *str == "" {
			*dst = nil
			return nil
		}
		t, err := time.Parse(time.RFC3339, *str)
		if err != nil {
			return FieldError(reflect.TypeFor[Schedule](), name, "must be an RFC 3339 time such as \"2026-01-01T00:00:00Z\"")
		}
		t = t.UTC()
		*dst = &t
		return nil
	}
	if err := parse("start", &s.Start); err != nil {
		return err
	}
	return parse("end", &s.End)
}

// Devices a request may name.
var Devices = []string{"mobile", "desktop", "tablet"}

// Defaults fills every unset optional field; shopCurrency is used when the payout names none.
func (o *Offer) Defaults(shopCurrency string) {
	if o.Status == "" {
		o.Status = StatusActive
	}
	if o.Payout.Currency == "" {
		o.Payout.Currency = shopCurrency
	}
	if o.Budget.Pacing == "" {
		o.Budget.Pacing = "even"
	}
	if o.Targeting.CustomerType == "" {
		o.Targeting.CustomerType = "any"
	}
	if o.CTA == "" {
		o.CTA = defaultCTA[o.Kind]
	}
	if o.Action.Type == "add_to_order" && o.ProductID == "" {
		o.ProductID = o.Action.ProductID
	}
	t := &o.Targeting
	for _, l := range []*[]string{&t.Surfaces, &t.Countries, &t.Devices, &t.Locales, &t.PaymentTypes,
		&t.CartCategoriesAny, &t.CartCategoriesNone, &t.CartSKUsAny, &t.CartSKUsNone} {
		if *l == nil {
			*l = []string{}
		}
	}
	for i, c := range t.Countries {
		t.Countries[i] = strings.ToUpper(strings.TrimSpace(c))
	}
	for _, l := range [][]string{t.Devices, t.PaymentTypes, t.CartCategoriesAny, t.CartCategoriesNone, t.Locales} {
		for i, v := range l {
			l[i] = Fold(v)
		}
	}
	o.Category = Fold(o.Category)
	if t.CustomerAttributes == nil {
		t.CustomerAttributes = map[string][]string{}
	}
	if o.Metadata == nil {
		o.Metadata = map[string]string{}
	}
}

// Fold is the canonical form of a category, device or other free label: trimmed and lower case,
// so "Coffee Machines " and "coffee machines" match.
func Fold(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

var defaultCTA = map[string]string{
	KindUpsell: "Add to order", KindCrossSell: "Add to order", KindPartner: "Claim offer",
	KindPayment: "Choose", KindSurvey: "Answer", KindLoyalty: "Join", KindContent: "Read more",
}

// ValidateFor checks the offer as Validate does, and that its payout is in the shop's currency:
// values, the reserve, budgets and spend add payouts up in it, and Epilogue keeps no exchange
// rates (a 500 JPY payout ranked as 500 dollars in a USD shop).
func (o *Offer) ValidateFor(shopCurrency string) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.Payout.Currency != shopCurrency {
		return Invalid("payout.currency", "must be the shop's currency, %s, not %s: budgets, the reserve and ranking add payouts up in it", shopCurrency, o.Payout.Currency)
	}
	return nil
}

// Validate checks the offer and names the first field at fault.
func (o *Offer) Validate() error {
	if !oneOf(o.Kind, Kinds) {
		return Invalid("kind", "is required: one of %v", Kinds)
	}
	if err := text("title", o.Title, 1, 200); err != nil {
		return err
	}
	if err := text("body", o.Body, 0, 2000); err != nil {
		return err
	}
	if err := text("cta", o.CTA, 0, 60); err != nil {
		return err
	}
	if o.ImageURL != "" && !webURL(o.ImageURL) {
		return Invalid("image_url", "must be an http or https URL")
	}
	if err := o.Action.validate(); err != nil {
		return Prefix("action", err)
	}
	if err := o.Payout.validate(); err != nil {
		return Prefix("payout", err)
	}
	if o.Budget.Total > 0 && o.Budget.Daily > o.Budget.Total {
		return Invalid("budget.daily", "must not exceed budget.total")
	}
	if o.Budget.Pacing != "even" && o.Budget.Pacing != "asap" {
		return Invalid("budget.pacing", "must be even or asap")
	}
	if err := o.Targeting.validate(); err != nil {
		return Prefix("targeting", err)
	}
	if o.FrequencyCap.Count < 0 || o.FrequencyCap.Count > 1000 {
		return Invalid("frequency_cap.count", "must be between 0 and 1000")
	}
	if o.FrequencyCap.Count > 0 && o.FrequencyCap.Period <= 0 {
		return Invalid("frequency_cap.period", "is required with a count, e.g. \"168h\"")
	}
	if o.FrequencyCap.Period > Duration(366*24*time.Hour) {
		return Invalid("frequency_cap.period", "must be at most 366 days")
	}
	if s := o.Schedule; s.Start != nil && s.End != nil && !s.End.After(*s.Start) {
		return Invalid("schedule.end", "must be after schedule.start")
	}
	if o.Priority < -100 || o.Priority > 100 {
		return Invalid("priority", "must be between -100 and 100")
	}
	for f, v := range map[string]string{"exclusion_group": o.ExclusionGroup, "advertiser": o.Advertiser, "category": o.Category, "product_id": o.ProductID} {
		if err := text(f, v, 0, 128); err != nil {
			return err
		}
	}
	if o.Status != StatusActive && o.Status != StatusPaused && o.Status != StatusArchived {
		return Invalid("status", "must be active, paused or archived")
	}
	if len(o.Metadata) > 50 {
		return Invalid("metadata", "at most 50 keys")
	}
	for k, v := range o.Metadata {
		if err := text("metadata."+k, k, 1, 64); err != nil {
			return Invalid("metadata."+k, "keys are 1 to 64 characters without control characters")
		}
		if err := text("metadata."+k, v, 0, 512); err != nil {
			return err
		}
	}
	return nil
}

func (a *Action) validate() error {
	switch a.Type {
	case "link":
		if !webURL(a.URL) {
			return Invalid("url", "is required for a link: an http or https URL")
		}
	case "add_to_order":
		if a.SKU == "" || len(a.SKU) > 128 {
			return Invalid("sku", "is required for add_to_order (at most 128 characters)")
		}
	case "survey":
		if err := text("question", a.Question, 1, 500); err != nil {
			return err
		}
		if len(a.Choices) > 20 {
			return Invalid("choices", "at most 20 choices")
		}
		// Each answer is a button the customer reads.
		for i, c := range a.Choices {
			if err := text("choices["+strconv.Itoa(i)+"]", c, 1, 100); err != nil {
				return err
			}
		}
	default:
		return Invalid("type", "is required: link, add_to_order or survey")
	}
	if a.URL != "" && !webURL(a.URL) {
		return Invalid("url", "must be an http or https URL")
	}
	for f, v := range map[string]string{"sku": a.SKU, "product_id": a.ProductID} {
		if err := text(f, v, 0, 128); err != nil {
			return err
		}
	}
	return nil
}

func (p *Payout) validate() error {
	switch p.Model {
	case PayoutCPA, PayoutCPC:
		if p.Amount <= 0 {
			return Invalid("amount", "must be greater than zero for %s", p.Model)
		}
	case PayoutNone:
	case "":
		return Invalid("model", "is required: cpa, cpc or none")
	default:
		return Invalid("model", "must be cpa, cpc or none, not %q", Clip(p.Model))
	}
	if !ValidCurrency(p.Currency) {
		return Invalid("currency", "unknown ISO 4217 currency %q", p.Currency)
	}
	return nil
}

func (t *Targeting) validate() error {
	for i, s := range t.Surfaces {
		if SurfaceIndex(s) < 0 {
			return Invalid("surfaces["+strconv.Itoa(i)+"]", "unknown surface %q; one of %v", s, Surfaces)
		}
	}
	for i, c := range t.Countries {
		if !validCountry(c) {
			return Invalid("countries["+strconv.Itoa(i)+"]", "must be an ISO 3166-1 alpha-2 code, not %q", c)
		}
	}
	for i, d := range t.Devices {
		if !oneOf(d, Devices) {
			return Invalid("devices["+strconv.Itoa(i)+"]", "unknown device %q; one of %v", d, Devices)
		}
	}
	if t.MaxAmount > 0 && t.MaxAmount < t.MinAmount {
		return Invalid("max_amount", "must not be below min_amount")
	}
	lists := map[string][]string{"locales": t.Locales, "payment_types": t.PaymentTypes, "cart_categories_any": t.CartCategoriesAny,
		"cart_categories_none": t.CartCategoriesNone, "cart_skus_any": t.CartSKUsAny, "cart_skus_none": t.CartSKUsNone}
	for f, l := range lists {
		if len(l) > 500 {
			return Invalid(f, "at most 500 values")
		}
		for i, v := range l {
			if err := text(f+"["+strconv.Itoa(i)+"]", v, 0, 128); err != nil {
				return err
			}
		}
	}
	if len(t.CustomerAttributes) > 20 {
		return Invalid("customer_attributes", "at most 20 attributes")
	}
	for k, vs := range t.CustomerAttributes {
		if k == "" || utf8.RuneCountInString(k) > 64 || len(vs) == 0 || len(vs) > 100 || NoControl("", k, false) != nil {
			return Invalid("customer_attributes."+k, "needs a name of 1 to 64 characters and 1 to 100 values")
		}
		for i, v := range vs {
			if err := text("customer_attributes."+k+"["+strconv.Itoa(i)+"]", v, 0, maxAttributeSize); err != nil {
				return err
			}
		}
	}
	if t.CustomerType != "any" && t.CustomerType != "new" && t.CustomerType != "returning" {
		return Invalid("customer_type", "must be any, new or returning")
	}
	return nil
}

func validCountry(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'
}

// text checks a string shown to customers: a required one must hold more than spaces, and
// none may hold control characters other than tab and line breaks (a NUL or an escape
// sequence has no place on a page or in an email, and some stores refuse or cut at NUL).
func text(field, s string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(s)
	if n < minLen || (minLen > 0 && strings.TrimSpace(s) == "") {
		return Invalid(field, "is required")
	}
	if err := NoControl(field, s, true); err != nil {
		return err
	}
	if n > maxLen {
		return Invalid(field, "must be at most %d characters", maxLen)
	}
	if !utf8.ValidString(s) {
		return Invalid(field, "must be valid UTF-8")
	}
	return nil
}

// NoControl refuses control characters in s, naming field, the character and where it is; with
// multiline, tab and line breaks are allowed (a body, not a name or a header). The explicit
// bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) count as
// control characters: they reorder the text shown after them, so a sender name or a title
// with one can read as something else ("Trojan Source"), and right-to-left text needs none of
// them (the marks U+200E and U+200F stay allowed).
func NoControl(field, s string, multiline bool) error {
	i := strings.IndexFunc(s, func(r rune) bool {
		return (unicode.IsControl(r) && !(multiline && (r == '\t' || r == '\n' || r == '\r'))) || bidiControl(r)
	})
	if i < 0 {
		return nil
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return Invalid(field, "must not contain control characters (found %U at byte %d)", r, i)
}

// StripControl returns s without the characters NoControl refuses in a single line (line
// breaks and tabs become spaces), for text from platforms that cannot be sent back.
func StripControl(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || bidiControl(r) }) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r) || bidiControl(r):
			return -1
		}
		return r
	}, s)
}

func bidiControl(r rune) bool { return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) }

func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= 2048
}
