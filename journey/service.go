package journey

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

// Service is the journeys' side of the API and of the command line: journeys, messaging
// settings, brand, templates, loyalty, suppressions, order timelines and the pages behind the
// links in messages. Every method names the shop it acts for.
type Service struct {
	c Config
	// writing holds one *sync.Mutex per shop: a change reads the stored journey, settings or
	// brand, applies the patch and writes the whole back, so two changes at once would each
	// overwrite the other's (a lost update, with both answered 200). This serializes them
	// within a process; across replicas the store writes a journey only over the version the
	// patch was applied to, and applies it again to what another replica stored.
	writing sync.Map
}

// lock serializes the read-modify-write changes of one shop's configuration.
func (s *Service) lock(shopID string) func() {
	m, _ := s.writing.LoadOrStore(shopID, new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// NewService returns a service over the configuration's store.
func NewService(c Config) *Service {
	c.defaults()
	return &Service{c: c}
}

// templateChecker reports which template ids exist for a shop.
func (s *Service) templateChecker(ctx context.Context, shopID string) (func(string) bool, error) {
	ts, err := s.c.Store.Templates(ctx, shopID)
	if err != nil {
		return nil, err
	}
	return func(id string) bool { return templateExists(ts, id) }, nil
}

// installed makes sure a shop has its default journeys and settings before it reads or
// changes them.
func (s *Service) installed(ctx context.Context, shopID string) (*shopConfig, error) {
	return s.c.Shops.get(ctx, shopID, s.c.From)
}

// CreateJourney validates and stores a new journey; its id is made when it has none.
func (s *Service) CreateJourney(ctx context.Context, shopID string, j *Journey) error {
	if _, err := s.installed(ctx, shopID); err != nil {
		return err
	}
	if j.ID == "" {
		j.ID = epilogue.NewID(epilogue.PrefixJourney)
	}
	if err := s.prepare(ctx, shopID, j); err != nil {
		return err
	}
	now := s.c.Clock.Now().UTC()
	j.Version, j.CreatedAt, j.UpdatedAt = 1, now, now
	if err := s.c.Store.CreateJourney(ctx, j); err != nil {
		return err
	}
	s.c.Shops.Forget(shopID)
	return nil
}

// prepare fills a journey's defaults and checks it.
func (s *Service) prepare(ctx context.Context, shopID string, j *Journey) error {
	if !strings.HasPrefix(j.ID, epilogue.PrefixJourney) || !epilogue.ValidExternalID(j.ID) || len(j.ID) > 64 {
		return epilogue.Invalid("id", "must start with %q: 1 to 64 characters without spaces", epilogue.PrefixJourney)
	}
	j.ShopID = shopID
	j.Defaults()
	exists, err := s.templateChecker(ctx, shopID)
	if err != nil {
		return err
	}
	return Validate(j, exists)
}

// UpdateJourney applies a change to a stored journey (patch decodes the request onto it),
// checks the result and stores it as a new version. Enrollments under way go on with the new
// steps; one whose step was removed ends.
func (s *Service) UpdateJourney(ctx context.Context, shopID, id string, patch func(j *Journey) error) (*Journey, error) {
	defer s.lock(shopID)()
	if _, err := s.installed(ctx, shopID); err != nil {
		return nil, err
	}
	j, err := s.c.Store.UpdateJourney(ctx, shopID, id, func(j *Journey) error {
		if err := patch(j); err != nil {
			return err
		}
		if j.ID != id {
			return epilogue.Invalid("id", "cannot be changed")
		}
		if err := s.prepare(ctx, shopID, j); err != nil {
			return err
		}
		j.UpdatedAt = s.c.Clock.Now().UTC()
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.c.Shops.Forget(shopID)
	return j, nil
}

// CheckJourney fills a journey's defaults and checks it as saving it would, without saving.
func (s *Service) CheckJourney(ctx context.Context, shopID string, j *Journey) error {
	return s.prepare(ctx, shopID, j)
}

// SaveJourney creates a journey or replaces the stored one with the same id: what loading
// journeys from files does, so loading a directory twice changes nothing the second time.
func (s *Service) SaveJourney(ctx context.Context, shopID string, j *Journey) (created bool, err error) {
	if _, err := s.installed(ctx, shopID); err != nil {
		return false, err
	}
	_, err = s.c.Store.Journey(ctx, shopID, j.ID)
	switch {
	case epilogue.ErrorCode(err) == epilogue.ENotFound:
		return true, s.CreateJourney(ctx, shopID, j)
	case err != nil:
		return false, err
	}
	_, err = s.UpdateJourney(ctx, shopID, j.ID, func(cur *Journey) error {
		*cur = *j // the store keeps the creation time and numbers the version
		return nil
	})
	return false, err
}

// Journey returns one of the shop's journeys.
func (s *Service) Journey(ctx context.Context, shopID, id string) (*Journey, error) {
	if _, err := s.installed(ctx, shopID); err != nil {
		return nil, err
	}
	return s.c.Store.Journey(ctx, shopID, id)
}

// Journeys lists the shop's journeys, oldest first.
func (s *Service) Journeys(ctx context.Context, shopID string, f epilogue.ListFilter) ([]*Journey, string, error) {
	if _, err := s.installed(ctx, shopID); err != nil {
		return nil, "", err
	}
	return s.c.Store.Journeys(ctx, shopID, f)
}

// SettingsView is the messaging settings as the API shows them, with the key that signs the
// shop's outbound webhooks.
type SettingsView struct {
	Settings
	WebhookSecret string `json:"webhook_signing_secret"`
}

// Settings returns the shop's messaging settings.
func (s *Service) Settings(ctx context.Context, shopID string) (SettingsView, error) {
	cfg, err := s.installed(ctx, shopID)
	if err != nil {
		return SettingsView{}, err
	}
	return SettingsView{Settings: cfg.settings, WebhookSecret: string(WebhookSecret(cfg.shop.Secret))}, nil
}

// UpdateSettings applies a change to the shop's messaging settings and stores them.
func (s *Service) UpdateSettings(ctx context.Context, shopID string, patch func(*Settings) error) (SettingsView, error) {
	defer s.lock(shopID)()
	cfg, err := s.installed(ctx, shopID)
	if err != nil {
		return SettingsView{}, err
	}
	st, err := s.c.Store.UpdateMessagingSettings(ctx, shopID, func(st *Settings) error {
		if err := patch(st); err != nil {
			return err
		}
		return st.Validate()
	}, s.c.Clock.Now().UTC())
	if err != nil {
		return SettingsView{}, err
	}
	s.c.Attention.SetBudget(shopID, st.Attention)
	s.c.Shops.Forget(shopID)
	return SettingsView{Settings: st, WebhookSecret: string(WebhookSecret(cfg.shop.Secret))}, nil
}

// BrandView is the brand the shop set, and the brand its messages use (with the shop's name,
// the default colours and the server's sender address where it set nothing).
type BrandView struct {
	notify.Brand
	Effective notify.Brand `json:"effective"`
}

// Brand returns the shop's brand.
func (s *Service) Brand(ctx context.Context, shopID string) (BrandView, error) {
	cfg, err := s.installed(ctx, shopID)
	if err != nil {
		return BrandView{}, err
	}
	b, _, err := s.c.Store.Brand(ctx, shopID)
	if err != nil {
		return BrandView{}, err
	}
	return BrandView{Brand: b, Effective: b.WithDefaults(cfg.shop.Name, s.c.From)}, nil
}

// UpdateBrand applies a change to the shop's brand and stores it. A brand without a name takes
// the shop's.
func (s *Service) UpdateBrand(ctx context.Context, shopID string, patch func(*notify.Brand) error) (BrandView, error) {
	defer s.lock(shopID)()
	cfg, err := s.installed(ctx, shopID)
	if err != nil {
		return BrandView{}, err
	}
	b, err := s.c.Store.UpdateBrand(ctx, shopID, func(b *notify.Brand) error {
		if err := patch(b); err != nil {
			return err
		}
		if strings.TrimSpace(b.Name) == "" {
			b.Name = cfg.shop.Name
		}
		return b.Validate()
	}, s.c.Clock.Now().UTC())
	if err != nil {
		return BrandView{}, err
	}
	s.c.Shops.Forget(shopID)
	return BrandView{Brand: b, Effective: b.WithDefaults(cfg.shop.Name, s.c.From)}, nil
}

// TemplateView is a template as listed: built in, or the shop's own.
type TemplateView struct {
	notify.Template
	Source string `json:"source"` // builtin or custom
}

// Templates lists every template the shop's journeys may use: the shop's own, and the built-in
// ones it has not replaced.
func (s *Service) Templates(ctx context.Context, shopID string) ([]TemplateView, error) {
	own, err := s.c.Store.Templates(ctx, shopID)
	if err != nil {
		return nil, err
	}
	replaced := map[string]bool{}
	out := make([]TemplateView, 0, len(own)+len(notify.TemplateIDs())*len(notify.Locales()))
	for _, t := range own {
		replaced[t.ID+"\x00"+notify.NormalizeLocale(t.Locale)] = true
		out = append(out, TemplateView{Template: t, Source: "custom"})
	}
	for _, t := range notify.Builtins() {
		if !replaced[t.ID+"\x00"+t.Locale] {
			out = append(out, TemplateView{Template: t, Source: "builtin"})
		}
	}
	return out, nil
}

// SaveTemplate checks a template (it must render with sample data in every state templates
// branch on) and stores it as the shop's version for its locale. A template that fails is
// refused now, never when a customer's message is due.
func (s *Service) SaveTemplate(ctx context.Context, shopID string, t notify.Template) error {
	if _, err := s.installed(ctx, shopID); err != nil {
		return err
	}
	// Checked as given: normalized, a bad locale is "" and the error would show that instead.
	if notify.NormalizeLocale(t.Locale) == "" {
		return epilogue.Invalid("locale", "must be a locale such as \"en\" or \"fr-CA\", not %q", t.Locale)
	}
	for _, p := range []struct{ name, v string }{{"subject", t.Subject}, {"html", t.HTML}, {"text", t.Text}} {
		if err := epilogue.NoControl(p.name, p.v, true); err != nil {
			return err
		}
	}
	t.Locale = notify.NormalizeLocale(t.Locale)
	if err := notify.Validate(t); err != nil {
		return err
	}
	if err := s.c.Store.SaveTemplate(ctx, shopID, t, s.c.Clock.Now().UTC()); err != nil {
		return err
	}
	s.c.Shops.Forget(shopID)
	return nil
}

// PreviewRequest asks for a template rendered: the stored one (or a draft) in a locale, with
// sample data (or the data given).
type PreviewRequest struct {
	Locale string       `json:"locale"`
	Data   *notify.Data `json:"data,omitempty"`
	// Subject, HTML and Text, when given, preview a draft instead of the stored template.
	Subject string `json:"subject,omitempty"`
	HTML    string `json:"html,omitempty"`
	Text    string `json:"text,omitempty"`
}

// Preview is a rendered template.
type Preview struct {
	ID      string `json:"id"`
	Locale  string `json:"locale"`
	Subject string `json:"subject"`
	HTML    string `json:"html"`
	Text    string `json:"text"`
}

// Preview renders a template with the shop's brand.
func (s *Service) Preview(ctx context.Context, shopID, id string, p PreviewRequest) (Preview, error) {
	cfg, err := s.installed(ctx, shopID)
	if err != nil {
		return Preview{}, err
	}
	if p.Locale == "" {
		p.Locale = "en"
	}
	if notify.NormalizeLocale(p.Locale) == "" {
		return Preview{}, epilogue.Invalid("locale", "must be a locale such as \"en\" or \"fr-CA\", not %q", p.Locale)
	}
	t, ok := cfg.template(id, p.Locale)
	if p.Subject != "" || p.HTML != "" || p.Text != "" {
		t, ok = notify.Template{ID: id, Locale: p.Locale, Subject: p.Subject, HTML: p.HTML, Text: p.Text}, true
		if err := notify.Validate(t); err != nil {
			return Preview{}, err
		}
	}
	if !ok {
		return Preview{}, epilogue.NotFound("template", id)
	}
	data := notify.SampleData()
	if p.Data != nil {
		data = *p.Data
		if data.Links.Unsubscribe == "" {
			data.Links.Unsubscribe = notify.SampleData().Links.Unsubscribe
		}
	}
	subject, html, text, err := s.c.Renderer.Render(t, cfg.brand, data)
	if err != nil {
		return Preview{}, epilogue.Prefix("data", err)
	}
	return Preview{ID: id, Locale: t.Locale, Subject: subject, HTML: html, Text: text}, nil
}

// LoyaltyView is a customer's points: the balance and the latest entries, newest first.
type LoyaltyView struct {
	CustomerID string          `json:"customer_id"`
	Balance    int             `json:"balance"`
	History    []*LoyaltyEntry `json:"history"`
}

// Loyalty returns a customer's points.
func (s *Service) Loyalty(ctx context.Context, shopID, customerID string) (LoyaltyView, error) {
	if _, err := s.c.Store.Customer(ctx, shopID, customerID); err != nil {
		return LoyaltyView{}, err
	}
	balance, entries, err := s.c.Store.Loyalty(ctx, shopID, customerID, 200)
	if err != nil {
		return LoyaltyView{}, err
	}
	return LoyaltyView{CustomerID: customerID, Balance: balance, History: entries}, nil
}

// Suppress stops messages to an address: "complaint" and "bounce" stop everything,
// "unsubscribe" stops marketing only, "manual" stops everything.
func (s *Service) Suppress(ctx context.Context, shopID, channel, address, reason string) (*Suppression, error) {
	if channel != epilogue.ChannelEmail && channel != epilogue.ChannelSMS {
		return nil, epilogue.Invalid("channel", "must be email or sms, not %q", channel)
	}
	address = strings.TrimSpace(address)
	// One bare address, as orders and customers take: "Bob <bob@example.com>" or a mailto: URL
	// would be hashed whole and never match the address messages go to.
	if address == "" || len(address) > 320 || (channel == epilogue.ChannelEmail && !epilogue.ValidEmail(address, true)) ||
		(channel == epilogue.ChannelSMS && !notify.ValidPhone(address)) {
		return nil, epilogue.Invalid("address", "must be one bare email address (such as \"ana@example.com\") or an E.164 phone number for the channel")
	}
	scope := ScopeAll
	switch reason {
	case "complaint", "bounce", "manual":
	case "unsubscribe":
		scope = ScopeMarketing
	default:
		return nil, epilogue.Invalid("reason", "must be complaint, bounce, unsubscribe or manual, not %q", reason)
	}
	sup := &Suppression{ShopID: shopID, Channel: channel, AddressHash: AddressHash(address), Scope: scope, Reason: reason,
		CreatedAt: s.c.Clock.Now().UTC()}
	return sup, s.c.Store.AddSuppression(ctx, sup)
}

// Suppressions lists the shop's suppressed addresses (as hashes), oldest first.
func (s *Service) Suppressions(ctx context.Context, shopID string, f epilogue.ListFilter) ([]*Suppression, string, error) {
	return s.c.Store.Suppressions(ctx, shopID, f)
}

// now is the service's time.
func (s *Service) now() time.Time { return s.c.Clock.Now().UTC() }
