package learn

import (
	"math/bits"
	"unsafe"

	"github.com/epiloguehq/epilogue"
)

// offerInfo is what scoring needs of an offer that depends neither on the moment nor on the
// model: the hashes of its id and payout model, the numbers of its feature groups (see
// groupMemo), and its value's coefficients.
type offerInfo struct {
	group [numGroups]int32
	epoch uint32
	// pair is the sum of the offer's id and payout model weights, the same at every moment:
	// valid when epoch is the cache's (the weights are those of the model last scored with).
	// The id's slot is a cache miss of its own for every candidate, a tenth of Score's time.
	pair             sums
	margin, cpc, cpa float64 // the margin; the payout amount for CPC offers, else 0; for CPA offers
	id, pay          uint64
}

// nominalEngagement is the value epilogue.Offer.ValueOf puts on an engagement itself.
var nominalEngagement = (&epilogue.Offer{}).ValueOf(1, 0)

// value is o.ValueOf(pe, pc), with the same arithmetic (the terms of the payout models an
// offer does not use add a zero), from the offer's info rather than the offer, so scoring a
// candidate reads no more of the offer than its address.
func (inf *offerInfo) value(pe, pc float64) float64 {
	v := pe*nominalEngagement + pc*inf.margin
	v += pe * inf.cpc
	v += pc * inf.cpa
	return v
}

// a and b are ValueOf(1, 0) and ValueOf(0, 1): the value per engagement and per conversion.
func (inf *offerInfo) a() float64 { return nominalEngagement + inf.cpc }
func (inf *offerInfo) b() float64 { return inf.margin + inf.cpa }

// offerCache remembers the offerInfo of every offer a pooled moment has scored, so that
// scoring hashes an offer's strings once rather than on every decision (they were a fifth of
// Score's time), and finds an offer's groups by number rather than by probing. An offer in a
// decision snapshot is never changed in place (a change builds a new snapshot of new offers),
// so the pointer is the key. The cache starts over when rebuilt snapshots have filled it.
//
// The table is open-addressed by the offer's address rather than a Go map: with a couple of
// hundred candidates per decision the map's lookups were a fifth of Score's time, and an
// address needs no hashing of its own (the GC does not move heap objects, and the table holds
// the pointer itself, so an address is never reused while it is in the table).
type offerCache struct {
	ptr   []*epilogue.Offer // by address, nil where free; a power of two long
	at    []int32           // the offer's index in info
	shift uint              // 64 - log2(len(ptr))
	info  []offerInfo
	epoch uint32 // see offerInfo.pair
}

// newEpoch makes every offer's pair stale.
func (c *offerCache) newEpoch() {
	c.epoch++
	if c.epoch == 0 { // wrapped: an old epoch could match
		for i := range c.info {
			c.info[i].epoch = 0
		}
		c.epoch = 1
	}
}

// maxRememberedOffers bounds each pooled moment's memory of offers: far above any shop's live
// offers.
const maxRememberedOffers = 50_000

func addrHash(o *epilogue.Offer) uint64 {
	return uint64(uintptr(unsafe.Pointer(o))) * 0x9e3779b97f4a7c15
}

// offer returns the index in s.cache.info of o's offerInfo, computing it the first time.
func (s *moment) offer(o *epilogue.Offer) int32 {
	c := &s.cache
	if len(c.ptr) > 0 {
		mask := uint64(len(c.ptr) - 1)
		for i := addrHash(o) >> c.shift; ; i = (i + 1) & mask {
			p := c.ptr[i]
			if p == o {
				return c.at[i]
			}
			if p == nil {
				break
			}
		}
	}
	return s.remember(o)
}

func (s *moment) remember(o *epilogue.Offer) int32 {
	c := &s.cache
	if len(c.info) >= maxRememberedOffers {
		s.forget()
	}
	if 2*(len(c.info)+1) > len(c.ptr) { // at most half full
		n := max(256, 2*len(c.ptr))
		ptr, at := c.ptr, c.at
		c.ptr, c.at = make([]*epilogue.Offer, n), make([]int32, n)
		c.shift = uint(64 - bits.Len(uint(n-1)))
		for i, p := range ptr {
			if p != nil {
				c.put(p, at[i])
			}
		}
	}
	k := offerKeysOf(o)
	inf := offerInfo{id: k.id, pay: k.pay, margin: o.Margin.Float(), epoch: c.epoch - 1}
	switch o.Payout.Model {
	case epilogue.PayoutCPC:
		inf.cpc = o.Payout.Amount.Float()
	case epilogue.PayoutCPA:
		inf.cpa = o.Payout.Amount.Float()
	}
	inf.group[groupKind] = s.groups[groupKind].number(k.kind)
	inf.group[groupAdv] = s.groups[groupAdv].number(k.adv)
	inf.group[groupCat] = s.groups[groupCat].number(k.cat)
	n := int32(len(c.info))
	c.info = append(c.info, inf)
	c.put(o, n)
	return n
}

func (c *offerCache) put(o *epilogue.Offer, n int32) {
	mask := uint64(len(c.ptr) - 1)
	i := addrHash(o) >> c.shift
	for c.ptr[i] != nil {
		i = (i + 1) & mask
	}
	c.ptr[i], c.at[i] = o, n
}

// forget drops every remembered offer and group.
func (s *moment) forget() {
	s.cache = offerCache{}
	for i := range s.groups {
		s.groups[i] = groupMemo{}
	}
}
