package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func placement(shopID, id string) *epilogue.Placement {
	return &epilogue.Placement{
		ID: id, ShopID: shopID, Surface: epilogue.SurfaceThankYou, MaxOffers: 4, Reserve: 150_001,
		Layout: "carousel", Status: epilogue.StatusActive, CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
	}
}

func TestPlacementRoundTripAndUpdate(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		p := placement("s1", "thank-you/main")
		must(t, db.CreatePlacement(ctx, p))
		got, err := db.Placement(ctx, "s1", "thank-you/main")
		must(t, err)
		equal(t, "placement", got, p)

		code(t, "CreatePlacement twice", db.CreatePlacement(ctx, placement("s1", "thank-you/main")), epilogue.EConflict)
		code(t, "CreatePlacement unknown shop", db.CreatePlacement(ctx, placement("nope", "p")), epilogue.ENotFound)
		_, err = db.Placement(ctx, "s1", "nope")
		code(t, "Placement unknown", err, epilogue.ENotFound)

		u := placement("s1", "thank-you/main")
		u.Surface, u.MaxOffers, u.Reserve, u.Layout, u.Status = epilogue.SurfaceEmail, 1, 0, "single", epilogue.StatusPaused
		u.CreatedAt, u.UpdatedAt = t0.Add(time.Hour), t0.Add(2*time.Hour)
		answered, err := db.UpdatePlacement(ctx, "s1", "thank-you/main", replace(u))
		must(t, err)
		got, err = db.Placement(ctx, "s1", "thank-you/main")
		must(t, err)
		want := *u
		want.CreatedAt = t0
		equal(t, "updated placement", got, &want)
		equal(t, "answered placement", answered, &want)
		_, err = db.UpdatePlacement(ctx, "s1", "nope", func(*epilogue.Placement) error {
			t.Error("change applied to no placement")
			return nil
		})
		code(t, "UpdatePlacement unknown", err, epilogue.ENotFound)
	})
}

// Another change stored while a placement was being changed is kept, whichever column it
// changed (a placement has no JSON: every column is compared): the change is applied again over
// it. A change that fails writes nothing.
func TestPlacementUpdateKeepsConcurrentChanges(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		must(t, db.CreatePlacement(ctx, placement("s1", "main")))
		v0, err := db.ConfigVersions(ctx)
		must(t, err)

		// Each other change moves one column only, its update time included.
		others := []func(p *epilogue.Placement){
			func(p *epilogue.Placement) { p.Surface = epilogue.SurfaceEmail },
			func(p *epilogue.Placement) { p.MaxOffers = 9 },
			func(p *epilogue.Placement) { p.Reserve = 7 },
			func(p *epilogue.Placement) { p.Layout = "inline" },
			func(p *epilogue.Placement) { p.Status = epilogue.StatusPaused },
			func(p *epilogue.Placement) { p.UpdatedAt = t0.Add(time.Minute) },
		}
		want := placement("s1", "main")
		for i, other := range others {
			calls := 0
			got, err := db.UpdatePlacement(ctx, "s1", "main", func(p *epilogue.Placement) error {
				if calls++; calls == 1 {
					_, err := db.UpdatePlacement(ctx, "s1", "main", func(p *epilogue.Placement) error { other(p); return nil })
					must(t, err)
				}
				// Added to what is stored, so the answer shows which reserve it was applied to.
				p.Reserve += 1000
				// The change cannot move the placement or rewrite its history.
				p.ID, p.ShopID, p.CreatedAt = "other", "s2", t0.Add(99*time.Hour)
				return nil
			})
			must(t, err)
			other(want)
			want.Reserve += 1000
			stored, err := db.Placement(ctx, "s1", "main")
			must(t, err)
			if calls != 2 {
				t.Fatalf("change %d applied %d times, want 2", i, calls)
			}
			equal(t, "answered placement", got, want)
			equal(t, "stored placement", stored, want)
		}
		_, err = db.Placement(ctx, "s1", "other")
		code(t, "the placement a change tried to move", err, epilogue.ENotFound)
		v1, err := db.ConfigVersions(ctx)
		must(t, err)
		if v1["s1"] < v0["s1"]+2*int64(len(others)) {
			t.Fatalf("%d updates: versions %v -> %v", 2*len(others), v0, v1)
		}

		_, err = db.UpdatePlacement(ctx, "s1", "main", func(p *epilogue.Placement) error {
			p.MaxOffers = 1
			return epilogue.Invalid("max_offers", "no")
		})
		code(t, "failed change", err, epilogue.EInvalid)
		stored, err := db.Placement(ctx, "s1", "main")
		must(t, err)
		equal(t, "placement after a failed change", stored, want)
		if v2, _ := db.ConfigVersions(ctx); v2["s1"] != v1["s1"] {
			t.Fatalf("a failed change bumped the version: %v -> %v", v1, v2)
		}

		// A change that finds the placement changed every time gives up: a conflict.
		calls := 0
		_, err = db.UpdatePlacement(ctx, "s1", "main", func(p *epilogue.Placement) error {
			calls++
			_, err := db.UpdatePlacement(ctx, "s1", "main", func(p *epilogue.Placement) error { p.MaxOffers = p.MaxOffers%10 + 1; return nil })
			must(t, err)
			p.Layout = "list"
			return nil
		})
		code(t, "a placement that kept changing", err, epilogue.EConflict)
		if stored, _ := db.Placement(ctx, "s1", "main"); calls < 2 || stored.Layout != want.Layout {
			t.Fatalf("after %d attempts the layout is %q", calls, stored.Layout)
		}
	})
}

