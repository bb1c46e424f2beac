package learn

import (
	"sync"

	"github.com/epiloguehq/epilogue"
)

// Feature is one active feature of an example: the hash of its name and its value (1 for an
// indicator). A value also scales the prior: a feature of value x has prior effect variance
// x²·PriorVariance.
type Feature struct {
	Hash  uint64
	Value float32
}

// Name spaces of the features of a moment and an offer.
var (
	fShop, fSurface, fPlacement  = Field("shop"), Field("surface"), Field("placement")
	fDevice, fCountry, fLocale   = Field("device"), Field("country"), Field("locale")
	fHourOfWeek, fAmount, fPay   = Field("hour_of_week"), Field("amount"), Field("payment_type")
	fCustomer, fAttr             = Field("customer_type"), Field("customer_attribute")
	fCategory, fSKU, fCartSize   = Field("category"), Field("sku"), Field("cart_size")
	fCartCat, fHistCat, fOrders  = Field("cart_category"), Field("history_category"), Field("history_orders")
	fEngagedOffer, fDismissedOff = Field("engaged_offer"), Field("dismissed_offer")
	fEngagedN, fDismissedN       = Field("engaged_count"), Field("dismissed_count")
	fOfferID, fKind, fAdvertiser = Field("offer"), Field("kind"), Field("advertiser")
	fOfferCat, fPayout           = Field("offer_category"), Field("payout_model")
	flagEngaged, flagDismissed   = Field("engaged_this_offer"), Field("dismissed_this_offer")
	flagCatInCart, flagCatInHist = Field("offer_category_in_cart"), Field("offer_category_bought_before")
)

// offerScale is the value of an offer's own fields (id, kind, advertiser, category): their
// prior variance is nine times a cross's, because which offer it is matters more than any one
// interaction, and a new offer's id must be free to move far from its kind's prior.
const offerScale = 3

// Caps on list-valued fields keep an example's feature count, and the scratch, bounded. (Past
// maxAttrs, which customer attributes count depends on map order.)
const (
	maxAttrs    = 16
	maxCartCats = 8
	maxSKUs     = 8
	maxHistCats = 8
	maxHistIDs  = 16
)

// moment holds a moment's features, hashed once per Score call and crossed with every offer.
type moment struct {
	ctx []uint64 // context-only features, value 1

	surface, placement, device, country, amount, payment, customer uint64
	attrs                                                          []uint64
	cartCats, cartCatF                                             []uint64 // category values; their cart features
	histCats, histCatF                                             []uint64
	engaged, dismissed                                             []uint64 // offer id features

	pair []Feature
	all  []Feature

	kinds, advs, cats groupMemo // Score's sums of shared feature groups
	keys              []offerKeys
	keyMemo           map[*epilogue.Offer]offerKeys // see offerKeys
	cheap             []sums                        // each candidate's score without its id crosses
	bound, sorted     []float64                     // see retrieval; bound is nil when every candidate is fully scored
	bound0            []float64                     // bound's buffer
}

// idCrossCount is how many id crosses idCrosses makes at this moment (flags aside).
func (s *moment) idCrossCount() int { return 6 + len(s.attrs) + len(s.cartCatF) }

var momentPool = sync.Pool{New: func() any { return new(moment) }}

func getMoment() *moment { return momentPool.Get().(*moment) }

func putMoment(s *moment) { momentPool.Put(s) }

