package decide

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
)

// state returns a customer's state, unlocked, failing when there is none.
func state(t *testing.T, p *People, customer string) personRef {
	t.Helper()
	x, _ := p.lock("shop", customer, false)
	if x.person == nil {
		t.Fatalf("no state for %s", customer)
	}
	x.mu.Unlock()
	return x
}

// nameList returns the names a section of names holds.
func nameList(p *People, ws []uint64) []string {
	var out []string
	strs := p.names.all()
	for _, w := range ws {
		out = append(out, strs[w])
	}
	return out
}

// model is what a customer's sections should hold, kept the plain way.
type model struct {
	offers      []offerState
	charges     [][2]uint64
	impressions [][2]uint64
	products    []string
	categories  []string
	refs        []string
	orders      int
}

func (m *model) offer(id uint32) *offerState {
	for i := range m.offers {
		if m.offers[i].id == id {
			return &m.offers[i]
		}
	}
	m.offers = append(m.offers, offerState{id: id})
	return &m.offers[len(m.offers)-1]
}

// dropOldest drops the first pair of an offer when there are more than limit of them.
func dropOldest(s [][2]uint64, id uint32, limit int) [][2]uint64 {
	n, first := 0, -1
	for i, v := range s {
		if uint32(v[0]) == id {
			if n == 0 {
				first = i
			}
			n++
		}
	}
	if n > limit {
		return slices.Delete(s, first, first+1)
	}
	return s
}

func pairs(ws []uint64) [][2]uint64 {
	var out [][2]uint64
	for i := 0; i < len(ws); i += 2 {
		out = append(out, [2]uint64{ws[i], ws[i+1]})
	}
	return out
}

// Every section keeps its items, in order, however the others grow and shrink around it; the
// per-offer bounds of impressions and charges and the bound of order refs hold.
func TestPeopleSections(t *testing.T) {
	p := NewPeople(1000)
	r := rand.New(rand.NewPCG(1, 2))
	var m model
	types := []string{epilogue.EventImpression, epilogue.EventImpression, epilogue.EventEngagement, epilogue.EventDismissal, epilogue.EventConversion}
	for step := range 3000 {
		if r.IntN(3) == 0 {
			var items []epilogue.CartItem
			for range r.IntN(3) {
				items = append(items, epilogue.CartItem{SKU: "sku" + strconv.Itoa(r.IntN(200)), ProductID: "prod" + strconv.Itoa(r.IntN(50)), Category: "Cat" + strconv.Itoa(r.IntN(30))})
			}
			ref := "ref" + strconv.Itoa(r.IntN(40))
			p.Purchased("shop", "c", ref, items)
			if !slices.Contains(m.refs, ref) {
				m.refs = append(m.refs, ref)
				if len(m.refs) > maxRefs {
					m.refs = m.refs[1:]
				}
				m.orders++
				for _, it := range items {
					for _, v := range []string{it.ProductID, it.SKU} {
						if !slices.Contains(m.products, v) {
							m.products = append(m.products, v)
						}
					}
					if c := epilogue.Fold(it.Category); !slices.Contains(m.categories, c) {
						m.categories = append(m.categories, c)
					}
				}
			}
		} else {
			off, typ, at := "off"+strconv.Itoa(r.IntN(8)), types[r.IntN(len(types))], t0.Add(time.Duration(step)*time.Second)
			dec := "dec" + strconv.Itoa(r.IntN(400))
			p.Observe("shop", "c", off, typ, at, dec)
			id := p.names.id(off)
			s := m.offer(id)
			switch typ {
			case epilogue.EventImpression:
				w := impressionWord(id, p.hash(typ, dec))
				if !slices.ContainsFunc(m.impressions, func(v [2]uint64) bool { return v[0] == w }) { // a showing counts once
					m.impressions = dropOldest(append(m.impressions, [2]uint64{w, uint64(at.UnixNano())}), id, maxImpressions)
				}
			case epilogue.EventEngagement:
				s.engaged = at.UnixNano()
				m.charges = dropOldest(append(m.charges, [2]uint64{uint64(id), p.hash(typ, dec)}), id, maxCharges)
			case epilogue.EventDismissal:
				s.dismissed = at.UnixNano()
			case epilogue.EventConversion:
				s.converted = at.UnixNano()
				m.charges = dropOldest(append(m.charges, [2]uint64{uint64(id), p.hash(typ, dec)}), id, maxCharges)
			}
		}
		x := state(t, p, "c")
		var offers []offerState
		for i := range x.offers().len() {
			offers = append(offers, x.offers().at(i))
		}
		var refs []string
		for _, h := range x.section(refsSec) {
			for _, ref := range m.refs {
				if p.hash("ref", ref) == h {
					refs = append(refs, ref)
				}
			}
		}
		switch {
		case !slices.Equal(offers, m.offers):
			t.Fatalf("step %d: offers %v, want %v", step, offers, m.offers)
		case !slices.Equal(pairs(x.section(impressionsSec)), m.impressions):
			t.Fatalf("step %d: impressions", step)
		case !slices.Equal(pairs(x.section(chargesSec)), m.charges):
			t.Fatalf("step %d: charges", step)
		case !slices.Equal(nameList(p, x.section(productsSec)), m.products):
			t.Fatalf("step %d: products %v, want %v", step, nameList(p, x.section(productsSec)), m.products)
		case !slices.Equal(nameList(p, x.section(categoriesSec)), m.categories):
			t.Fatalf("step %d: categories", step)
		case !slices.Equal(refs, m.refs) || x.orders != m.orders:
			t.Fatalf("step %d: refs %v orders %d, want %v %d", step, refs, x.orders, m.refs, m.orders)
		case len(x.ext.words) != x.offset(sections):
			t.Fatalf("step %d: %d words for %v", step, len(x.ext.words), x.n)
		}
	}
	if len(m.products) < 100 || len(m.impressions) < 8*maxImpressions || len(m.charges) < 8*maxCharges {
		t.Fatalf("the test did not fill the sections: %d products, %d impressions, %d charges", len(m.products), len(m.impressions), len(m.charges))
	}
}

