package decide

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// issueOffer is the offer the API must accept, from the core issue.
const issueOffer = `{"kind":"cross_sell","title":"Specialty beans, 20% off","body":"Roasted this week for your new machine.",
 "image_url":"https://shop.example/beans.jpg","cta":"Add to order",
 "action":{"type":"link","url":"https://shop.example/beans"},
 "payout":{"model":"cpa","amount":"4.00","currency":"USD"},
 "budget":{"total":"1000.00","daily":"50.00"},
 "targeting":{"surfaces":["confirmation","thank_you"],"countries":["US","CA"],"devices":["mobile","desktop"],
              "min_amount":"20.00","cart_categories_any":["coffee machines"],"cart_skus_none":["BEANS-1KG"],
              "customer_attributes":{"loyalty_tier":["gold","silver"]},"customer_type":"any"},
 "frequency_cap":{"count":3,"period":"168h"},
 "schedule":{"start":"2026-01-01T00:00:00Z","end":"2030-01-01T00:00:00Z"},
 "priority":1,"exclusion_group":"coffee-beans","status":"active"}`

const issueRequest = `{"placement":"confirmation","transaction":{"confirmationref":"1001","amount":"499.00","currency":"USD","paymenttype":"card"},"customer":{"id":"cust_42","email":"Ana@Example.com","attributes":{"loyalty_tier":"gold"}},"cart":[{"sku":"X1","product_id":"p1","category":"coffee machines","price":"499.00","quantity":1}],"context":{"device":"mobile","country":"US","locale":"en-US"},"explain":true}`

