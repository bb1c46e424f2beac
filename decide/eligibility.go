package decide

import (
	"math/bits"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
)

// situation is the request as eligibility sees it, normalized once per decision.
type situation struct {
	now      time.Time
	nowNanos int64 // now in Unix nanoseconds, as check holds schedules
	day      int64
	elapsed  float64
	surface  int
	country  string
	device   string
	locale   string
	payment  string
	amount   epilogue.Amount
	// foreign: the transaction is in another currency than the shop's, in which amount
	// targeting is set; with no exchange rates at hand, such rules cannot be checked.
	foreign    bool
	cart       []epilogue.CartItem
	catIDs     []int32 // the cart's categories as the snapshot numbers them
	cartMask   bitset  // offers selling something already in the cart
	personMask bitset  // offers the customer has state for (or bought the product of)
	attrs      map[string]string
	profile    map[string]string
	person     personRef // none, or locked again for the reason checks with lockPerson
	personKey  uint64
	names      *names
	hist       *epilogue.History
	returning  bool
	consent    epilogue.Consent
	refused    bool // the customer refused marketing or partner offers (see consents)
	dismissal  time.Duration
	// attentionSpent: the customer's attention budget allows no partner offer now.
	attentionSpent bool
}

var emptyHistory = &epilogue.History{}

