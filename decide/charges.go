package decide

import (
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Charges in flight. Whether an engagement or conversion charges its offer's budget is decided
// when the event is prepared, before it is stored, and the customer's state learns of the
// charge only when the stored event is applied. Between the two, other events of the same
// token (the same batch, or a concurrent one) would each see themselves as the first and each
// charge. So the first claims the charge here, the others see the claim and charge nothing, and
// the claim is dropped once the event is applied (the customer's state then answers) or was not
// stored (Release). A claim also lapses after chargeClaimTTL, so one never released, by a caller
// that failed between Prepare and Submit, cannot keep the offer from being charged for good.
//
// If the claiming event then fails to store while another event of the token was stored
// without a charge, the charge is lost rather than doubled: a retry of the first finds the
// customer's state already holding the token's engagement.
type chargeClaims struct {
	mu sync.Mutex
	m  map[chargeKey]time.Time // when claimed
}

type chargeKey struct{ shop, decision, offer, typ string }

// chargeClaimTTL is far longer than a batch takes to commit.
const chargeClaimTTL = time.Minute

func keyOf(ev *epilogue.Event) chargeKey {
	return chargeKey{ev.ShopID, ev.DecisionID, ev.OfferID, ev.Type}
}

// claim reports whether k was free (or its claim had lapsed) and takes it.
func (c *chargeClaims) claim(k chargeKey, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at, ok := c.m[k]; ok && now.Sub(at) < chargeClaimTTL {
		return false
	}
	if c.m == nil {
		c.m = map[chargeKey]time.Time{}
	}
	if len(c.m) >= 10_000 { // only unreleased claims pile up: sweep the lapsed ones
		for k, at := range c.m {
			if now.Sub(at) >= chargeClaimTTL {
				delete(c.m, k)
			}
		}
	}
	c.m[k] = now
	return true
}

func (c *chargeClaims) release(k chargeKey) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// Release drops the charge claims of prepared events that were not applied: not stored, or
// stored before (duplicates). Apply drops those of the events it applies.
func (e *Engine) Release(evs ...*epilogue.Event) {
	for _, ev := range evs {
		if ev.Spend > 0 {
			e.claims.release(keyOf(ev))
		}
	}
}