func offer(t *testing.T, js string, mut ...func(*epilogue.Offer)) *epilogue.Offer {
	t.Helper()
	var o epilogue.Offer
	if err := json.Unmarshal([]byte(js), &o); err != nil {
		t.Fatal(err)
	}
	o.Defaults("USD")
	for _, m := range mut {
		m(&o)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	return &o
}

func request(t *testing.T, js string, mut ...func(*epilogue.DecisionRequest)) *epilogue.DecisionRequest {
	t.Helper()
	var r epilogue.DecisionRequest
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	for _, m := range mut {
		m(&r)
	}
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	return &r
}

type fixture struct {
	e     *Engine
	clock *epilogue.ManualClock
	shop  *epilogue.Shop
	recs  []*epilogue.Decision
}

func (f *fixture) Record(d *epilogue.Decision) { f.recs = append(f.recs, d) }

func newFixture(t *testing.T, offers []*epilogue.Offer, mutShop ...func(*epilogue.Shop)) *fixture {
	t.Helper()
	f := &fixture{clock: epilogue.NewManualClock(t0)}
	f.shop = &epilogue.Shop{ID: "shop_a", Name: "A", Secret: "secret-a", Settings: epilogue.DefaultSettings()}
	f.shop.Settings.HoldoutShare = 0
	for _, m := range mutShop {
		m(f.shop)
	}
	f.e = New(Config{Clock: f.clock, Recorder: f})
	for i, o := range offers {
		if o.ID == "" {
			o.ID = fmt.Sprintf("off_%03d", i)
		}
		o.ShopID = f.shop.ID
	}
	pls := []*epilogue.Placement{
		{ID: "confirmation", Surface: "confirmation", MaxOffers: 3, Status: "active"},
		{ID: "cart", Surface: "cart", MaxOffers: 1, Status: "active"},
		{ID: "rich", Surface: "thank_you", MaxOffers: 3, Reserve: epilogue.Micro, Status: "active"},
		{ID: "email", Surface: "email", MaxOffers: 2, Status: "active"},
	}
	f.e.SetSnapshot(NewSnapshot(f.shop, 1, offers, pls, f.e.Budgets()))
	return f
}

func (f *fixture) decide(t *testing.T, req *epilogue.DecisionRequest) *Result {
	t.Helper()
	res, err := f.e.Decide(f.shop.ID, req, true)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func verdict(res *Result, id string) epilogue.Verdict {
	for _, v := range res.Candidates {
		if v.OfferID == id {
			return v
		}
	}
	return epilogue.Verdict{}
}

func TestIssueOfferIsChosenForIssueRequest(t *testing.T) {
	f := newFixture(t, []*epilogue.Offer{offer(t, issueOffer)})
	res := f.decide(t, request(t, issueRequest))
	if len(res.Offers) != 1 || res.Decision.Arm != epilogue.ArmPolicy {
		t.Fatalf("offers = %d, arm %s, reason %q, candidates %+v", len(res.Offers), res.Decision.Arm, res.Decision.NoOfferReason, res.Candidates)
	}
	if v := verdict(res, "off_000"); v.Verdict != epilogue.VerdictChosen || v.Score <= 0 {
		t.Fatalf("verdict %+v", v)
	}
	c, err := Verify(f.shop.Secret, res.Offers[0].Token, t0)
	if err != nil || c.OfferID != "off_000" || c.DecisionID != res.Decision.ID || c.CustomerKey != "id:cust_42" || c.Placement != "confirmation" {
		t.Fatalf("claims %+v, %v", c, err)
	}
	if len(f.recs) != 1 || f.recs[0].Request.Customer.Email != "" {
		t.Fatalf("decision not recorded, or raw email kept: %+v", f.recs)
	}
}

func TestEveryFilterSaysWhy(t *testing.T) {
	cases := []struct {
		reason string
		offer  func(*epilogue.Offer)
		req    func(*epilogue.DecisionRequest)
	}{
		{epilogue.ReasonPaused, func(o *epilogue.Offer) { o.Status = "paused" }, nil},
		{epilogue.ReasonNotOnSurface, func(o *epilogue.Offer) { o.Targeting.Surfaces = []string{"cart"} }, nil},
		// An email can only link: an offer whose action has no URL would be a dead link there.
		{epilogue.ReasonNotOnSurface, func(o *epilogue.Offer) {
			o.Targeting.Surfaces = nil
			o.Action = epilogue.Action{Type: "add_to_order", SKU: "BEANS-1KG", Price: 18 * epilogue.Micro}
		}, func(r *epilogue.DecisionRequest) { r.Placement = "email" }},
		{epilogue.ReasonOutOfSchedule, func(o *epilogue.Offer) { s := t0.Add(time.Hour); o.Schedule.Start = &s }, nil},
		{epilogue.ReasonOutOfSchedule, func(o *epilogue.Offer) { e := t0; o.Schedule.End = &e }, nil}, // the end is exclusive
		// Past what Unix nanoseconds hold (year 2262): still a start in the future.
		{epilogue.ReasonOutOfSchedule, func(o *epilogue.Offer) { s := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC); o.Schedule.Start = &s }, nil},
		{"targeting:max_amount", func(o *epilogue.Offer) { o.Targeting.MaxAmount = 100 * epilogue.Micro }, nil},
		{"targeting:countries", nil, func(r *epilogue.DecisionRequest) { r.Context.Country = "FR" }},
		{"targeting:countries", nil, func(r *epilogue.DecisionRequest) { r.Context.Country = "" }},
		{"targeting:devices", nil, func(r *epilogue.DecisionRequest) { r.Context.Device = "tablet" }},
		{"targeting:min_amount", nil, func(r *epilogue.DecisionRequest) { r.Transaction.Amount = 10 * epilogue.Micro }},
		// ¥1000 is not $1000: amount rules in the shop's currency cannot judge another's.
		{epilogue.ReasonCurrency, nil, func(r *epilogue.DecisionRequest) {
			r.Transaction.Amount, r.Transaction.Currency = 1000*epilogue.Micro, "JPY"
		}},
		{"targeting:cart_categories_any", nil, func(r *epilogue.DecisionRequest) { r.Cart[0].Category = "Grinders" }},
		{"targeting:cart_skus_none", nil, func(r *epilogue.DecisionRequest) { r.Cart[0].SKU = "BEANS-1KG" }},
		{"targeting:customer_attributes", nil, func(r *epilogue.DecisionRequest) { r.Customer.Attributes["loyalty_tier"] = "bronze" }},
		{"targeting:customer_type", func(o *epilogue.Offer) { o.Targeting.CustomerType = "returning" }, nil},
		{"targeting:locales", func(o *epilogue.Offer) { o.Targeting.Locales = []string{"fr"} }, nil},
		{"targeting:payment_types", func(o *epilogue.Offer) { o.Targeting.PaymentTypes = []string{"paypal"} }, nil},
		{epilogue.ReasonPurchased, func(o *epilogue.Offer) { o.ProductID = "p1" }, nil},
		{epilogue.ReasonBelowReserve, func(o *epilogue.Offer) { o.Payout.Amount = 1 }, func(r *epilogue.DecisionRequest) { r.Placement = "rich"; r.Context.Device = "mobile" }},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			o := offer(t, issueOffer)
			if c.offer != nil {
				c.offer(o)
			}
			if c.reason == epilogue.ReasonBelowReserve {
				o.Targeting.Surfaces = nil
			}
			f := newFixture(t, []*epilogue.Offer{o})
			var mut []func(*epilogue.DecisionRequest)
			if c.req != nil {
				mut = append(mut, c.req)
			}
			res := f.decide(t, request(t, issueRequest, mut...))
			v := verdict(res, "off_000")
			if v.Verdict != epilogue.VerdictFiltered || v.Reason != c.reason || len(res.Offers) != 0 {
				t.Fatalf("want filtered %s, got %+v (offers %d)", c.reason, v, len(res.Offers))
			}
			if f.recs[0].Filtered[c.reason] != 1 {
				t.Fatalf("record counts %v", f.recs[0].Filtered)
			}
			if res.Decision.NoOfferReason == "" {
				t.Fatal("no offer without a reason")
			}
		})
	}
}