func TestPlacementTenantIsolation(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		a := placement("a", "main")
		must(t, db.CreatePlacement(ctx, a))
		b := placement("b", "main")
		b.MaxOffers = 9
		must(t, db.CreatePlacement(ctx, b))
		must(t, db.CreatePlacement(ctx, placement("b", "only-b")))

		_, err := db.Placement(ctx, "a", "only-b")
		code(t, "a reads b's placement", err, epilogue.ENotFound)
		_, err = db.UpdatePlacement(ctx, "a", "only-b", replace(placement("a", "only-b")))
		code(t, "a updates b's placement", err, epilogue.ENotFound)
		b.MaxOffers = 10
		_, err = db.UpdatePlacement(ctx, "b", "main", replace(b))
		must(t, err)
		got, err := db.Placement(ctx, "a", "main")
		must(t, err)
		equal(t, "a's placement", got, a)

		page, _, err := db.Placements(ctx, "a", store.ListFilter{})
		must(t, err)
		equal(t, "a's placements", page, []*epilogue.Placement{a})
		all, err := db.AllPlacements(ctx, "a")
		must(t, err)
		equal(t, "a's snapshot placements", all, []*epilogue.Placement{a})
	})
}

func TestPlacementPagination(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		var emails []string
		for i, id := range ids("p", 13) {
			p := placement("s1", id)
			p.Surface = []string{epilogue.SurfaceEmail, epilogue.SurfaceCart, epilogue.SurfaceEmail}[i%3]
			if i == 4 {
				p.Status = epilogue.StatusArchived
			}
			if p.Surface == epilogue.SurfaceEmail && p.Status == epilogue.StatusActive {
				emails = append(emails, id)
			}
			must(t, db.CreatePlacement(ctx, p))
		}
		var got []string
		f := store.ListFilter{Kind: epilogue.SurfaceEmail, Status: epilogue.StatusActive, Limit: 3}
		for range 10 {
			page, next, err := db.Placements(ctx, "s1", f)
			must(t, err)
			for _, p := range page {
				got = append(got, p.ID)
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
		equal(t, "active email placements across pages", got, emails)

		all, err := db.AllPlacements(ctx, "s1")
		must(t, err)
		if len(all) != 12 {
			t.Fatalf("AllPlacements: %d, want 12 (one archived)", len(all))
		}
	})
}
