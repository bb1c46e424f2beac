package decide

import (
	"context"
	"hash/maphash"
	"math"
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
// marks every pointer in it on every cycle. So a person holds no strings: offer ids, products
// and categories are numbers from one table of names (each name stored once), order refs and
// decision ids are hashes. And customer state is laid out so that the collector has about one
// object per customer to mark and nothing to scan: see person.
type People struct {
	seed   maphash.Seed
	shards [64]peopleShard
	limit  int // customers per shard before eviction
	names  names
	erased tombstones
}

// tombstones remember the keys of erased customers for as long as a token handed out before
// the erasure is accepted: an event sent with one would otherwise store the customer's key
// again, beside the pseudonym their earlier events were given. Kept are hashes of the keys.
type tombstones struct {
	mu    sync.RWMutex         // read by every event
	m     map[uint64]time.Time // p.key(shop, customer key) -> when erased
	sweep int                  // the size at which the outlived ones are swept next
}

// tombstoneTTL is how long an erased key is remembered: past it, every token that names the
// key has expired.
const tombstoneTTL = TokenTTL + maxPast

func (t *tombstones) add(k uint64, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m, t.sweep = map[uint64]time.Time{}, 1<<16
	}
	if len(t.m) >= t.sweep { // what has outlived every token goes; the next sweep waits for as many again
		for k, when := range t.m {
			if at.Sub(when) > tombstoneTTL {
				delete(t.m, k)
			}
		}
		t.sweep = max(2*len(t.m), 1<<16)
	}
	t.m[k] = at
}

func (t *tombstones) has(k uint64) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	_, ok := t.m[k]
	return ok
}

// Erase forgets a customer under each of its keys and remembers the keys as erased at at (see
// tombstones).
func (p *People) Erase(shopID string, at time.Time, keys ...string) {
	for _, k := range keys {
		if k == "" {
			continue
		}
		p.Forget(shopID, k)
		p.erased.add(p.key(shopID, k), at)
	}
}

// Erased reports whether a customer key belongs to a customer erased within tombstoneTTL.
func (p *People) Erased(shopID, customerKey string) bool {
	return customerKey != "" && p.erased.has(p.key(shopID, customerKey))
}

// peopleShard holds its customers in slabs. The map gives a customer's slot, a number, so that
// it holds no pointers and the collector does not look into it. Slabs are never freed: the slot
// of a forgotten or evicted customer is reused.
type peopleShard struct {
	mu    sync.RWMutex
	m     map[uint64]uint32 // customer key -> slot: slabs[slot>>slabShift], at slot&(slabSize-1)
	slabs []slab
	used  int      // slots handed out of the last slab
	free  []uint32 // slots of forgotten and evicted customers
}

// slab is a chunk of persons, without a pointer among them, so that the collector marks the
// chunk and does not scan it, and beside them their extras, the only pointers of customer state:
// person i's is extras[i/extraChunk][i%extraChunk].
//
// The extras are in arrays of extraChunk, 512 bytes, because the collector scans such small
// objects a span at a time, much faster per pointer than bigger ones: with Go 1.26, 100,000 nil
// pointers cost a collection 0.07 ms in 512-byte arrays, 1 ms in arrays of 1 or 2 KB.
type slab struct {
	people []person
	extras [][]extra
}

const (
	slabShift  = 8
	slabSize   = 1 << slabShift // persons in a full slab
	firstSlab  = 8              // persons in a shard's first slab; each next one is twice the last
	extraChunk = 16             // extras in one array: 512 bytes
)

// person is one customer of one shop. Fields are guarded by mu, and so is the person's extra:
// personRef holds both.
//
// With 100,000 customers in memory, a person made of a struct, five slices and a map was about
// six heap objects reached by pointers, 600,000 in all, and the collector's mark phase, whose
// cost is the objects and pointers it visits far more than the bytes, took 35-40 ms every few
// seconds, during which decisions queued. So a person holds no pointer and lives in a slab, and
// all its collections are sections of one slice of words, its extra's words, which has no
// pointers either: a customer is one object to mark (two and their attributes with a profile),
// whatever they did and however long their history grows.
//
// A slot is reused once its customer is forgotten or evicted, so whoever finds a person and then
// locks it checks it still holds the same customer (holds; People.lock does).
type person struct {
	mu sync.Mutex
	personState
}