func (s *situation) init(snap *Snapshot, pl *epilogue.Placement, req *epilogue.DecisionRequest, customerKey string, people *People, now time.Time, x *scratch) {
	*s = situation{
		now:       now,
		nowNanos:  unixNanos(&now, 0),
		surface:   surfaceIdx(pl.Surface),
		country:   req.Context.Country,
		device:    req.Context.Device,
		locale:    req.Context.Locale,
		payment:   req.Transaction.PaymentType,
		amount:    req.Transaction.Amount,
		foreign:   req.Transaction.Currency != "" && req.Transaction.Currency != snap.Shop.Settings.Currency,
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
	x.catIDs = x.catIDs[:0]
	for _, it := range req.Cart {
		if id, ok := snap.categories[it.Category]; ok && it.Category != "" {
			x.catIDs = append(x.catIDs, id)
		}
	}
	s.catIDs = x.catIDs
	// Offers the cart already holds: marked once here instead of scanning the cart per offer.
	x.cartMask = clearBits(x.cartMask, len(snap.offers))
	for _, it := range req.Cart {
		markProducts(x.cartMask, snap, it.ProductID)
		markProducts(x.cartMask, snap, it.SKU)
	}
	s.cartMask = x.cartMask
	if p, k := people.lock(snap.Shop.ID, customerKey, false); p.person != nil {
		s.person, s.personKey, s.hist, s.consent, s.profile = p, k, p.history(&people.names), p.consent(), p.attrs()
		c := &s.consent
		s.refused = (c.Marketing != nil && !*c.Marketing) || (c.Partners != nil && !*c.Partners)
		s.names = &people.names
		// Offers this customer has a history with or bought the product of: only these need
		// the customer's state checked.
		x.personMask = clearBits(x.personMask, len(snap.offers))
		offers, strs := p.offers(), people.names.all()
		for i := range offers.len() {
			if j := snap.index(strs[offers.at(i).id]); j >= 0 {
				x.personMask.set(j)
			}
		}
		for _, prod := range p.section(productsSec) {
			markProducts(x.personMask, snap, strs[prod])
		}
		s.personMask = x.personMask
		prior := p.orders
		if ref := req.Transaction.ConfirmationRef; ref != "" && p.hasRef(people.hash("ref", ref)) {
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

// lockPerson locks the customer's state for the reason checks, reporting whether there is any.
// If the customer was forgotten or evicted since init, and the slot maybe given to another, the
// decision goes on as for a customer without state (s.person is none).
func (s *situation) lockPerson() bool {
	if s.person.person == nil {
		return false
	}
	s.person.mu.Lock()
	if s.person.holds(s.personKey) {
		return true
	}
	s.person.mu.Unlock()
	s.person = personRef{}
	return false
}

// clearBits returns b resized to n offers and emptied.
func clearBits(b bitset, n int) bitset {
	w := (n + 63) / 64
	if cap(b) < w {
		return make(bitset, w)
	}
	b = b[:w]
	clear(b)
	return b
}

func markProducts(b bitset, snap *Snapshot, product string) {
	if product == "" {
		return
	}
	for _, i := range snap.byProduct[product] {
		b.set(int(i))
	}
}

// reason returns why an offer that passed the index prefilter may not be shown, or rNone.
// The caller holds the customer's lock.
func (s *situation) reason(snap *Snapshot, i int) reason {
	c := &snap.checks[i]
	if c.needs != 0 || s.refused {
		if c.needs&needSchedule != 0 && (s.nowNanos < c.start || s.nowNanos >= c.end) {
			return rOutOfSchedule
		}
		if c.needs&(needLocalePayment|needAmount|needCartCustomer) != 0 {
			if r := s.targeting(&snap.offers[i], c); r != rNone {
				return r
			}
		}
		if !s.consents(c.o) {
			return rNoConsent
		}
		if s.attentionSpent && c.needs&needPartner != 0 {
			return rAttention
		}
	}
	if c.budget != nil {
		if r := c.budget.check(&c.limits, s.day, s.elapsed); r != rNone {
			return r
		}
	}
	if s.cartMask.has(i) {
		return rPurchased
	}
	if s.person.person != nil && s.personMask.has(i) { // the caller holds s.person.mu
		return s.person.reason(s.names, c.o, s.now, s.dismissal)
	}
	return rNone
}

// fullReason runs every check, including those the index prefilter does, for explain output.
func (s *situation) fullReason(snap *Snapshot, i int) reason {
	e := &snap.offers[i]
	t := &e.o.Targeting
	switch {
	case e.o.Status == epilogue.StatusPaused:
		return rPaused
	case !snap.surface[s.surface].has(i):
		return rNotOnSurface
	case len(t.Countries) > 0 && !contains(t.Countries, s.country):
		return rCountries
	case len(t.Devices) > 0 && !contains(t.Devices, s.device):
		return rDevices
	case len(e.catsAny) > 0 && !anyID(e.catsAny, s.catIDs):
		return rCategoriesAny
	}
	return s.reason(snap, i)
}

// targeting returns the first targeting rule the request fails (countries and devices are
// checked by the index prefilter), as a full reason.
func (s *situation) targeting(e *entry, c *check) reason {
	t := &c.o.Targeting
	if c.needs&needLocalePayment != 0 {
		if len(t.Locales) > 0 && !localeMatch(t.Locales, s.locale) {
			return rLocales
		}
		if len(t.PaymentTypes) > 0 && !contains(t.PaymentTypes, s.payment) {
			return rPaymentTypes
		}
	}
	if (c.minAmount > 0 || c.maxAmount > 0) && s.foreign {
		return rCurrency
	}
	if c.minAmount > 0 && s.amount < c.minAmount {
		return rMinAmount
	}
	if c.maxAmount > 0 && s.amount > c.maxAmount {
		return rMaxAmount
	}
	if c.needs&needCartCustomer == 0 {
		return rNone
	}
	if len(e.catsNone) > 0 && anyID(e.catsNone, s.catIDs) {
		return rCategoriesNone
	}
	if len(t.CartSKUsAny) > 0 && !s.cartHasSKU(t.CartSKUsAny) {
		return rSKUsAny
	}
	if len(t.CartSKUsNone) > 0 && s.cartHasSKU(t.CartSKUsNone) {
		return rSKUsNone
	}
	for _, a := range e.attrs {
		v, ok := s.attrs[a.key]
		if !ok {
			v, ok = s.profile[a.key]
		}
		if !ok || !contains(a.allowed, v) {
			return rAttributes
		}
	}
	switch t.CustomerType {
	case "new":
		if s.returning {
			return rCustomerType
		}
	case "returning":
		if !s.returning {
			return rCustomerType
		}
	}
	return rNone
}

// anyID reports whether the two small sets of category ids meet.
func anyID(want, have []int32) bool {
	for _, h := range have {
		for _, w := range want {
			if w == h {
				return true
			}
		}
	}
	return false
}

// consents applies what the customer said no to: partner offers need partner consent not to be
// refused; personalised offers need marketing consent not to be refused. Unknown means yes.
func (s *situation) consents(o *epilogue.Offer) bool {
	// The customer's answers first: without a refusal the offer is not read at all.
	if s.consent.Partners != nil && !*s.consent.Partners && o.Kind == epilogue.KindPartner {
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
	if s.lockPerson() {
		defer s.person.mu.Unlock()
	}
	for i := range snap.offers {
		id := snap.offers[i].o.ID
		if v, ok := ranked[id]; ok {
			out = append(out, v)
			continue
		}
		out = append(out, epilogue.Verdict{OfferID: id, Verdict: epilogue.VerdictFiltered, Reason: s.fullReason(snap, i).String()})
	}
	return out
}

func sampleAt(x *scratch, j int) float64 {
	if j < len(x.sample) {
		return x.sample[j]
	}
	return 0
}
