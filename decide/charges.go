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
//
// A claim also holds the amount it will charge, counted against the offer's budget until the
// event is applied: a charge is at most what the budget has left after what is spent and what
// other claims hold, so a budget is a ceiling, not a threshold past which every token handed
// out while money was left still charged in full (eight clicks of 4.00 charged 32.00 against a
// budget of 10.00). Across replicas a budget can still be exceeded by the charges being made
// at the same moment on other nodes.
type chargeClaims struct {
	mu      sync.Mutex
	m       map[chargeKey]claim
	pending map[string]epilogue.Amount // by offer id: the amounts of the claims held
}

type claim struct {
	at     time.Time
	amount epilogue.Amount
}

type chargeKey struct{ shop, decision, offer, typ string }

// chargeClaimTTL is far longer than a batch takes to commit.
const chargeClaimTTL = time.Minute

func keyOf(ev *epilogue.Event) chargeKey {
	return chargeKey{ev.ShopID, ev.DecisionID, ev.OfferID, ev.Type}
}

// claim takes k, if it is free (or its claim has lapsed), for the payout or what room leaves of
// it (room gets the amount other claims of the offer hold); it returns the amount to charge, 0
// when k is taken or nothing is left.
func (c *chargeClaims) claim(k chargeKey, now time.Time, payout epilogue.Amount, room func(pending epilogue.Amount) epilogue.Amount) epilogue.Amount {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.m[k]; ok && now.Sub(cl.at) < chargeClaimTTL {
		return 0
	}
	if c.m == nil {
		c.m, c.pending = map[chargeKey]claim{}, map[string]epilogue.Amount{}
	}
	c.drop(k)
	if len(c.m) >= 10_000 { // only unreleased claims pile up: sweep the lapsed ones
		for k, cl := range c.m {
			if now.Sub(cl.at) >= chargeClaimTTL {
				c.drop(k)
			}
		}
	}
	amount := min(payout, max(room(c.pending[k.offer]), 0))
	if amount <= 0 {
		return 0
	}
	c.m[k] = claim{now, amount}
	c.pending[k.offer] += amount
	return amount
}

// drop removes a claim and its amount; c.mu is held.
func (c *chargeClaims) drop(k chargeKey) {
	cl, ok := c.m[k]
	if !ok {
		return
	}
	delete(c.m, k)
	if c.pending[k.offer] -= cl.amount; c.pending[k.offer] <= 0 {
		delete(c.pending, k.offer)
	}
}

func (c *chargeClaims) release(k chargeKey) {
	c.mu.Lock()
	c.drop(k)
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
