package decide

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
)

// People caches what each customer did with offers (impressions for frequency caps, dismissals,
// conversions) and bought, so eligibility never waits on the database. It is fed by accepted
// events and orders, and warmed from the store at start.
type People struct {
	seed   maphash.Seed
	shards [64]peopleShard
	limit  int // customers per shard before eviction
}

type peopleShard struct {
	mu sync.RWMutex
	m  map[uint64]*person
}

// person is one customer of one shop. Fields are guarded by mu; hist is replaced, never
// mutated, so a scorer may read it without the lock.
type person struct {
	mu         sync.Mutex
	offers     []offerState
	products   []string // product ids and skus bought
	categories []string
	orders     int
	refs       []string // confirmation refs of the latest orders, so one order counts once
	consent    epilogue.Consent
	attrs      map[string]string // from the customer profile
	hist       *epilogue.History
	// attended is the latest decision whose partner offers spent attention.
	attended string
}

// offerState is one customer's history with one offer.
type offerState struct {
	id string
	// Times are Unix nanoseconds (0: never), not time.Time: state for millions of customers
	// lives in the heap, and pointer-free values are what the garbage collector skips.
	impressions []int64 // most recent last, bounded
	engaged     int64
	dismissed   int64
	converted   int64
	charged     [4]uint64 // hashes of type+decision id of the latest charged engagements and conversions
}

// maxImpressions bounds the impressions kept per customer and offer; frequency caps above it
// count the kept ones only.
const maxImpressions = 32

// NewPeople returns an empty cache holding at most about limit customers.
func NewPeople(limit int) *People {
	p := &People{seed: maphash.MakeSeed(), limit: limit/64 + 1}
	for i := range p.shards {
		p.shards[i].m = map[uint64]*person{}
	}
	return p
}

func (p *People) key(shopID, customerKey string) uint64 {
	var h maphash.Hash
	h.SetSeed(p.seed)
	h.WriteString(shopID)
	h.WriteByte(0)
	h.WriteString(customerKey)
	return h.Sum64()
}

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
		x = &person{hist: &epilogue.History{}}
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
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.offer(offerID)
	ns := t.UnixNano()
	switch typ {
	case epilogue.EventImpression:
		s.impressions = append(s.impressions, ns)
		if len(s.impressions) > maxImpressions {
			s.impressions = append(s.impressions[:0], s.impressions[len(s.impressions)-maxImpressions:]...)
		}
	case epilogue.EventEngagement:
		s.engaged = max(s.engaged, ns)
		s.charge(p.chargeKey(typ, decisionID))
		x.rebuildHistory()
	case epilogue.EventDismissal:
		s.dismissed = max(s.dismissed, ns)
		x.rebuildHistory()
	case epilogue.EventConversion:
		s.converted = max(s.converted, ns)
		s.charge(p.chargeKey(typ, decisionID))
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
	x.mu.Lock()
	defer x.mu.Unlock()
	if ref != "" {
		if contains(x.refs, ref) {
			return
		}
		x.refs = append(x.refs, ref)
		if len(x.refs) > maxRefs {
			x.refs = x.refs[1:]
		}
	}
	x.orders++
	for _, it := range items {
		for _, v := range []string{it.ProductID, it.SKU} {
			if v != "" && !contains(x.products, v) {
				x.products = append(x.products, v)
			}
		}
		if c := epilogue.Fold(it.Category); c != "" && !contains(x.categories, c) {
			x.categories = append(x.categories, c)
		}
	}
	x.rebuildHistory()
}

// firstAttention reports whether a partner-offer impression is the first of its decision to
// reach this customer, marking it: the decision's other partner offers spend nothing more.
func (p *People) firstAttention(shopID, customerKey, decisionID string) bool {
	x := p.get(shopID, customerKey)
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.attended == decisionID {
		return false
	}
	x.attended = decisionID
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

func (x *person) offer(id string) *offerState {
	for i := range x.offers {
		if x.offers[i].id == id {
			return &x.offers[i]
		}
	}
	x.offers = append(x.offers, offerState{id: id})
	return &x.offers[len(x.offers)-1]
}

// rebuildHistory publishes a fresh immutable History for scorers.
func (x *person) rebuildHistory() {
	h := &epilogue.History{Orders: x.orders, Categories: append([]string(nil), x.categories...)}
	for _, s := range x.offers {
		if s.engaged != 0 {
			h.Engaged = append(h.Engaged, s.id)
		}
		if s.dismissed != 0 {
			h.Dismissed = append(h.Dismissed, s.id)
		}
	}
	x.hist = h
}

// chargeKey names a charge (an event type of one decision) by a hash: 64 bits cannot collide
// among the four kept per customer and offer.
func (p *People) chargeKey(typ, decisionID string) uint64 {
	var h maphash.Hash
	h.SetSeed(p.seed)
	h.WriteString(typ)
	h.WriteByte(0)
	h.WriteString(decisionID)
	return h.Sum64()
}

func (s *offerState) charge(key uint64) {
	copy(s.charged[1:], s.charged[:len(s.charged)-1])
	s.charged[0] = key
}

// reason returns why the customer should not see offer o now, or "".
func (x *person) reason(o *epilogue.Offer, now time.Time, dismissal time.Duration) reason {
	for i := range x.offers {
		s := &x.offers[i]
		if s.id != o.ID {
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
			n := 0
			for _, t := range s.impressions {
				if t > since {
					n++
				}
			}
			if n >= c.Count {
				return rFrequencyCap
			}
		}
		break
	}
	if (o.ProductID != "" && contains(x.products, o.ProductID)) || (o.Action.SKU != "" && contains(x.products, o.Action.SKU)) {
		return rPurchased
	}
	return rNone
}
