package store_test

import (
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

// offer returns an offer with every field set, nested ones included.
func offer(shopID, id string) *epilogue.Offer {
	start, end := t0.Add(-24*time.Hour), t0.Add(30*24*time.Hour)
	return &epilogue.Offer{
		ID: id, ShopID: shopID, Kind: epilogue.KindPartner,
		Title: "20% off — “quoted” ☕", Body: "line one\nline 'two'", ImageURL: "https://img.example/a.png", CTA: "Claim",
		Action:         epilogue.Action{Type: "survey", URL: "https://x.example/?a=1&b=2", SKU: "SKU-1", ProductID: "p1", Price: 12_340_000, Question: "Why?", Choices: []string{"a", "b"}},
		Payout:         epilogue.Payout{Model: epilogue.PayoutCPA, Amount: 4_500_001, Currency: "USD"},
		Margin:         1_250_000,
		Budget:         epilogue.Budget{Total: 1000 * epilogue.Micro, Daily: 50 * epilogue.Micro, Pacing: "asap"},
		Targeting:      epilogue.Targeting{Surfaces: []string{"thank_you", "email"}, Countries: []string{"US", "FR"}, Devices: []string{}, Locales: nil, PaymentTypes: []string{"card"}, MinAmount: 10 * epilogue.Micro, MaxAmount: 500 * epilogue.Micro, CartCategoriesAny: []string{"coffee"}, CartCategoriesNone: []string{}, CartSKUsAny: nil, CartSKUsNone: []string{"X"}, CustomerAttributes: map[string][]string{"tier": {"gold", "silver"}, "empty": {}}, CustomerType: "returning"},
		FrequencyCap:   epilogue.FrequencyCap{Count: 3, Period: epilogue.Duration(7 * 24 * time.Hour)},
		Schedule:       epilogue.Schedule{Start: &start, End: &end},
		Priority:       -7,
		ExclusionGroup: "grp",
		Status:         epilogue.StatusActive,
		Advertiser:     "Acme",
		Category:       "coffee machines",
		ProductID:      "p1",
		Metadata:       map[string]string{"k": "v", "unicode": "é"},
		CreatedAt:      t0,
		UpdatedAt:      t0.Add(time.Microsecond),
	}
}

func TestOfferRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		o := offer("s1", "off_full")
		must(t, db.CreateOffer(ctx, o))
		got, err := db.Offer(ctx, "s1", "off_full")
		must(t, err)
		equal(t, "offer", got, o)

		// The zero offer: nil lists, maps and pointers come back nil, not empty.
		bare := &epilogue.Offer{ID: "off_bare", ShopID: "s1", Kind: epilogue.KindContent, Status: epilogue.StatusPaused}
		must(t, db.CreateOffer(ctx, bare))
		got, err = db.Offer(ctx, "s1", "off_bare")
		must(t, err)
		equal(t, "bare offer", got, bare)

		// Defaults() fills empty lists and maps: they come back empty, not nil.
		def := &epilogue.Offer{ID: "off_def", ShopID: "s1", Kind: epilogue.KindUpsell}
		def.Defaults("USD")
		must(t, db.CreateOffer(ctx, def))
		got, err = db.Offer(ctx, "s1", "off_def")
		must(t, err)
		equal(t, "defaulted offer", got, def)
		if got.Targeting.Surfaces == nil || got.Metadata == nil {
			t.Fatal("empty lists came back nil")
		}
	})
}

func TestOfferUpdate(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		o := offer("s1", "off_1")
		must(t, db.CreateOffer(ctx, o))

		u := offer("s1", "off_1")
		u.Kind, u.Status, u.Title = epilogue.KindSurvey, epilogue.StatusPaused, "new title"
		u.Targeting = epilogue.Targeting{}
		u.Metadata = nil
		u.Schedule.End = nil
		u.CreatedAt = t0.Add(99 * time.Hour) // ignored: creation time is history
		u.UpdatedAt = t0.Add(time.Hour)
		answered, err := db.UpdateOffer(ctx, "s1", "off_1", replace(u))
		must(t, err)
		got, err := db.Offer(ctx, "s1", "off_1")
		must(t, err)
		want := *u
		want.CreatedAt = o.CreatedAt
		equal(t, "updated offer", got, &want)
		equal(t, "answered offer", answered, &want)

		// The filter columns moved with the data.
		page, _, err := db.Offers(ctx, "s1", store.ListFilter{Kind: epilogue.KindSurvey, Status: epilogue.StatusPaused})
		must(t, err)
		if len(page) != 1 {
			t.Fatalf("filter on the updated kind and status found %d offers", len(page))
		}
		_, err = db.UpdateOffer(ctx, "s1", "off_nope", func(*epilogue.Offer) error {
			t.Error("change applied to no offer")
			return nil
		})
		code(t, "UpdateOffer unknown", err, epilogue.ENotFound)
	})
}