func (s *moment) set(mo *epilogue.Moment) {
	s.ctx = s.ctx[:0]
	s.attrs, s.cartCats, s.cartCatF = s.attrs[:0], s.cartCats[:0], s.cartCatF[:0]
	s.histCats, s.histCatF, s.engaged, s.dismissed = s.histCats[:0], s.histCatF[:0], s.engaged[:0], s.dismissed[:0]
	if mo.ShopID != "" {
		s.ctx = append(s.ctx, Value(fShop, mo.ShopID))
	}
	s.surface = Label(fSurface, mo.Surface)
	s.placement = Value(fPlacement, mo.Placement)
	s.ctx = append(s.ctx, s.surface, s.placement)
	if !mo.Time.IsZero() {
		s.ctx = append(s.ctx, Int(fHourOfWeek, int64(mo.Time.Weekday())*24+int64(mo.Time.Hour())))
	}
	customer := "new"
	if mo.Returning {
		customer = "returning"
	}
	var req epilogue.DecisionRequest
	if mo.Request != nil {
		req = *mo.Request
	}
	if req.Customer.Type != "" {
		customer = req.Customer.Type
	}
	s.customer = Label(fCustomer, customer)
	s.device = Label(fDevice, req.Context.Device)
	s.country = Label(fCountry, req.Context.Country)
	s.amount = Int(fAmount, LogBucket(req.Transaction.Amount.Float()))
	s.payment = Label(fPay, req.Transaction.PaymentType)
	s.ctx = append(s.ctx, s.customer, s.device, s.country, s.amount, s.payment)
	if req.Context.Locale != "" {
		s.ctx = append(s.ctx, Label(fLocale, req.Context.Locale))
	}
	for k, v := range req.Customer.Attributes {
		if len(s.attrs) == maxAttrs {
			break
		}
		s.attrs = append(s.attrs, Label(Value(fAttr, k), v))
	}
	s.ctx = append(s.ctx, s.attrs...)
	skus := 0
	for i := range req.Cart {
		it := &req.Cart[i]
		if it.Category != "" && len(s.cartCats) < maxCartCats {
			c := Label(fCategory, it.Category)
			if !contains(s.cartCats, c) {
				s.cartCats = append(s.cartCats, c)
				s.cartCatF = append(s.cartCatF, Cross(fCartCat, c))
			}
		}
		if it.SKU != "" && skus < maxSKUs {
			s.ctx = append(s.ctx, Value(fSKU, it.SKU))
			skus++
		}
	}
	s.ctx = append(s.ctx, s.cartCatF...)
	s.ctx = append(s.ctx, Int(fCartSize, min(int64(len(req.Cart)), 10)))
	orders := 0
	if h := mo.History; h != nil {
		orders = h.Orders
		for _, c := range h.Categories {
			if len(s.histCats) == maxHistCats {
				break
			}
			ch := Label(fCategory, c)
			if !contains(s.histCats, ch) {
				s.histCats = append(s.histCats, ch)
				s.histCatF = append(s.histCatF, Cross(fHistCat, ch))
			}
		}
		s.engaged = appendIDs(s.engaged, h.Engaged)
		s.dismissed = appendIDs(s.dismissed, h.Dismissed)
		s.ctx = append(s.ctx, Int(fEngagedN, LogBucket(float64(len(h.Engaged)))), Int(fDismissedN, LogBucket(float64(len(h.Dismissed)))))
		for _, id := range s.engaged {
			s.ctx = append(s.ctx, Cross(fEngagedOffer, id))
		}
		for _, id := range s.dismissed {
			s.ctx = append(s.ctx, Cross(fDismissedOff, id))
		}
	}
	s.ctx = append(s.ctx, s.histCatF...)
	s.ctx = append(s.ctx, Int(fOrders, LogBucket(float64(orders))))
}

// appendIDs hashes the most recent offer ids of a history list (the list is oldest first).
func appendIDs(dst []uint64, ids []string) []uint64 {
	if len(ids) > maxHistIDs {
		ids = ids[len(ids)-maxHistIDs:]
	}
	for _, id := range ids {
		dst = append(dst, Value(fOfferID, id))
	}
	return dst
}

func contains(l []uint64, h uint64) bool {
	for _, x := range l {
		if x == h {
			return true
		}
	}
	return false
}

// offerPair appends the features of an offer at the moment: its own fields and their crosses
// with the context, the cart, the customer and the history. They come in groups by the offer
// field they depend on (kind, advertiser, category, payout model, id), so scoring can sum the
// groups many offers share once per moment (see Model.Score).
func (s *moment) offerPair(dst []Feature, o *epilogue.Offer) []Feature {
	k := offerKeysOf(o)
	dst = s.kindGroup(dst, k.kind)
	dst = s.advGroup(dst, k.adv)
	dst = s.catGroup(dst, k.cat)
	dst = append(dst, Feature{k.pay, 1}, Feature{k.id, offerScale})
	return s.idCrosses(dst, k.id, k.kind)
}

// offerKeys are the hashes of an offer's fields; cat is 0 for an offer without a category.
type offerKeys struct{ id, kind, adv, cat, pay uint64 }

