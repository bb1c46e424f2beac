package decide

import (
	"context"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
)

// People caches what each customer did with offers (impressions for frequency caps, dismissals,
// conversions) and bought, so eligibility never waits on the database. It is fed by accepted
// events and orders, and warmed from the store at start.
//
// The state of hundreds of thousands of customers lives in the heap, and the garbage collector
// marks every pointer in it on every cycle: with strings and slices of strings per customer that
// took a few hundred milliseconds per cycle on the benchmark's 100,000 customers, and requests
// waited on it. So a person holds no strings: offer ids, products and categories are numbers from
// one table of names (each name stored once), order refs and decision ids are hashes, and every
// slice holds plain numbers, which the collector does not look into.
type People struct {
	seed   maphash.Seed
	shards [64]peopleShard
	limit  int // customers per shard before eviction
	names  names
}

type peopleShard struct {
	mu sync.RWMutex
	m  map[uint64]*person
}

// person is one customer of one shop. Fields are guarded by mu.
type person struct {
	mu          sync.Mutex
	offers      []offerState
	impressions []impression // most recent last; at most maxImpressions per offer
	products    []uint32     // product ids and skus bought (names)
	categories  []uint32     // categories bought (names)
	orders      int
	refs        []uint64 // hashes of the confirmation refs of the latest orders, so one order counts once
	consent     epilogue.Consent
	attrs       map[string]string // from the customer profile
	// attended is the hash of the latest decision whose partner offers spent attention.
	attended uint64
}

// offerState is one customer's history with one offer. Times are Unix nanoseconds (0: never).
type offerState struct {
	id        uint32 // the offer's id (a name)
	engaged   int64
	dismissed int64
	converted int64
	charged   [4]uint64 // hashes of type+decision id of the latest charged engagements and conversions
}

type impression struct {
	offer uint32
	at    int64
}

// maxImpressions bounds the impressions kept per customer and offer; frequency caps above it
// count the kept ones only.
const maxImpressions = 32

// names numbers the strings customer state refers to. It only grows: its names are the offer
// ids, products and categories of the shops' catalogs, not one per customer.
type names struct {
	mu   sync.RWMutex
	ids  map[string]uint32
	strs []string
}