// A customer who refused partner offers gets none; one who refused marketing gets no upsell,
// cross-sell, partner or loyalty offer, but still a survey.
func TestRefusedConsentFilters(t *testing.T) {
	no := false
	for _, c := range []struct {
		consent epilogue.Consent
		kind    string
		want    string // verdict or filter reason
	}{
		{epilogue.Consent{Partners: &no}, epilogue.KindPartner, epilogue.ReasonNoConsent},
		{epilogue.Consent{Partners: &no}, epilogue.KindCrossSell, epilogue.VerdictChosen},
		{epilogue.Consent{Marketing: &no}, epilogue.KindCrossSell, epilogue.ReasonNoConsent},
		{epilogue.Consent{Marketing: &no}, epilogue.KindSurvey, epilogue.VerdictChosen},
		{epilogue.Consent{}, epilogue.KindPartner, epilogue.VerdictChosen},
	} {
		o := offer(t, issueOffer, func(o *epilogue.Offer) { o.Kind = c.kind })
		f := newFixture(t, []*epilogue.Offer{o})
		f.e.People().SetProfile(f.shop.ID, &epilogue.Customer{ID: "cust_42", Consent: c.consent})
		v := verdict(f.decide(t, request(t, issueRequest)), "off_000")
		if got := v.Verdict; got != c.want && v.Reason != c.want {
			t.Errorf("%+v, %s offer: %+v, want %s", c.consent, c.kind, v, c.want)
		}
	}
}

// A schedule from before 1678 to after 2262 (beyond what Unix nanoseconds hold) is open now.
func TestScheduleBeyondNanoseconds(t *testing.T) {
	o := offer(t, issueOffer, func(o *epilogue.Offer) {
		s, e := time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
		o.Schedule.Start, o.Schedule.End = &s, &e
	})
	res := newFixture(t, []*epilogue.Offer{o}).decide(t, request(t, issueRequest))
	if v := verdict(res, "off_000"); v.Verdict != epilogue.VerdictChosen {
		t.Fatalf("verdict %+v", v)
	}
}

