package journey

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

// Shops keeps each shop's messaging configuration in memory (journeys with their compiled
// conditions, settings, brand, templates, its email placement), so the scheduler reads the
// database for customers and orders only. An entry is reloaded after ttl, so changes made on
// another replica arrive within it; changes made here are seen at once (Forget).
type Shops struct {
	store     Store
	attention *Attention
	ttl       time.Duration

	mu sync.Mutex
	m  map[string]*shopConfig
}

// shopConfig is one shop's configuration, immutable once built.
type shopConfig struct {
	shop      *epilogue.Shop
	settings  Settings
	brand     notify.Brand // with the defaults filled in
	templates []notify.Template
	byID      map[string]*Journey
	triggers  map[string][]*Journey // activity kind -> active journeys it starts
	exprs     map[string]*Expr      // "journey/step" or "journey/trigger" -> compiled condition
	placement map[string]string     // surface -> the first active placement on it
	loaded    time.Time
}

// DefaultShopsTTL is how long a shop's configuration is used before it is read again.
const DefaultShopsTTL = 2 * time.Second

// NewShops returns an empty cache over the store, whose entries live ttl (DefaultShopsTTL when
// zero). attention, when set, is given each shop's budget as it loads.
func NewShops(store Store, attention *Attention, ttl time.Duration) *Shops {
	if ttl <= 0 {
		ttl = DefaultShopsTTL
	}
	return &Shops{store: store, attention: attention, ttl: ttl, m: map[string]*shopConfig{}}
}

// Forget drops a shop's entry, after a change to its configuration.
func (s *Shops) Forget(shopID string) {
	s.mu.Lock()
	delete(s.m, shopID)
	s.mu.Unlock()
}

// get returns a shop's configuration, loading it when it is missing or stale. A shop seen for
// the first time gets the default journeys and settings. The wall clock decides staleness: it
// is about cache freshness, not about the time journeys run in.
func (s *Shops) get(ctx context.Context, shopID string, from string) (*shopConfig, error) {
	s.mu.Lock()
	c := s.m[shopID]
	s.mu.Unlock()
	if c != nil && time.Since(c.loaded) < s.ttl {
		return c, nil
	}
	c, err := s.load(ctx, shopID, from)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.m[shopID] = c
	s.mu.Unlock()
	return c, nil
}

func (s *Shops) load(ctx context.Context, shopID, from string) (*shopConfig, error) {
	shop, err := s.store.Shop(ctx, shopID)
	if err != nil {
		return nil, err
	}
	settings, found, err := s.store.MessagingSettings(ctx, shopID)
	if err != nil {
		return nil, err
	}
	if !found {
		settings = DefaultSettings()
		if err := s.store.InstallDefaults(ctx, shopID, settings, DefaultJourneys(), time.Now().UTC()); err != nil {
			return nil, err
		}
	}
	brand, _, err := s.store.Brand(ctx, shopID)
	if err != nil {
		return nil, err
	}
	templates, err := s.store.Templates(ctx, shopID)
	if err != nil {
		return nil, err
	}
	journeys, err := s.store.ShopJourneys(ctx, shopID)
	if err != nil {
		return nil, err
	}
	placements, err := s.store.AllPlacements(ctx, shopID)
	if err != nil {
		return nil, err
	}
	c := &shopConfig{shop: shop, settings: settings, brand: brand.WithDefaults(shop.Name, from), templates: templates,
		byID: map[string]*Journey{}, triggers: map[string][]*Journey{}, exprs: map[string]*Expr{},
		placement: map[string]string{}, loaded: time.Now()}
	for _, j := range journeys {
		c.byID[j.ID] = j
		if j.Status == StatusActive {
			c.triggers[j.Trigger.Event] = append(c.triggers[j.Trigger.Event], j)
		}
		// Conditions were checked when the journey was saved; one that no longer compiles
		// (a field renamed by an upgrade) is left out and reads as false.
		if e, err := Compile(j.Trigger.If); err == nil {
			c.exprs[j.ID+"/trigger"] = e
		}
		for _, st := range j.Steps {
			if st.Type == StepCondition {
				if e, err := Compile(st.If); err == nil {
					c.exprs[j.ID+"/"+st.ID] = e
				}
			}
		}
	}
	for _, p := range placements {
		if _, ok := c.placement[p.Surface]; !ok && p.Status == epilogue.StatusActive {
			c.placement[p.Surface] = p.ID
		}
	}
	if s.attention != nil {
		s.attention.SetBudget(shopID, settings.Attention)
	}
	return c, nil
}

// template returns the template for a customer's locale: the shop's own version, unless it
// exists only in another language and a built-in one speaks the customer's (a shop that
// customised only English keeps its French customers in French).
func (c *shopConfig) template(id, locale string) (notify.Template, bool) {
	own, hasOwn := notify.Lookup(c.templates, id, locale)
	builtin, hasBuiltin := notify.Builtin(id, locale)
	lang := language(locale)
	if hasOwn && (language(own.Locale) == lang || !hasBuiltin || language(builtin.Locale) != lang) {
		return own, true
	}
	return builtin, hasBuiltin
}

// language returns the language part of a locale ("fr" of "fr-CA"), "en" when none.
func language(locale string) string {
	l := notify.NormalizeLocale(locale)
	if l == "" {
		return "en"
	}
	lang, _, _ := strings.Cut(l, "-")
	return lang
}

// templateExists reports whether id is built in or one of the shop's templates.
func templateExists(templates []notify.Template, id string) bool {
	if _, ok := notify.Builtin(id, "en"); ok {
		return true
	}
	for _, t := range templates {
		if t.ID == id {
			return true
		}
	}
	return false
}