// replace is a change that makes the record v, whatever it was.
func replace[T any](v *T) func(*T) error {
	return func(x *T) error { *x = *v; return nil }
}

// Another change stored while an offer was being changed (as another request or replica does)
// is kept: the change is applied again over it. A change that fails writes nothing.
func TestOfferUpdateKeepsConcurrentChanges(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		newShop(t, db, "s2")
		must(t, db.CreateOffer(ctx, offer("s1", "off_1")))
		v0, err := db.ConfigVersions(ctx)
		must(t, err)

		calls := 0
		got, err := db.UpdateOffer(ctx, "s1", "off_1", func(o *epilogue.Offer) error {
			if calls++; calls == 1 {
				_, err := db.UpdateOffer(ctx, "s1", "off_1", func(o *epilogue.Offer) error { o.Priority = 42; return nil })
				must(t, err)
			}
			o.Title, o.UpdatedAt = "new title", t0.Add(time.Hour)
			// The change cannot move the offer or rewrite its history.
			o.ID, o.ShopID, o.CreatedAt = "off_2", "s2", t0.Add(99*time.Hour)
			return nil
		})
		must(t, err)
		want := offer("s1", "off_1")
		want.Priority, want.Title, want.UpdatedAt = 42, "new title", t0.Add(time.Hour)
		stored, err := db.Offer(ctx, "s1", "off_1")
		must(t, err)
		if calls != 2 {
			t.Fatalf("change applied %d times, want 2", calls)
		}
		equal(t, "answered offer", got, want)
		equal(t, "stored offer", stored, want)
		_, err = db.Offer(ctx, "s2", "off_2")
		code(t, "the offer a change tried to move", err, epilogue.ENotFound)
		v1, err := db.ConfigVersions(ctx)
		must(t, err)
		if v1["s1"] < v0["s1"]+2 || v1["s2"] != v0["s2"] {
			t.Fatalf("two updates: versions %v -> %v", v0, v1)
		}

		_, err = db.UpdateOffer(ctx, "s1", "off_1", func(o *epilogue.Offer) error {
			o.Title = "bad"
			return epilogue.Invalid("title", "no")
		})
		code(t, "failed change", err, epilogue.EInvalid)
		stored, err = db.Offer(ctx, "s1", "off_1")
		must(t, err)
		equal(t, "offer after a failed change", stored, want)
		if v2, _ := db.ConfigVersions(ctx); v2["s1"] != v1["s1"] {
			t.Fatalf("a failed change bumped the version: %v -> %v", v1, v2)
		}

		// A change that finds the offer changed every time gives up: a conflict, nothing written.
		calls = 0
		_, err = db.UpdateOffer(ctx, "s1", "off_1", func(o *epilogue.Offer) error {
			calls++
			_, err := db.UpdateOffer(ctx, "s1", "off_1", func(o *epilogue.Offer) error { o.Priority++; return nil })
			must(t, err)
			o.Title = "never"
			return nil
		})
		code(t, "an offer that kept changing", err, epilogue.EConflict)
		if stored, _ := db.Offer(ctx, "s1", "off_1"); calls < 2 || stored.Title != want.Title {
			t.Fatalf("after %d attempts the title is %q", calls, stored.Title)
		}
	})
}

func TestOfferErrors(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		_, err := db.Offer(ctx, "s1", "off_nope")
		code(t, "Offer unknown", err, epilogue.ENotFound)
		must(t, db.CreateOffer(ctx, offer("s1", "off_1")))
		dup := offer("s1", "off_1")
		dup.Title = "other"
		code(t, "CreateOffer twice", db.CreateOffer(ctx, dup), epilogue.EConflict)
		got, err := db.Offer(ctx, "s1", "off_1")
		must(t, err)
		if got.Title == "other" {
			t.Fatal("a conflicting create replaced the offer")
		}
		code(t, "CreateOffer for an unknown shop", db.CreateOffer(ctx, offer("nope", "off_2")), epilogue.ENotFound)
	})
}