func TestExclusionGroupAndMaxOffers(t *testing.T) {
	var offers []*epilogue.Offer
	for i := 0; i < 5; i++ {
		offers = append(offers, offer(t, issueOffer, func(o *epilogue.Offer) {
			o.ExclusionGroup = ""
			o.Priority = i
			if i >= 3 {
				o.ExclusionGroup = "beans"
			}
		}))
	}
	f := newFixture(t, offers)
	res := f.decide(t, request(t, issueRequest))
	if len(res.Offers) != 3 {
		t.Fatalf("want 3 offers, got %d", len(res.Offers))
	}
	// Priority 4 wins the group {3, 4}; then 2 and 1 fill the placement; 0 finds it full.
	if res.Offers[0].Offer.ID != "off_004" || res.Offers[1].Offer.ID != "off_002" || res.Offers[2].Offer.ID != "off_001" {
		t.Fatalf("order %s %s %s", res.Offers[0].Offer.ID, res.Offers[1].Offer.ID, res.Offers[2].Offer.ID)
	}
	if v := verdict(res, "off_003"); v.Verdict != epilogue.VerdictFiltered || v.Reason != epilogue.ReasonExclusionGroup {
		t.Fatalf("off_003 %+v", v)
	}
	if v := verdict(res, "off_000"); v.Verdict != epilogue.VerdictScored {
		t.Fatalf("off_000 %+v", v)
	}
}

func TestFrequencyCapDismissalAndConversion(t *testing.T) {
	f := newFixture(t, []*epilogue.Offer{offer(t, issueOffer)})
	req := request(t, issueRequest)
	show := func() *Result { return f.decide(t, req) }
	send := func(res *Result, typ string) {
		t.Helper()
		ev, err := f.e.Prepare(f.shop.ID, EventInput{ID: typ + res.Decision.ID, Type: typ, Token: res.Offers[0].Token})
		if err != nil {
			t.Fatal(err)
		}
		f.e.Apply(ev)
	}
	for i := 0; i < 3; i++ {
		res := show()
		if len(res.Offers) != 1 {
			t.Fatalf("impression %d: no offer (%s)", i, verdict(res, "off_000").Reason)
		}
		send(res, epilogue.EventImpression)
	}
	if r := verdict(show(), "off_000").Reason; r != epilogue.ReasonFrequencyCap {
		t.Fatalf("after 3 impressions: %q", r)
	}
	f.clock.Advance(169 * time.Hour)
	res := show()
	if len(res.Offers) != 1 {
		t.Fatalf("cap did not expire: %+v", verdict(res, "off_000"))
	}
	send(res, epilogue.EventDismissal)
	if r := verdict(show(), "off_000").Reason; r != epilogue.ReasonDismissed {
		t.Fatalf("after dismissal: %q", r)
	}
	f.clock.Advance(31 * 24 * time.Hour)
	res = show()
	if len(res.Offers) != 1 {
		t.Fatalf("dismissal did not expire: %+v", verdict(res, "off_000"))
	}
	send(res, epilogue.EventConversion)
	if r := verdict(show(), "off_000").Reason; r != epilogue.ReasonConverted {
		t.Fatalf("after conversion: %q", r)
	}
	// Another customer is untouched.
	other := request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = "cust_43" })
	if len(f.decide(t, other).Offers) != 1 {
		t.Fatal("another customer affected")
	}
}

