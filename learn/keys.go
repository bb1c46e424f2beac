package learn

import (
	"sync"
	"sync/atomic"

	"github.com/epiloguehq/epilogue"
)

// keyCache remembers the hashes of offers' fields by offer, so scoring hashes an offer's
// strings once instead of on every decision (a fifth of Score's time). An offer in a decision
// snapshot is never changed in place: a change builds a new snapshot of new offers. So the
// pointer is the key, and the cache starts over when rebuilt snapshots have filled it.
type keyCache struct {
	m sync.Map // *epilogue.Offer -> offerKeys
	n atomic.Int64
}

// maxCachedOffers bounds the cache: far above any shop's live offers.
const maxCachedOffers = 200_000

func (c *keyCache) get(o *epilogue.Offer) offerKeys {
	if v, ok := c.m.Load(o); ok {
		return v.(offerKeys)
	}
	k := offerKeysOf(o)
	if c.n.Add(1) > maxCachedOffers {
		c.m.Clear()
		c.n.Store(0)
	}
	c.m.Store(o, k)
	return k
}