// Frequency caps count at most maxImpressions impressions per offer, the latest.
func TestPeopleImpressionsPerOffer(t *testing.T) {
	p := NewPeople(1000)
	for i := range 40 {
		p.Observe("shop", "c", "a", epilogue.EventImpression, t0.Add(time.Duration(i)*time.Minute), "d"+strconv.Itoa(i))
		p.Observe("shop", "c", "b", epilogue.EventImpression, t0.Add(time.Duration(i)*time.Minute), "d"+strconv.Itoa(i))
	}
	x := state(t, p, "c")
	capped := func(n int, period time.Duration) bool {
		o := &epilogue.Offer{ID: "a", FrequencyCap: epilogue.FrequencyCap{Count: n, Period: epilogue.Duration(period)}}
		return x.reason(&p.names, o, t0.Add(40*time.Minute), time.Hour) == rFrequencyCap
	}
	if !capped(maxImpressions, time.Hour) || capped(maxImpressions+1, time.Hour) {
		t.Fatal("cap does not count the kept impressions")
	}
	// Kept: minutes 8 to 39. In the last 30 minutes (after minute 10): 29 of them.
	if !capped(29, 30*time.Minute) || capped(30, 30*time.Minute) {
		t.Fatal("not the latest impressions kept")
	}
}

// An impression of one decision and offer sent again (a page that rendered twice, each time with
// a new event id) is one showing: a frequency cap of 2 is not used up by it.
func TestPeopleImpressionOfADecisionCountsOnce(t *testing.T) {
	p := NewPeople(1000)
	for range 3 {
		p.Observe("shop", "c", "a", epilogue.EventImpression, t0, "dec1")
	}
	o := &epilogue.Offer{ID: "a", FrequencyCap: epilogue.FrequencyCap{Count: 2, Period: epilogue.Duration(time.Hour)}}
	if x := state(t, p, "c"); x.reason(&p.names, o, t0.Add(time.Minute), time.Hour) == rFrequencyCap {
		t.Fatal("one showing told three times used up a cap of 2")
	}
	p.Observe("shop", "c", "a", epilogue.EventImpression, t0, "dec2")
	if x := state(t, p, "c"); x.reason(&p.names, o, t0.Add(time.Minute), time.Hour) != rFrequencyCap {
		t.Fatal("two showings did not reach a cap of 2")
	}
}