func TestBudgetsStopAndPace(t *testing.T) {
	o := offer(t, issueOffer, func(o *epilogue.Offer) {
		o.FrequencyCap.Count = 0
		o.Budget = epilogue.Budget{Total: 10 * epilogue.Micro, Daily: 8 * epilogue.Micro, Pacing: "asap"}
	})
	f := newFixture(t, []*epilogue.Offer{o})
	token := func(cust string) string {
		t.Helper()
		res := f.decide(t, request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = cust }))
		if len(res.Offers) != 1 {
			t.Fatalf("%s: no offer: %+v", cust, verdict(res, o.ID))
		}
		return res.Offers[0].Token
	}
	convert := func(cust, tok string, want epilogue.Amount) {
		t.Helper()
		ev, err := f.e.Prepare(f.shop.ID, EventInput{ID: "c-" + cust, Type: epilogue.EventConversion, Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Spend != want {
			t.Fatalf("%s: spend %v, want %v", cust, ev.Spend, want)
		}
		f.e.Apply(ev)
	}
	// Tokens handed out while the budget had room: their conversions charge what is left of it,
	// and nothing once it is spent, however many come.
	a, b, c := token("a"), token("b"), token("c")
	convert("a", a, 4*epilogue.Micro)
	convert("b", b, 4*epilogue.Micro)
	convert("c", c, 0) // 8.00 spent: the daily budget is gone
	res := f.decide(t, request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = "c" }))
	if r := verdict(res, o.ID).Reason; r != epilogue.ReasonBudgetExhausted {
		t.Fatalf("daily: %q", r)
	}
	f.clock.Advance(24 * time.Hour)
	d, e := token("d"), token("e")
	convert("d", d, 2*epilogue.Micro) // a new day, and 2.00 left of the total
	convert("e", e, 0)
	res = f.decide(t, request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = "e2" }))
	if r := verdict(res, o.ID).Reason; r != epilogue.ReasonBudgetExhausted {
		t.Fatalf("total: %q", r)
	}
	// Charges prepared together (one batch) share the room too.
	g := newFixture(t, []*epilogue.Offer{o})
	var spent epilogue.Amount
	var evs []*epilogue.Event
	for _, cust := range []string{"p", "q", "r"} {
		res := g.decide(t, request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = cust }))
		ev, err := g.e.Prepare(g.shop.ID, EventInput{ID: "c-" + cust, Type: epilogue.EventConversion, Token: res.Offers[0].Token})
		if err != nil {
			t.Fatal(err)
		}
		spent += ev.Spend
		evs = append(evs, ev)
	}
	if spent != 8*epilogue.Micro {
		t.Fatalf("a batch charged %v against a daily budget of 8.00", spent)
	}
	g.e.Release(evs...) // not stored: the room is back
	res = g.decide(t, request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = "s" }))
	if ev, err := g.e.Prepare(g.shop.ID, EventInput{ID: "c-s", Type: epilogue.EventConversion, Token: res.Offers[0].Token}); err != nil || ev.Spend != 4*epilogue.Micro {
		t.Fatalf("after the batch was released: %v %v", ev, err)
	}

	// Even pacing: at noon at most half the daily budget (plus one payout) may be spent.
	p := offer(t, issueOffer, func(o *epilogue.Offer) {
		o.FrequencyCap.Count = 0
		o.Budget = epilogue.Budget{Daily: 20 * epilogue.Micro, Pacing: "even"}
	})
	f = newFixture(t, []*epilogue.Offer{p})
	for i := 0; i < 4; i++ {
		cust := fmt.Sprint("p", i)
		convert(cust, token(cust), 4*epilogue.Micro) // 16.00 spent by noon, when 10.00 + one 4.00 payout is allowed
	}
	res = f.decide(t, request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = "z" }))
	if r := verdict(res, p.ID).Reason; r != epilogue.ReasonBudgetPaced {
		t.Fatalf("pacing: %q (spent 16 of 20 by noon)", r)
	}
	f.clock.Advance(6 * time.Hour) // 18:00: 15.00 + 4.00 allowed
	if res = f.decide(t, request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = "z" })); len(res.Offers) != 1 {
		t.Fatalf("still paced at 18:00: %+v", verdict(res, p.ID))
	}
}

func TestReplayedTokenChargesOnce(t *testing.T) {
	for _, anonymous := range []bool{false, true} {
		f := newFixture(t, []*epilogue.Offer{offer(t, issueOffer)})
		res := f.decide(t, request(t, issueRequest, func(r *epilogue.DecisionRequest) {
			if anonymous {
				r.Customer = epilogue.CustomerRef{Attributes: r.Customer.Attributes} // no id, no email
			}
		}))
		if len(res.Offers) != 1 || (res.Decision.CustomerKey == "") != anonymous {
			t.Fatalf("anonymous %v: offers %d, customer key %q", anonymous, len(res.Offers), res.Decision.CustomerKey)
		}
		var spent epilogue.Amount
		for i := 0; i < 3; i++ {
			ev, err := f.e.Prepare(f.shop.ID, EventInput{ID: fmt.Sprint("conv", i), Type: epilogue.EventConversion, Token: res.Offers[0].Token})
			if err != nil {
				t.Fatal(err)
			}
			spent += ev.Spend
			f.e.Apply(ev)
		}
		if spent != 4*epilogue.Micro {
			t.Fatalf("anonymous %v: three conversions on one token charged %v", anonymous, spent)
		}
	}
}