func offerKeysOf(o *epilogue.Offer) offerKeys {
	k := offerKeys{id: Value(fOfferID, o.ID), kind: Label(fKind, o.Kind), adv: Label(fAdvertiser, o.Advertiser),
		pay: Label(fPayout, o.Payout.Model)}
	if o.Category != "" {
		k.cat = Label(fCategory, o.Category)
	}
	return k
}

func one(h uint64) Feature { return Feature{h, 1} }

// kindGroup: the offer's kind and its crosses with the context and the customer's attributes.
func (s *moment) kindGroup(dst []Feature, kind uint64) []Feature {
	dst = append(dst, Feature{kind, offerScale},
		one(Cross(kind, s.surface)), one(Cross(kind, s.device)), one(Cross(kind, s.country)),
		one(Cross(kind, s.amount)), one(Cross(kind, s.payment)), one(Cross(kind, s.customer)))
	for _, a := range s.attrs {
		dst = append(dst, one(Cross(kind, a)))
	}
	return dst
}

// advGroup: the advertiser and its crosses with the context.
func (s *moment) advGroup(dst []Feature, adv uint64) []Feature {
	return append(dst, Feature{adv, offerScale},
		one(Cross(adv, s.surface)), one(Cross(adv, s.device)), one(Cross(adv, s.country)), one(Cross(adv, s.customer)))
}

// catGroup: what the offer sells, crossed with the customer, the cart and the history.
func (s *moment) catGroup(dst []Feature, cat uint64) []Feature {
	if cat == 0 {
		return dst
	}
	catF := Cross(fOfferCat, cat)
	dst = append(dst, Feature{catF, offerScale}, one(Cross(catF, s.customer)))
	for _, a := range s.attrs {
		dst = append(dst, one(Cross(catF, a)))
	}
	for _, c := range s.cartCatF {
		dst = append(dst, one(Cross(catF, c)))
	}
	for _, c := range s.histCatF {
		dst = append(dst, one(Cross(catF, c)))
	}
	if contains(s.cartCats, cat) {
		dst = append(dst, one(flagCatInCart))
	}
	if contains(s.histCats, cat) {
		dst = append(dst, one(flagCatInHist))
	}
	return dst
}

// idCrosses: the offer crossed with the context, the customer and the cart, and whether this
// customer engaged with or dismissed it before.
func (s *moment) idCrosses(dst []Feature, id, kind uint64) []Feature {
	dst = append(dst,
		one(Cross(id, s.surface)), one(Cross(id, s.placement)), one(Cross(id, s.device)),
		one(Cross(id, s.country)), one(Cross(id, s.amount)), one(Cross(id, s.customer)))
	for _, a := range s.attrs {
		dst = append(dst, one(Cross(id, a)))
	}
	for _, c := range s.cartCatF {
		dst = append(dst, one(Cross(id, c)))
	}
	if contains(s.engaged, id) {
		dst = append(dst, one(Cross(flagEngaged, kind)))
	}
	if contains(s.dismissed, id) {
		dst = append(dst, one(Cross(flagDismissed, kind)))
	}
	return dst
}

// AppendFeatures appends the features of showing offer o at moment mo (context and offer
// features, without the implicit bias) to dst.
func AppendFeatures(dst []Feature, mo *epilogue.Moment, o *epilogue.Offer) []Feature {
	s := getMoment()
	s.set(mo)
	dst = s.appendAll(dst, o)
	putMoment(s)
	return dst
}

func (s *moment) appendAll(dst []Feature, o *epilogue.Offer) []Feature {
	for _, h := range s.ctx {
		dst = append(dst, Feature{h, 1})
	}
	return s.offerPair(dst, o)
}

// Update learns whether an impression of o at mo was engaged with.
func (m *Model) Update(mo *epilogue.Moment, o *epilogue.Offer, engaged bool) {
	m.updateHead(Engage, mo, o, engaged)
}

// UpdateConvert learns whether an engaged impression of o at mo converted. Call it only for
// impressions that were engaged with: the head is p(convert | engaged).
func (m *Model) UpdateConvert(mo *epilogue.Moment, o *epilogue.Offer, converted bool) {
	m.updateHead(Convert, mo, o, converted)
}

func (m *Model) updateHead(h Head, mo *epilogue.Moment, o *epilogue.Offer, y bool) {
	s := getMoment()
	s.set(mo)
	s.all = s.appendAll(s.all[:0], o)
	m.UpdateFeatures(h, s.all, y)
	putMoment(s)
}