// personState is all of a person but its lock, so that a slot can be emptied under the lock.
type personState struct {
	key uint64 // the customer, when live
	// attended is the hash of the latest decision whose partner offers spent attention.
	attended uint64
	orders   int
	n        [sections]uint32 // items in each section of the words
	live     bool             // the slot holds a customer, key
}

// extra is the part of a person that holds pointers.
type extra struct {
	words   []uint64 // the person's collections, section after section; nil while all are empty
	profile *profile // nil without one
}

// profile is what the customer's profile says.
type profile struct {
	attrs   map[string]string
	consent epilogue.Consent
	email   string // the customer's "em:" key, which an erased record no longer tells
}

// section is one of a person's collections, a section of its words. Items of a section are
// kept in the order they were added.
type section int

const (
	offersSec      section = iota // the customer's history with an offer: see offerState
	chargesSec                    // a charged engagement or conversion: offer, hash of the type and decision id
	impressionsSec                // an impression: offer (low half) and decision (high half, see impressionWord), Unix nanoseconds; most recent last
	productsSec                   // a product id or sku bought (a name)
	categoriesSec                 // a category bought (a name)
	refsSec                       // the hash of the confirmation ref of an order, so one order counts once
	sections
)

// width is the words of an item of each section.
var width = [sections]int{offersSec: offerWords, chargesSec: 2, impressionsSec: 2, productsSec: 1, categoriesSec: 1, refsSec: 1}

// offerState is one customer's history with one offer. Times are Unix nanoseconds (0: never).
type offerState struct {
	id        uint32 // the offer's id (a name)
	engaged   int64
	dismissed int64
	converted int64
}

// offerList is the words of the offers section, offerWords an offer.
type offerList []uint64

const offerWords = 4

func (l offerList) len() int { return len(l) / offerWords }

func (l offerList) at(i int) offerState {
	w := l[i*offerWords:]
	return offerState{id: uint32(w[0]), engaged: int64(w[1]), dismissed: int64(w[2]), converted: int64(w[3])}
}

func (l offerList) set(i int, s offerState) {
	w := l[i*offerWords:]
	w[0], w[1], w[2], w[3] = uint64(s.id), uint64(s.engaged), uint64(s.dismissed), uint64(s.converted)
}

// maxImpressions bounds the impressions kept per customer and offer; frequency caps above it
// count the kept ones only.
const maxImpressions = 32

// maxCharges bounds the charges kept per customer and offer.
const maxCharges = 4

// maxRefs bounds the order refs remembered per customer.
const maxRefs = 8

// names numbers the strings customer state refers to. It only grows: its names are the offer
// ids, products and categories of the shops' catalogs, not one per customer.
type names struct {
	mu   sync.RWMutex
	ids  map[string]uint32
	strs []string
}

// maxPurchaseNames bounds the names that purchases may add (products, skus, categories). They
// come from decision requests, which a browser with a publishable key sends as it likes: without
// a bound, requests of made-up skus grew the table, which is never pruned, without end (an
// extra 250 MB after 6,000 large requests). Past it a new product or category is not kept in
// customers' history; offer ids, which only a secret key creates, are always numbered.
const maxPurchaseNames = 1 << 20

// id returns the number of s, adding it.
func (n *names) id(s string) uint32 {
	id, _ := n.add(s, -1)
	return id
}

// purchaseID returns the number of s, adding it only while the table holds fewer than
// maxPurchaseNames names.
func (n *names) purchaseID(s string) (uint32, bool) { return n.add(s, maxPurchaseNames) }