// Events of one token prepared before any is applied (one batch, or concurrent ones) charge
// once; a charge whose event was not stored is released for the retry; and a claim never
// released lapses.
func TestTokenChargesOnceBeforeApply(t *testing.T) {
	f := newFixture(t, []*epilogue.Offer{offer(t, issueOffer)})
	res := f.decide(t, request(t, issueRequest))
	prepare := func(id string) *epilogue.Event {
		t.Helper()
		ev, err := f.e.Prepare(f.shop.ID, EventInput{ID: id, Type: epilogue.EventConversion, Token: res.Offers[0].Token})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	batch := []*epilogue.Event{prepare("b1"), prepare("b2"), prepare("b3")}
	if batch[0].Spend != 4*epilogue.Micro || batch[1].Spend != 0 || batch[2].Spend != 0 {
		t.Fatalf("one batch charged %v / %v / %v, want 4.00 once", batch[0].Spend, batch[1].Spend, batch[2].Spend)
	}
	// The batch failed to store: its claim goes, and the retry charges.
	f.e.Release(batch...)
	retry := prepare("b1")
	if retry.Spend != 4*epilogue.Micro {
		t.Fatalf("retry after a failed store charged %v", retry.Spend)
	}
	// Never released nor applied: the claim holds for a while, then lapses.
	if ev := prepare("b4"); ev.Spend != 0 {
		t.Fatalf("charged %v while another event held the claim", ev.Spend)
	}
	f.clock.Advance(chargeClaimTTL)
	if ev := prepare("b5"); ev.Spend != 4*epilogue.Micro {
		t.Fatalf("claim did not lapse: charged %v", ev.Spend)
	}
}

func TestTokensRefuseForgeryExpiryAndOtherShops(t *testing.T) {
	c := Claims{DecisionID: "dec_1", OfferID: "off_1", Placement: "p", Arm: "policy", CustomerKey: "id:x", Expires: t0.Add(time.Hour)}
	tok := Sign("s1", c)
	if got, err := Verify("s1", tok, t0); err != nil || got != c {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, err := Verify("s2", tok, t0); err == nil {
		t.Fatal("other shop's secret accepted")
	}
	if _, err := Verify("s1", tok, t0.Add(2*time.Hour)); err == nil {
		t.Fatal("expired token accepted")
	}
	forged := []byte(tok)
	forged[5] ^= 1
	for _, bad := range []string{string(forged), "", ".", "abc.def", tok + "x", tok[:len(tok)-2]} {
		if _, err := Verify("s1", bad, t0); err == nil {
			t.Fatalf("forged token %q accepted", bad)
		}
	}
}

func TestHoldoutIsStableAndNearItsShare(t *testing.T) {
	f := newFixture(t, []*epilogue.Offer{offer(t, issueOffer)}, func(s *epilogue.Shop) { s.Settings.HoldoutShare = 0.05 })
	held := 0
	for i := 0; i < 4000; i++ {
		req := request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = fmt.Sprint("c", i) })
		a := f.decide(t, req).Decision.Arm
		if b := f.decide(t, req).Decision.Arm; a != b {
			t.Fatalf("customer c%d switched arms", i)
		}
		if a == epilogue.ArmHoldout {
			held++
		}
	}
	if held < 140 || held > 260 { // 5% of 4000 = 200, ±4.4 standard deviations
		t.Fatalf("holdout %d of 4000", held)
	}
}

func TestStochasticScorerRecordsPropensities(t *testing.T) {
	var offers []*epilogue.Offer
	for i := 0; i < 6; i++ {
		offers = append(offers, offer(t, issueOffer, func(o *epilogue.Offer) { o.ExclusionGroup = ""; o.FrequencyCap.Count = 0 }))
	}
	f := newFixture(t, offers)
	f.e.SetScorer(noisy{})
	res := f.decide(t, request(t, issueRequest))
	if len(res.Offers) != 3 {
		t.Fatalf("offers %d", len(res.Offers))
	}
	for _, s := range res.Decision.Offers {
		if s.Propensity <= 0 || s.Propensity >= 1 {
			t.Fatalf("propensity %v for equal offers under noise", s.Propensity)
		}
	}
}