// id returns the number of s, adding it.
func (n *names) id(s string) uint32 {
	if id, ok := n.find(s); ok {
		return id
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if id, ok := n.ids[s]; ok {
		return id
	}
	if n.ids == nil {
		n.ids = map[string]uint32{}
	}
	id := uint32(len(n.strs))
	s = strings.Clone(s) // not a slice of some request's body
	n.strs = append(n.strs, s)
	n.ids[s] = id
	return id
}

// find returns the number of s, if it has one.
func (n *names) find(s string) (uint32, bool) {
	n.mu.RLock()
	id, ok := n.ids[s]
	n.mu.RUnlock()
	return id, ok
}

func (n *names) str(id uint32) string {
	n.mu.RLock()
	s := n.strs[id]
	n.mu.RUnlock()
	return s
}

// NewPeople returns an empty cache holding at most about limit customers.
func NewPeople(limit int) *People {
	p := &People{seed: maphash.MakeSeed(), limit: limit/64 + 1}
	for i := range p.shards {
		p.shards[i].m = map[uint64]*person{}
	}
	return p
}

func (p *People) key(shopID, customerKey string) uint64 { return p.hash(shopID, customerKey) }

// lookup returns the customer's state, or nil when nothing is known.
func (p *People) lookup(shopID, customerKey string) *person {
	if customerKey == "" {
		return nil
	}
	k := p.key(shopID, customerKey)
	sh := &p.shards[k%64]
	sh.mu.RLock()
	x := sh.m[k]
	sh.mu.RUnlock()
	return x
}

// get returns the customer's state, creating it.
func (p *People) get(shopID, customerKey string) *person {
	k := p.key(shopID, customerKey)
	sh := &p.shards[k%64]
	sh.mu.RLock()
	x := sh.m[k]
	sh.mu.RUnlock()
	if x != nil {
		return x
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if x = sh.m[k]; x == nil {
		if len(sh.m) >= p.limit {
			for victim := range sh.m { // map order is random: a cheap random eviction
				delete(sh.m, victim)
				break
			}
		}
		x = &person{}
		sh.m[k] = x
	}
	return x
}

// Forget drops a customer's state (after erasure).
func (p *People) Forget(shopID, customerKey string) {
	k := p.key(shopID, customerKey)
	sh := &p.shards[k%64]
	sh.mu.Lock()
	delete(sh.m, k)
	sh.mu.Unlock()
}

// Observe records an offer event for a customer.
func (p *People) Observe(shopID, customerKey, offerID, typ string, t time.Time, decisionID string) {
	if customerKey == "" {
		return
	}
	x := p.get(shopID, customerKey)
	id := p.names.id(offerID)
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.offer(id)
	ns := t.UnixNano()
	switch typ {
	case epilogue.EventImpression:
		x.impressions = append(x.impressions, impression{id, ns})
		x.trimImpressions(id)
	case epilogue.EventEngagement:
		s.engaged = max(s.engaged, ns)
		s.charge(p.hash(typ, decisionID))
	case epilogue.EventDismissal:
		s.dismissed = max(s.dismissed, ns)
	case epilogue.EventConversion:
		s.converted = max(s.converted, ns)
		s.charge(p.hash(typ, decisionID))
	}
}

// trimImpressions drops the oldest impression of an offer past maxImpressions of it.
func (x *person) trimImpressions(id uint32) {
	n, oldest := 0, -1
	for i, im := range x.impressions {
		if im.offer == id {
			if n == 0 {
				oldest = i
			}
			n++
		}
	}
	if n > maxImpressions {
		x.impressions = append(x.impressions[:oldest], x.impressions[oldest+1:]...)
	}
}

// maxRefs bounds the order refs remembered per customer.
const maxRefs = 8

// Purchased records the products and categories a customer bought in one order (ref); the same
// order seen again (another placement, a retried webhook) counts once.
func (p *People) Purchased(shopID, customerKey, ref string, items []epilogue.CartItem) {
	if customerKey == "" {
		return
	}
	x := p.get(shopID, customerKey)
	var bought, cats []uint32
	for _, it := range items {
		for _, v := range []string{it.ProductID, it.SKU} {
			if v != "" {
				bought = append(bought, p.names.id(v))
			}
		}
		if c := epilogue.Fold(it.Category); c != "" {
			cats = append(cats, p.names.id(c))
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if ref != "" {
		h := p.hash("ref", ref)
		if slices.Contains(x.refs, h) {
			return
		}
		x.refs = append(x.refs, h)
		if len(x.refs) > maxRefs {
			x.refs = x.refs[1:]
		}
	}
	x.orders++
	for _, v := range bought {
		if !slices.Contains(x.products, v) {
			x.products = append(x.products, v)
		}
	}
	for _, c := range cats {
		if !slices.Contains(x.categories, c) {
			x.categories = append(x.categories, c)
		}
	}
}

// firstAttention reports whether a partner-offer impression is the first of its decision to
// reach this customer, marking it: the decision's other partner offers spend nothing more.
func (p *People) firstAttention(shopID, customerKey, decisionID string) bool {
	x := p.get(shopID, customerKey)
	h := p.hash("attention", decisionID)
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.attended == h {
		return false
	}
	x.attended = h
	return true
}

// firstCharge reports whether an engagement or conversion of a decision is the first of its
// type for the customer and offer (see Engine.firstCharge).
func (p *People) firstCharge(shopID, customerKey, offerID, typ, decisionID string) bool {
	x := p.lookup(shopID, customerKey)
	id, known := p.names.find(offerID)
	if x == nil || !known {
		return true
	}
	key := p.hash(typ, decisionID)
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range x.offers {
		if s := &x.offers[i]; s.id == id {
			return !slices.Contains(s.charged[:], key)
		}
	}
	return true
}

// SetProfile records a customer's consent and first-party attributes from their profile, under
// their id and under their email hash: a request may name the customer either way.
func (p *People) SetProfile(shopID string, c *epilogue.Customer) {
	keys := []string{"id:" + c.ID}
	if c.EmailSHA256 != "" {
		keys = append(keys, "em:"+c.EmailSHA256)
	}
	for _, k := range keys {
		x := p.get(shopID, k)
		x.mu.Lock()
		x.consent = c.Consent
		x.attrs = c.Attributes
		x.mu.Unlock()
	}
}

// CustomerSource pages through stored customer profiles.
type CustomerSource interface {
	CustomersAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Customer, int64, error)
}

// LoadProfiles loads the consent and attributes of every stored customer who has any, so
// decisions read them from memory. It returns how many it loaded.
func (p *People) LoadProfiles(ctx context.Context, src CustomerSource) (int, error) {
	n := 0
	var seq int64
	for {
		cs, last, err := src.CustomersAfter(ctx, seq, 5000)
		if err != nil {
			return n, err
		}
		for _, c := range cs {
			if c.ErasedAt == nil && (len(c.Attributes) > 0 || c.Consent != (epilogue.Consent{})) {
				p.SetProfile(c.ShopID, c)
				n++
			}
		}
		if len(cs) < 5000 {
			return n, nil
		}
		seq = last
	}
}

func (x *person) offer(id uint32) *offerState {
	for i := range x.offers {
		if x.offers[i].id == id {
			return &x.offers[i]
		}
	}
	x.offers = append(x.offers, offerState{id: id})
	return &x.offers[len(x.offers)-1]
}

// history returns what scorers see of the customer's past, made afresh (the caller holds
// x.mu); emptyHistory when there is none.
func (x *person) history(n *names) *epilogue.History {
	engaged, dismissed := 0, 0
	for _, s := range x.offers {
		if s.engaged != 0 {
			engaged++
		}
		if s.dismissed != 0 {
			dismissed++
		}
	}
	if x.orders == 0 && len(x.categories)+engaged+dismissed == 0 {
		return emptyHistory
	}
	// One backing array for the three lists: a decision makes two allocations here, not four.
	all := make([]string, 0, len(x.categories)+engaged+dismissed)
	for _, c := range x.categories {
		all = append(all, n.str(c))
	}
	for _, s := range x.offers {
		if s.engaged != 0 {
			all = append(all, n.str(s.id))
		}
	}
	for _, s := range x.offers {
		if s.dismissed != 0 {
			all = append(all, n.str(s.id))
		}
	}
	c, e := len(x.categories), len(x.categories)+engaged
	return &epilogue.History{Orders: x.orders, Categories: nilIfEmpty(all[:c:c]), Engaged: nilIfEmpty(all[c:e:e]), Dismissed: nilIfEmpty(all[e:])}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// hash names a string of some kind (a charge's event type and decision, an order ref) by 64
// bits: they cannot collide among the few kept per customer.
func (p *People) hash(kind, s string) uint64 {
	var h maphash.Hash
	h.SetSeed(p.seed)
	h.WriteString(kind)
	h.WriteByte(0)
	h.WriteString(s)
	return h.Sum64()
}

func (s *offerState) charge(key uint64) {
	copy(s.charged[1:], s.charged[:len(s.charged)-1])
	s.charged[0] = key
}

// reason returns why the customer should not see offer o now, or "".
func (x *person) reason(n *names, o *epilogue.Offer, now time.Time, dismissal time.Duration) reason {
	if id, ok := n.find(o.ID); ok {
		for i := range x.offers {
			s := &x.offers[i]
			if s.id != id {
				continue
			}
			if s.converted != 0 {
				return rConverted
			}
			if s.dismissed != 0 && now.UnixNano()-s.dismissed < int64(dismissal) {
				return rDismissed
			}
			if c := o.FrequencyCap; c.Count > 0 {
				since := now.UnixNano() - int64(c.Period)
				k := 0
				for _, im := range x.impressions {
					if im.offer == id && im.at > since {
						k++
					}
				}
				if k >= c.Count {
					return rFrequencyCap
				}
			}
			break
		}
	}
	if x.bought(n, o.ProductID) || x.bought(n, o.Action.SKU) {
		return rPurchased
	}
	return rNone
}

func (x *person) bought(n *names, product string) bool {
	if product == "" {
		return false
	}
	id, ok := n.find(product)
	return ok && slices.Contains(x.products, id)
}