// add returns the number of s, adding it when the table holds fewer than limit names (any
// number for a negative limit).
func (n *names) add(s string, limit int) (uint32, bool) {
	if id, ok := n.find(s); ok {
		return id, true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if id, ok := n.ids[s]; ok {
		return id, true
	}
	if limit >= 0 && len(n.strs) >= limit {
		return 0, false
	}
	if n.ids == nil {
		n.ids = map[string]uint32{}
	}
	id := uint32(len(n.strs))
	s = strings.Clone(s) // not a slice of some request's body
	n.strs = append(n.strs, s)
	n.ids[s] = id
	return id, true
}

// find returns the number of s, if it has one.
func (n *names) find(s string) (uint32, bool) {
	n.mu.RLock()
	id, ok := n.ids[s]
	n.mu.RUnlock()
	return id, ok
}

// all returns the strings numbered so far, by number, with one lock for a loop of lookups.
// Numbers are only ever appended, so the slice holds every number handed out before the call.
func (n *names) all() []string {
	n.mu.RLock()
	strs := n.strs
	n.mu.RUnlock()
	return strs
}

// NewPeople returns an empty cache holding at most about limit customers.
func NewPeople(limit int) *People {
	p := &People{seed: maphash.MakeSeed(), limit: limit/64 + 1}
	for i := range p.shards {
		p.shards[i].m = map[uint64]uint32{}
	}
	return p
}

func (p *People) key(shopID, customerKey string) uint64 { return p.hash(shopID, customerKey) }

// personRef is a customer's state: the person and its extra.
type personRef struct {
	*person
	ext *extra
}

// lock returns the customer's state, locked, and the customer's key; none (x.person is nil) when
// nothing is known and create is false, else after creating it.
func (p *People) lock(shopID, customerKey string, create bool) (personRef, uint64) {
	if customerKey == "" && !create {
		return personRef{}, 0
	}
	k := p.key(shopID, customerKey)
	for {
		x := p.find(k, create)
		if x.person == nil {
			return x, k
		}
		x.mu.Lock()
		if x.holds(k) {
			return x, k
		}
		// Forgotten or evicted between find and Lock, the slot maybe another customer's now.
		x.mu.Unlock()
	}
}

// holds reports whether x is the state of customer k (the caller holds x.mu).
func (x *person) holds(k uint64) bool { return x.live && x.key == k }

// find returns the slot of customer k, unlocked, creating it if asked; none if there is none.
func (p *People) find(k uint64, create bool) personRef {
	sh := &p.shards[k%64]
	sh.mu.RLock()
	s, ok := sh.m[k]
	var x personRef
	if ok {
		x = sh.at(s)
	}
	sh.mu.RUnlock()
	if ok || !create {
		return x
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if s, ok := sh.m[k]; ok {
		return sh.at(s)
	}
	if len(sh.m) >= p.limit {
		for victim, vs := range sh.m { // map order is random: a cheap random eviction
			delete(sh.m, victim)
			s, ok = vs, true
			break
		}
	}
	if !ok {
		s = sh.alloc()
	}
	x = sh.at(s)
	x.mu.Lock()
	x.empty()
	x.key, x.live = k, true
	x.mu.Unlock()
	sh.m[k] = s
	return x
}

// at returns the customer in slot s (the caller holds sh.mu).
func (sh *peopleShard) at(s uint32) personRef {
	sl, i := &sh.slabs[s>>slabShift], s&(slabSize-1)
	return personRef{&sl.people[i], &sl.extras[i/extraChunk][i%extraChunk]}
}

// alloc returns an empty slot: a forgotten customer's, else the next of the last slab, adding a
// slab when that is full (the caller holds sh.mu).
func (sh *peopleShard) alloc() uint32 {
	if n := len(sh.free); n > 0 {
		s := sh.free[n-1]
		sh.free = sh.free[:n-1]
		return s
	}
	last := len(sh.slabs) - 1
	if last < 0 || sh.used == len(sh.slabs[last].people) {
		size := firstSlab
		if last >= 0 {
			size = min(2*len(sh.slabs[last].people), slabSize)
		}
		sl := slab{people: make([]person, size), extras: make([][]extra, (size+extraChunk-1)/extraChunk)}
		for j := range sl.extras {
			sl.extras[j] = make([]extra, min(size, extraChunk))
		}
		sh.slabs = append(sh.slabs, sl)
		sh.used = 0
		last++
	}
	s := uint32(last)<<slabShift | uint32(sh.used)
	sh.used++
	return s
}

// empty drops all of a customer's state (the caller holds x.mu).
func (x personRef) empty() {
	x.personState = personState{}
	*x.ext = extra{}
}

// Forget drops a customer's state (after erasure).
func (p *People) Forget(shopID, customerKey string) {
	k := p.key(shopID, customerKey)
	sh := &p.shards[k%64]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s, ok := sh.m[k]
	if !ok {
		return
	}
	delete(sh.m, k)
	x := sh.at(s)
	x.mu.Lock()
	x.empty()
	x.mu.Unlock()
	sh.free = append(sh.free, s)
}

// Observe records an offer event for a customer.
func (p *People) Observe(shopID, customerKey, offerID, typ string, t time.Time, decisionID string) {
	if customerKey == "" {
		if typ != epilogue.EventEngagement && typ != epilogue.EventConversion {
			return
		}
		customerKey = anonymousHolder(decisionID) // only its charge is kept (see firstCharge)
	}
	id := p.names.id(offerID)
	x, _ := p.lock(shopID, customerKey, true)
	defer x.mu.Unlock()
	i := x.offer(id)
	s := x.offers().at(i)
	ns := t.UnixNano()
	switch typ {
	case epilogue.EventImpression:
		w := impressionWord(id, p.hash(typ, decisionID))
		if x.hasImpression(w) {
			break // the same showing told again (a page rendered twice): one impression for caps
		}
		x.add(impressionsSec, w, uint64(ns))
		x.trim(impressionsSec, id, maxImpressions)
	case epilogue.EventEngagement:
		s.engaged = max(s.engaged, ns)
		x.charge(id, p.hash(typ, decisionID))
	case epilogue.EventDismissal:
		s.dismissed = max(s.dismissed, ns)
	case epilogue.EventConversion:
		s.converted = max(s.converted, ns)
		x.charge(id, p.hash(typ, decisionID))
	}
	x.offers().set(i, s) // after the adds above, which may have moved the words
}

// impressionWord is an impression's first word: the offer's number in the low half, whose
// readers compare only that, and half of a hash of the decision in the high half, so that an
// impression of the same decision and offer sent again under a new event id counts once.
func impressionWord(id uint32, decision uint64) uint64 { return decision&^math.MaxUint32 | uint64(id) }

func (x personRef) hasImpression(w uint64) bool {
	ims := x.section(impressionsSec)
	for i := 0; i < len(ims); i += width[impressionsSec] {
		if ims[i] == w {
			return true
		}
	}
	return false
}

// charge records a charged engagement or conversion of an offer, dropping the offer's oldest
// past maxCharges.
func (x personRef) charge(id uint32, key uint64) {
	x.add(chargesSec, uint64(id), key)
	x.trim(chargesSec, id, maxCharges)
}

// trim drops the oldest item of an offer from a section of offer items (charges, impressions)
// when it holds more than limit of them.
func (x personRef) trim(s section, id uint32, limit int) {
	ws, w := x.section(s), width[s]
	n, oldest := 0, -1
	for i := 0; i < len(ws); i += w {
		if uint32(ws[i]) == id {
			if n == 0 {
				oldest = i / w
			}
			n++
		}
	}
	if n > limit {
		x.remove(s, oldest)
	}
}

// Purchased records the products and categories a customer bought in one order (ref); the same
// order seen again (another placement, a retried webhook) counts once.
func (p *People) Purchased(shopID, customerKey, ref string, items []epilogue.CartItem) {
	if customerKey == "" {
		return
	}
	var bought, cats []uint32
	for _, it := range items {
		for _, v := range []string{it.ProductID, it.SKU} {
			if v != "" {
				if id, ok := p.names.purchaseID(v); ok {
					bought = append(bought, id)
				}
			}
		}
		if c := epilogue.Fold(it.Category); c != "" {
			if id, ok := p.names.purchaseID(c); ok {
				cats = append(cats, id)
			}
		}
	}
	x, _ := p.lock(shopID, customerKey, true)
	defer x.mu.Unlock()
	if ref != "" {
		h := p.hash("ref", ref)
		if x.hasRef(h) {
			return
		}
		x.add(refsSec, h)
		if x.n[refsSec] > maxRefs {
			x.remove(refsSec, 0)
		}
	}
	x.orders++
	for _, v := range bought {
		if !slices.Contains(x.section(productsSec), uint64(v)) {
			x.add(productsSec, uint64(v))
		}
	}
	for _, c := range cats {
		if !slices.Contains(x.section(categoriesSec), uint64(c)) {
			x.add(categoriesSec, uint64(c))
		}
	}
}

// hasRef reports whether the customer's latest orders include the one with this ref hash.
func (x personRef) hasRef(h uint64) bool { return slices.Contains(x.section(refsSec), h) }

// firstAttention reports whether a partner-offer impression is the first of its decision to
// reach this customer, marking it: the decision's other partner offers spend nothing more.
func (p *People) firstAttention(shopID, customerKey, decisionID string) bool {
	h := p.hash("attention", decisionID)
	x, _ := p.lock(shopID, customerKey, true)
	defer x.mu.Unlock()
	if x.attended == h {
		return false
	}
	x.attended = h
	return true
}

// firstCharge reports whether an engagement or conversion of a decision is the first of its
// type for the customer and offer (see Engine.firstCharge).
//
// An anonymous decision's charges are kept in a state of the decision's own, so that replaying
// its token cannot charge twice either.
func (p *People) firstCharge(shopID, customerKey, offerID, typ, decisionID string) bool {
	if customerKey == "" {
		customerKey = anonymousHolder(decisionID)
	}
	id, known := p.names.find(offerID)
	if !known {
		return true
	}
	key := p.hash(typ, decisionID)
	x, _ := p.lock(shopID, customerKey, false)
	if x.person == nil {
		return true
	}
	defer x.mu.Unlock()
	cs := x.section(chargesSec)
	for i := 0; i < len(cs); i += width[chargesSec] {
		if uint32(cs[i]) == id && cs[i+1] == key {
			return false
		}
	}
	return true
}

// anonymousHolder is the key of the state that keeps an anonymous decision's charges: no
// customer's key has this form ("id:…", "em:…").
func anonymousHolder(decisionID string) string { return "dec:" + decisionID }

// SetProfile records a customer's consent and first-party attributes from their profile, under
// their id and under their email hash: a request may name the customer either way.
func (p *People) SetProfile(shopID string, c *epilogue.Customer) {
	keys := []string{"id:" + c.ID}
	if c.EmailSHA256 != "" {
		keys = append(keys, "em:"+c.EmailSHA256)
	}
	for _, k := range keys {
		x, _ := p.lock(shopID, k, true)
		if c.Consent != (epilogue.Consent{}) || c.Attributes != nil {
			x.ext.profile = &profile{attrs: c.Attributes, consent: c.Consent}
			if c.EmailSHA256 != "" {
				x.ext.profile.email = "em:" + c.EmailSHA256
			}
		} else {
			x.ext.profile = nil
		}
		x.mu.Unlock()
	}
}

// Refresh brings a customer's profile up to date with the stored record: an erased customer is
// forgotten under both keys (the email key from the profile, as the erased record has none),
// any other gets its profile set.
func (p *People) Refresh(shopID string, c *epilogue.Customer) {
	if c.ErasedAt == nil {
		p.SetProfile(shopID, c)
		return
	}
	keys := []string{"id:" + c.ID}
	if x, _ := p.lock(shopID, keys[0], false); x.person != nil {
		if x.ext.profile != nil && x.ext.profile.email != "" {
			keys = append(keys, x.ext.profile.email)
		}
		x.mu.Unlock()
	}
	p.Erase(shopID, *c.ErasedAt, keys...)
}

// consent returns the consent of the customer's profile.
func (x personRef) consent() epilogue.Consent {
	if x.ext.profile == nil {
		return epilogue.Consent{}
	}
	return x.ext.profile.consent
}

// attrs returns the attributes of the customer's profile.
func (x personRef) attrs() map[string]string {
	if x.ext.profile == nil {
		return nil
	}
	return x.ext.profile.attrs
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
			if c.ErasedAt != nil && time.Since(*c.ErasedAt) < tombstoneTTL {
				p.erased.add(p.key(c.ShopID, "id:"+c.ID), *c.ErasedAt) // its email key is gone with the email
			}
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

// section returns the words of a section (the caller holds x.mu). They may be changed in place,
// not appended to.
func (x personRef) section(s section) []uint64 {
	start := x.offset(s)
	end := start + int(x.n[s])*width[s]
	return x.ext.words[start:end:end]
}

// offset returns where a section starts in the words.
func (x personRef) offset(s section) int {
	o := 0
	for t := range s {
		o += int(x.n[t]) * width[t]
	}
	return o
}

// add appends an item, of width[s] words, to a section.
func (x personRef) add(s section, item ...uint64) {
	end := x.offset(s + 1)
	ws := append(x.ext.words, item...)
	copy(ws[end+len(item):], ws[end:]) // the later sections make room
	copy(ws[end:], item)
	x.ext.words = ws
	x.n[s]++
}

// remove drops item i of a section.
func (x personRef) remove(s section, i int) {
	at := x.offset(s) + i*width[s]
	x.ext.words = slices.Delete(x.ext.words, at, at+width[s])
	x.n[s]--
}

// offers returns the customer's offers section.
func (x personRef) offers() offerList { return offerList(x.section(offersSec)) }

// offer returns the index of the customer's state for an offer, adding it.
func (x personRef) offer(id uint32) int {
	offers := x.offers()
	for i := range offers.len() {
		if offers.at(i).id == id {
			return i
		}
	}
	x.add(offersSec, uint64(id), 0, 0, 0) // no event yet
	return int(x.n[offersSec]) - 1
}

// history returns what scorers see of the customer's past, made afresh (the caller holds
// x.mu); emptyHistory when there is none.
func (x personRef) history(n *names) *epilogue.History {
	offers, categories := x.offers(), x.section(categoriesSec)
	engaged, dismissed := 0, 0
	for i := range offers.len() {
		s := offers.at(i)
		if s.engaged != 0 {
			engaged++
		}
		if s.dismissed != 0 {
			dismissed++
		}
	}
	if x.orders == 0 && len(categories)+engaged+dismissed == 0 {
		return emptyHistory
	}
	// One backing array for the three lists: a decision makes two allocations here, not four.
	all, strs := make([]string, 0, len(categories)+engaged+dismissed), n.all()
	for _, c := range categories {
		all = append(all, strs[c])
	}
	for i := range offers.len() {
		if s := offers.at(i); s.engaged != 0 {
			all = append(all, strs[s.id])
		}
	}
	for i := range offers.len() {
		if s := offers.at(i); s.dismissed != 0 {
			all = append(all, strs[s.id])
		}
	}
	c, e := len(categories), len(categories)+engaged
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

// reason returns why the customer should not see offer o now, or "".
func (x personRef) reason(n *names, o *epilogue.Offer, now time.Time, dismissal time.Duration) reason {
	if id, ok := n.find(o.ID); ok {
		offers := x.offers()
		for i := range offers.len() {
			s := offers.at(i)
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
				ims := x.section(impressionsSec)
				k := 0
				for j := 0; j < len(ims); j += width[impressionsSec] {
					if uint32(ims[j]) == id && int64(ims[j+1]) > since {
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

func (x personRef) bought(n *names, product string) bool {
	if product == "" {
		return false
	}
	id, ok := n.find(product)
	return ok && slices.Contains(x.section(productsSec), uint64(id))
}