// The latest maxCharges charges of each offer are remembered.
func TestPeopleChargesPerOffer(t *testing.T) {
	p := NewPeople(1000)
	for i := range 6 {
		p.Observe("shop", "c", "a", epilogue.EventEngagement, t0, "dec"+strconv.Itoa(i))
	}
	p.Observe("shop", "c", "b", epilogue.EventConversion, t0, "dec0")
	for i := range 6 {
		want := i < 6-maxCharges
		if got := p.firstCharge("shop", "c", "a", epilogue.EventEngagement, "dec"+strconv.Itoa(i)); got != want {
			t.Errorf("engagement dec%d: first %v", i, got)
		}
	}
	if p.firstCharge("shop", "c", "b", epilogue.EventConversion, "dec0") || !p.firstCharge("shop", "c", "b", epilogue.EventEngagement, "dec0") ||
		!p.firstCharge("shop", "c", "c", epilogue.EventConversion, "dec0") || !p.firstCharge("shop", "other", "b", epilogue.EventConversion, "dec0") {
		t.Error("charges of another offer, type or customer")
	}
}

// A forgotten customer's slot goes to the next new one, emptied, and whoever still holds it
// sees it is no longer theirs.
func TestPeopleForgetReusesSlot(t *testing.T) {
	p := NewPeople(1000)
	p.SetProfile("shop", &epilogue.Customer{ID: "a", Attributes: map[string]string{"tier": "gold"}})
	p.Purchased("shop", "id:a", "r1", []epilogue.CartItem{{SKU: "s", Category: "c"}})
	old, ka := p.lock("shop", "id:a", false)
	if old.attrs()["tier"] != "gold" || !old.bought(&p.names, "s") {
		t.Fatal("state not recorded")
	}
	old.mu.Unlock()
	sit := situation{person: old, personKey: ka}

	p.Forget("shop", "id:a")
	p.Forget("shop", "id:a") // twice: nothing more
	if x, _ := p.lock("shop", "id:a", false); x.person != nil {
		t.Fatal("forgotten customer still known")
	}
	if sit.lockPerson() || sit.person.person != nil {
		t.Fatal("a decision kept a forgotten customer")
	}
	// The next new customer of the same shard gets the slot, with nothing of a's.
	var b string
	for i := 0; b == ""; i++ {
		if c := "id:b" + strconv.Itoa(i); p.key("shop", c)%64 == ka%64 {
			b = c
		}
	}
	p.Observe("shop", b, "off", epilogue.EventImpression, t0, "d")
	x := state(t, p, b)
	if x.person != old.person || x.ext != old.ext {
		t.Fatal("slot not reused")
	}
	if x.orders != 0 || x.n != [sections]uint32{offersSec: 1, impressionsSec: 1} || len(x.ext.words) != 6 || x.ext.profile != nil {
		t.Fatalf("reused slot not empty: %+v %+v", x.personState, *x.ext)
	}
	sit = situation{person: old, personKey: ka}
	if sit.lockPerson() {
		t.Fatal("a decision took another customer's state")
	}
}

// A profile sets consent and attributes, and the next one replaces them.
func TestPeopleProfiles(t *testing.T) {
	p := NewPeople(1000)
	no := false
	p.SetProfile("shop", &epilogue.Customer{ID: "a", EmailSHA256: "h", Consent: epilogue.Consent{Partners: &no}})
	for _, k := range []string{"id:a", "em:h"} {
		if x := state(t, p, k); x.consent().Partners != &no || x.attrs() != nil {
			t.Fatalf("%s: %+v", k, x.ext.profile)
		}
	}
	p.SetProfile("shop", &epilogue.Customer{ID: "a"})
	if x := state(t, p, "id:a"); x.consent() != (epilogue.Consent{}) || x.ext.profile != nil {
		t.Fatalf("profile not replaced: %+v", x.ext.profile)
	}
}