func TestOfferTenantIsolation(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		a := offer("a", "off_a")
		must(t, db.CreateOffer(ctx, a))
		// The same id in another shop is another offer.
		same := offer("b", "off_a")
		same.Title = "b's"
		must(t, db.CreateOffer(ctx, same))
		must(t, db.CreateOffer(ctx, offer("b", "off_b")))

		_, err := db.Offer(ctx, "a", "off_b")
		code(t, "a reads b's offer", err, epilogue.ENotFound)
		_, err = db.UpdateOffer(ctx, "a", "off_b", replace(offer("a", "off_b")))
		code(t, "a updates b's offer", err, epilogue.ENotFound)

		same.Title = "b's again"
		_, err = db.UpdateOffer(ctx, "b", "off_a", replace(same))
		must(t, err)
		got, err := db.Offer(ctx, "a", "off_a")
		must(t, err)
		equal(t, "a's offer after b's update of the same id", got, a)

		page, next, err := db.Offers(ctx, "a", store.ListFilter{})
		must(t, err)
		equal(t, "a's list", page, []*epilogue.Offer{a})
		if next != "" {
			t.Fatalf("next cursor %q after the only page", next)
		}
		all, err := db.AllOffers(ctx, "a")
		must(t, err)
		equal(t, "a's snapshot", all, []*epilogue.Offer{a})
	})
}

func TestOfferPagination(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		newShop(t, db, "s2")
		var partners []string
		for i, id := range ids("off_", 25) {
			o := offer("s1", id)
			o.Kind = []string{epilogue.KindPartner, epilogue.KindUpsell}[i%2]
			o.Status = []string{epilogue.StatusActive, epilogue.StatusActive, epilogue.StatusPaused, epilogue.StatusArchived}[i%4]
			if o.Kind == epilogue.KindPartner && o.Status == epilogue.StatusActive {
				partners = append(partners, id)
			}
			must(t, db.CreateOffer(ctx, o))
			// Another shop's offers interleave, and must never show up.
			must(t, db.CreateOffer(ctx, offer("s2", id)))
		}

		// Active partners, 2 per page: every one once, in creation order, then an empty cursor.
		var got []string
		f := store.ListFilter{Kind: epilogue.KindPartner, Status: epilogue.StatusActive, Limit: 2}
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
			page, next, err := db.Offers(ctx, "s1", f)
			must(t, err)
			for _, o := range page {
				if o.ShopID != "s1" || o.Kind != epilogue.KindPartner || o.Status != epilogue.StatusActive {
					t.Fatalf("page holds %s/%s %s %s", o.ShopID, o.ID, o.Kind, o.Status)
				}
				got = append(got, o.ID)
			}
			if next == "" {
				break
			}
			if len(page) != 2 {
				t.Fatalf("a page of %d before the end", len(page))
			}
			f.Cursor = next
		}
		equal(t, "active partners across pages", got, partners)

		// No filter and the default limit: all 25, archived included.
		page, next, err := db.Offers(ctx, "s1", store.ListFilter{})
		must(t, err)
		if len(page) != 25 || next != "" {
			t.Fatalf("unfiltered list: %d offers, next %q", len(page), next)
		}
		// An exact fit ends with an empty cursor, not an empty extra page.
		page, next, err = db.Offers(ctx, "s1", store.ListFilter{Limit: 25})
		must(t, err)
		if len(page) != 25 || next != "" {
			t.Fatalf("limit 25 of 25: %d offers, next %q", len(page), next)
		}
		// AllOffers leaves out the archived ones.
		all, err := db.AllOffers(ctx, "s1")
		must(t, err)
		for _, o := range all {
			if o.Status == epilogue.StatusArchived {
				t.Fatalf("AllOffers returned archived %s", o.ID)
			}
		}
		if len(all) != 25-6 {
			t.Fatalf("AllOffers: %d offers, want 19", len(all))
		}
	})
}

func TestListLimits(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		for _, id := range ids("off_", 205) {
			o := &epilogue.Offer{ID: id, ShopID: "s1", Kind: epilogue.KindContent, Status: epilogue.StatusActive}
			must(t, db.CreateOffer(ctx, o))
		}
		for _, c := range []struct{ limit, want int }{{0, 50}, {-1, 50}, {1, 1}, {200, 200}, {1000, 200}} {
			page, next, err := db.Offers(ctx, "s1", store.ListFilter{Limit: c.limit})
			must(t, err)
			if len(page) != c.want || next == "" {
				t.Errorf("limit %d: %d offers (next %q), want %d and a cursor", c.limit, len(page), next, c.want)
			}
		}
		for _, bad := range []string{"x", "!!!", "Yzk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "YzA", "Yy0x"} {
			_, _, err := db.Offers(ctx, "s1", store.ListFilter{Cursor: bad})
			code(t, "cursor "+bad, err, epilogue.EInvalid)
			var e *epilogue.Error
			if errorsAs(err, &e); e.Field != "cursor" {
				t.Fatalf("cursor %q: field %q, want cursor", bad, e.Field)
			}
			_, _, err = db.Placements(ctx, "s1", store.ListFilter{Cursor: bad})
			code(t, "placement cursor "+bad, err, epilogue.EInvalid)
		}
	})
}
