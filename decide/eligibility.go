package decide

import (
	"math/bits"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
)

// situation is the request as eligibility sees it, normalized once per decision.
type situation struct {
	now       time.Time
	day       int64
	elapsed   float64
	surface   int
	country   string
	device    string
	locale    string
	payment   string
	amount    epilogue.Amount
	cart      []epilogue.CartItem
	cats      []string
	attrs     map[string]string
	profile   map[string]string
	person    *person
	hist      *epilogue.History
	returning bool
	consent   epilogue.Consent
	dismissal time.Duration
}

var emptyHistory = &epilogue.History{}

func (s *situation) init(snap *Snapshot, pl *epilogue.Placement, req *epilogue.DecisionRequest, people *People, now time.Time, x *scratch) {
	*s = situation{
		now:       now,
		surface:   surfaceIdx(pl.Surface),
		country:   req.Context.Country,
		device:    req.Context.Device,
		locale:    req.Context.Locale,
		payment:   req.Transaction.PaymentType,
		amount:    req.Transaction.Amount,
		cart:      req.Cart,
		attrs:     req.Customer.Attributes,
		hist:      emptyHistory,
		dismissal: snap.dismissal,
	}
	s.day, s.elapsed = LocalDay(now, snap.loc)
	if s.amount == 0 {
		for _, it := range req.Cart {
			s.amount += it.Price * epilogue.Amount(max(it.Quantity, 1))
		}
	}
	x.cats = x.cats[:0]
	for _, it := range req.Cart {
		if it.Category != "" {
			x.cats = append(x.cats, it.Category)
		}
	}
	s.cats = x.cats
	if p := people.lookup(snap.Shop.ID, req.Customer.Key()); p != nil {
		p.mu.Lock()
		s.person, s.hist, s.consent, s.profile = p, p.hist, p.consent, p.attrs
		prior := p.orders
		if req.Transaction.ConfirmationRef != "" && contains(p.refs, req.Transaction.ConfirmationRef) {
			prior-- // this very order was already recorded by an earlier placement
		}
		s.returning = prior > 0
		p.mu.Unlock()
	}
	switch req.Customer.Type {
	case "returning":
		s.returning = true
	case "new":
		s.returning = false
	}
}

// reason returns why an offer that passed the index prefilter may not be shown, or "".
func (s *situation) reason(e *entry) string {
	o := e.o
	if sc := o.Schedule; (sc.Start != nil && s.now.Before(*sc.Start)) || (sc.End != nil && !s.now.Before(*sc.End)) {
		return epilogue.ReasonOutOfSchedule
	}
	if r := s.targeting(&o.Targeting); r != "" {
		return epilogue.ReasonTargetingPrefix + r
	}
	if !s.consents(o) {
		return epilogue.ReasonNoConsent
	}
	if e.budget != nil {
		if r := e.budget.check(o, s.day, s.elapsed); r != "" {
			return r
		}
	}
	for _, it := range s.cart {
		if (o.ProductID != "" && (it.ProductID == o.ProductID || it.SKU == o.ProductID)) || (o.Action.SKU != "" && it.SKU == o.Action.SKU) {
			return epilogue.ReasonPurchased
		}
	}
	if s.person != nil {
		s.person.mu.Lock()
		r := s.person.reason(o, s.now, s.dismissal)
		s.person.mu.Unlock()
		return r
	}
	return ""
}

// fullReason runs every check, including those the index prefilter does, for explain output.
func (s *situation) fullReason(snap *Snapshot, i int) string {
	e := &snap.offers[i]
	t := &e.o.Targeting
	switch {
	case e.o.Status == epilogue.StatusPaused:
		return epilogue.ReasonPaused
	case !snap.surface[s.surface].has(i):
		return epilogue.ReasonNotOnSurface
	case len(t.Countries) > 0 && !contains(t.Countries, s.country):
		return epilogue.ReasonTargetingPrefix + "countries"
	case len(t.Devices) > 0 && !contains(t.Devices, s.device):
		return epilogue.ReasonTargetingPrefix + "devices"
	}
	return s.reason(e)
}