// At its limit a shard evicts a customer to make room, and every customer kept has only their
// own state.
func TestPeopleEviction(t *testing.T) {
	p := NewPeople(64 * 3) // 4 per shard
	for i := range 2000 {
		c := "id:c" + strconv.Itoa(i)
		p.Purchased("shop", c, "r", []epilogue.CartItem{{SKU: c}})
		p.Observe("shop", c, c, epilogue.EventDismissal, t0, "d")
	}
	kept := 0
	for i := range p.shards {
		sh := &p.shards[i]
		if len(sh.m) > p.limit {
			t.Fatalf("shard %d holds %d", i, len(sh.m))
		}
		if n := len(sh.slabs); n != 1 {
			t.Fatalf("shard %d has %d slabs", i, n)
		}
		kept += len(sh.m)
	}
	for i := range 2000 {
		c := "id:c" + strconv.Itoa(i)
		x, _ := p.lock("shop", c, false)
		if x.person == nil {
			continue
		}
		kept--
		if x.orders != 1 || !slices.Equal(nameList(p, x.section(productsSec)), []string{c}) || x.offers().len() != 1 || p.names.all()[x.offers().at(0).id] != c {
			t.Errorf("%s: %+v", c, x.personState)
		}
		x.mu.Unlock()
	}
	if kept != 0 {
		t.Fatalf("%d customers in maps but not found", kept)
	}
}

// Slabs grow from firstSlab to slabSize persons, and slots stay where they are.
func TestPeopleSlabs(t *testing.T) {
	p := NewPeople(1 << 20)
	const n = 64 * 1000
	for i := range n {
		p.Purchased("shop", "id:c"+strconv.Itoa(i), "", []epilogue.CartItem{{SKU: strconv.Itoa(i)}})
	}
	for i := range p.shards {
		sh := &p.shards[i]
		total := 0
		for j, sl := range sh.slabs {
			if want := min(firstSlab<<j, slabSize); len(sl.people) != want {
				t.Fatalf("shard %d slab %d: %d persons", i, j, len(sl.people))
			}
			total += len(sl.people)
		}
		if total-len(sh.m) >= slabSize {
			t.Fatalf("shard %d: %d slots for %d customers", i, total, len(sh.m))
		}
	}
	for i := range n {
		x := state(t, p, "id:c"+strconv.Itoa(i))
		if !x.bought(&p.names, strconv.Itoa(i)) || x.n[productsSec] != 1 {
			t.Fatalf("customer %d: %v", i, nameList(p, x.section(productsSec)))
		}
	}
}