type noisy struct{}

func (noisy) Score(_ *epilogue.Moment, offers []*epilogue.Offer, out []epilogue.Estimate) {
	for i := range offers {
		out[i] = epilogue.Estimate{Value: 1, Std: 1}
	}
}
func (noisy) Version() string { return "noisy" }

// Decisions, events and profile changes for the same customers at once: run with -race.
func TestConcurrentDecisionsAndEvents(t *testing.T) {
	var offers []*epilogue.Offer
	for i := 0; i < 20; i++ {
		offers = append(offers, offer(t, issueOffer, func(o *epilogue.Offer) { o.ExclusionGroup = ""; o.FrequencyCap.Count = 5 }))
	}
	f := newFixture(t, offers)
	f.e.recorder = nil // the fixture's recorder is not safe for concurrent use
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 300; i++ {
				cust := fmt.Sprint("c", i%7)
				req := request(t, issueRequest, func(r *epilogue.DecisionRequest) { r.Customer.ID = cust })
				res, err := f.e.Decide(f.shop.ID, req, i%10 == 0)
				if err != nil {
					t.Error(err)
					return
				}
				for k, s := range res.Offers {
					typ := []string{epilogue.EventImpression, epilogue.EventEngagement, epilogue.EventDismissal}[k%3]
					ev, err := f.e.Prepare(f.shop.ID, EventInput{ID: fmt.Sprint(g, "-", i, "-", k), Type: typ, Token: s.Token})
					if err != nil {
						t.Error(err)
						return
					}
					f.e.Apply(ev)
				}
				if i%50 == 0 {
					f.e.People().SetProfile(f.shop.ID, &epilogue.Customer{ID: cust, Attributes: map[string]string{"loyalty_tier": "gold"}})
				}
			}
		}(g)
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

// An offer archived after it was shown still charges for the clicks and conversions its
// tokens bring inside the attribution window: the advertiser owes them.
func TestArchivedOfferStillCharges(t *testing.T) {
	o := offer(t, issueOffer)
	f := newFixture(t, []*epilogue.Offer{o})
	res := f.decide(t, request(t, issueRequest))
	if len(res.Offers) != 1 {
		t.Fatal("no offer")
	}
	gone := *o
	gone.Status = epilogue.StatusArchived
	f.e.SetSnapshot(NewSnapshot(f.shop, 2, []*epilogue.Offer{&gone}, nil, f.e.Budgets()))
	ev, err := f.e.Prepare(f.shop.ID, EventInput{ID: "c1", Type: epilogue.EventConversion, Token: res.Offers[0].Token})
	if err != nil || ev.Spend != o.Payout.Amount {
		t.Fatalf("conversion of an archived offer: %+v %v", ev, err)
	}
}

// An event sent with a token handed out before its customer was erased counts for nobody: the
// customer's key is not stored again beside the pseudonym their earlier events got.
func TestEventsOfAnErasedCustomerAreAnonymous(t *testing.T) {
	f := newFixture(t, []*epilogue.Offer{offer(t, issueOffer)})
	res := f.decide(t, request(t, issueRequest))
	key := res.Decision.CustomerKey
	if key == "" || len(res.Offers) != 1 {
		t.Fatalf("decision: %q, %d offers", key, len(res.Offers))
	}
	f.e.People().Erase(f.shop.ID, f.clock.Now(), key)
	ev, err := f.e.Prepare(f.shop.ID, EventInput{ID: "late", Type: epilogue.EventEngagement, Token: res.Offers[0].Token})
	if err != nil || ev.CustomerKey != "" {
		t.Fatalf("late event: %+v %v", ev, err)
	}
	if !f.e.People().Erased(f.shop.ID, key) || f.e.People().Erased("other_shop", key) {
		t.Fatal("the erasure is not remembered for its shop only")
	}
}