// targeting returns the first targeting field the request fails (countries and devices are
// checked by the index prefilter).
func (s *situation) targeting(t *epilogue.Targeting) string {
	if len(t.Locales) > 0 && !localeMatch(t.Locales, s.locale) {
		return "locales"
	}
	if len(t.PaymentTypes) > 0 && !contains(t.PaymentTypes, s.payment) {
		return "payment_types"
	}
	if t.MinAmount > 0 && s.amount < t.MinAmount {
		return "min_amount"
	}
	if t.MaxAmount > 0 && s.amount > t.MaxAmount {
		return "max_amount"
	}
	if len(t.CartCategoriesAny) > 0 && !anyIn(t.CartCategoriesAny, s.cats) {
		return "cart_categories_any"
	}
	if len(t.CartCategoriesNone) > 0 && anyIn(t.CartCategoriesNone, s.cats) {
		return "cart_categories_none"
	}
	if len(t.CartSKUsAny) > 0 && !s.cartHasSKU(t.CartSKUsAny) {
		return "cart_skus_any"
	}
	if len(t.CartSKUsNone) > 0 && s.cartHasSKU(t.CartSKUsNone) {
		return "cart_skus_none"
	}
	for k, allowed := range t.CustomerAttributes {
		v, ok := s.attrs[k]
		if !ok {
			v, ok = s.profile[k]
		}
		if !ok || !contains(allowed, v) {
			return "customer_attributes"
		}
	}
	switch t.CustomerType {
	case "new":
		if s.returning {
			return "customer_type"
		}
	case "returning":
		if !s.returning {
			return "customer_type"
		}
	}
	return ""
}

// consents applies what the customer said no to: partner offers need partner consent not to be
// refused; personalised offers need marketing consent not to be refused. Unknown means yes.
func (s *situation) consents(o *epilogue.Offer) bool {
	if o.Kind == epilogue.KindPartner && s.consent.Partners != nil && !*s.consent.Partners {
		return false
	}
	if s.consent.Marketing != nil && !*s.consent.Marketing {
		switch o.Kind {
		case epilogue.KindUpsell, epilogue.KindCrossSell, epilogue.KindPartner, epilogue.KindLoyalty:
			return false
		}
	}
	return true
}

func (s *situation) cartHasSKU(skus []string) bool {
	for _, it := range s.cart {
		if contains(skus, it.SKU) {
			return true
		}
	}
	return false
}

func anyIn(want, have []string) bool {
	for _, h := range have {
		if contains(want, h) {
			return true
		}
	}
	return false
}

// localeMatch accepts "en-us" for a target "en" as well as an exact match.
func localeMatch(targets []string, locale string) bool {
	locale = strings.ToLower(locale)
	for _, t := range targets {
		if t == locale || (strings.HasPrefix(locale, t) && len(locale) > len(t) && locale[len(t)] == '-') {
			return true
		}
	}
	return false
}

func trailingZeros(w uint64) int { return bits.TrailingZeros64(w) }

// explainAll lists a verdict for every live offer: chosen and scored ones from the decision,
// the rest with the reason they were filtered.
func explainAll(snap *Snapshot, s *situation, d *epilogue.Decision, x *scratch) []epilogue.Verdict {
	ranked := make(map[string]epilogue.Verdict, len(x.cands))
	for j, i := range x.cands {
		ranked[snap.offers[i].o.ID] = epilogue.Verdict{OfferID: snap.offers[i].o.ID, Verdict: epilogue.VerdictScored, Score: sampleAt(x, j)}
	}
	for _, v := range d.Candidates {
		ranked[v.OfferID] = v
	}
	out := make([]epilogue.Verdict, 0, len(snap.offers))
	for i := range snap.offers {
		id := snap.offers[i].o.ID
		if v, ok := ranked[id]; ok {
			out = append(out, v)
			continue
		}
		out = append(out, epilogue.Verdict{OfferID: id, Verdict: epilogue.VerdictFiltered, Reason: s.fullReason(snap, i)})
	}
	return out
}

func sampleAt(x *scratch, j int) float64 {
	if j < len(x.sample) {
		return x.sample[j]
	}
	return 0
}