// Events, orders, profiles, erasures and evictions of the same customers at once, with
// decisions: run with -race.
func TestPeopleConcurrentForgetAndEvict(t *testing.T) {
	var offers []*epilogue.Offer
	for i := 0; i < 10; i++ {
		offers = append(offers, offer(t, issueOffer, func(o *epilogue.Offer) { o.ExclusionGroup = ""; o.FrequencyCap.Count = 50 }))
	}
	f := newFixture(t, offers)
	f.e.recorder = nil
	f.e.people = NewPeople(64 * 2) // 3 per shard: evictions all along
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 400 {
				cust := fmt.Sprint("c", (i*7+g)%200)
				p := f.e.People()
				switch i % 4 {
				case 0:
					p.Forget(f.shop.ID, "id:"+cust)
				case 1:
					p.SetProfile(f.shop.ID, &epilogue.Customer{ID: cust, Attributes: map[string]string{"loyalty_tier": "gold"}})
				}
				for k := range 12 {
					p.Observe(f.shop.ID, "id:"+cust, offers[k%10].ID, epilogue.EventImpression, t0, "d")
				}
				req := request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = cust })
				if _, err := f.e.Decide(f.shop.ID, req, i%3 == 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// customerLog is a store's customer changes, as FollowCustomers reads them.
type customerLog struct {
	changes   []*epilogue.Activity
	customers map[string]*epilogue.Customer
}

func (l *customerLog) CustomerChangesAfter(_ context.Context, after int64, limit int) ([]*epilogue.Activity, int64, error) {
	var out []*epilogue.Activity
	last := after
	for _, a := range l.changes {
		if a.Seq > after && len(out) < limit {
			out, last = append(out, a), a.Seq
		}
	}
	return out, last, nil
}

func (l *customerLog) Customer(_ context.Context, _, id string) (*epilogue.Customer, error) {
	if c := l.customers[id]; c != nil {
		return c, nil
	}
	return nil, epilogue.NotFound("customer", id)
}

func (l *customerLog) put(c *epilogue.Customer) {
	l.customers[c.ID] = c
	l.changes = append(l.changes, &epilogue.Activity{Seq: int64(len(l.changes) + 1), ShopID: "shop", Kind: epilogue.ActivityCustomerChanged, CustomerID: c.ID})
}

// A replica takes up the profiles another one stored (consent, attributes), and forgets an
// erased customer under both keys, though the erased record no longer has the email.
func TestSyncCustomersFollowsOtherReplicas(t *testing.T) {
	e := New(Config{})
	log := &customerLog{customers: map[string]*epilogue.Customer{}}
	no := false
	log.put(&epilogue.Customer{ID: "a", EmailSHA256: "h", Attributes: map[string]string{"tier": "gold"}, Consent: epilogue.Consent{Partners: &no}})
	seq, err := e.SyncCustomers(context.Background(), log, 0)
	if err != nil || seq != 1 {
		t.Fatalf("sync: %d %v", seq, err)
	}
	for _, k := range []string{"id:a", "em:h"} {
		if x := state(t, e.people, k); x.consent().Partners != &no || x.attrs()["tier"] != "gold" {
			t.Fatalf("%s: %+v", k, x.ext.profile)
		}
	}
	erased := time.Now()
	log.put(&epilogue.Customer{ID: "a", ErasedAt: &erased})
	if seq, err = e.SyncCustomers(context.Background(), log, seq); err != nil || seq != 2 {
		t.Fatalf("sync: %d %v", seq, err)
	}
	for _, k := range []string{"id:a", "em:h"} {
		if x, _ := e.people.lock("shop", k, false); x.person != nil {
			x.mu.Unlock()
			t.Fatalf("%s is remembered after the erasure", k)
		}
	}
}

// Purchases add names only while the table is below its bound; known names and offer ids are
// always numbered.
func TestNamesBound(t *testing.T) {
	var n names
	if _, ok := n.add("sku-1", 1); !ok {
		t.Fatal("the first name was refused")
	}
	if _, ok := n.add("sku-2", 1); ok {
		t.Fatal("a name past the bound was added")
	}
	if id, ok := n.add("sku-1", 1); !ok || id != 0 {
		t.Fatal("a known name was refused at the bound")
	}
	if id := n.id("off_1"); id != 1 {
		t.Fatalf("an offer id past the bound: %d", id)
	}
}

// customers is a store's customers, as LoadProfiles reads them.
type customers []*epilogue.Customer

func (c customers) CustomersAfter(_ context.Context, after int64, limit int) ([]*epilogue.Customer, int64, error) {
	if after > 0 {
		return nil, after, nil
	}
	return c, int64(len(c)), nil
}

// A restart remembers the customers erased within a token's lifetime, by their ids.
func TestLoadProfilesRemembersErasures(t *testing.T) {
	p := NewPeople(1000)
	recent, old := time.Now().Add(-time.Hour), time.Now().Add(-2*tombstoneTTL)
	if _, err := p.LoadProfiles(context.Background(), customers{
		{ID: "gone", ShopID: "shop", ErasedAt: &recent}, {ID: "long-gone", ShopID: "shop", ErasedAt: &old}, {ID: "here", ShopID: "shop"},
	}); err != nil {
		t.Fatal(err)
	}
	if !p.Erased("shop", "id:gone") || p.Erased("shop", "id:long-gone") || p.Erased("shop", "id:here") {
		t.Fatal("erasures remembered wrongly")
	}
}
