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
		must(t, db.UpdatePlacement(ctx, u))
		got, err = db.Placement(ctx, "s1", "thank-you/main")
		must(t, err)
		want := *u
		want.CreatedAt = t0
		equal(t, "updated placement", got, &want)
		code(t, "UpdatePlacement unknown", db.UpdatePlacement(ctx, placement("s1", "nope")), epilogue.ENotFound)
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
		code(t, "a updates b's placement", db.UpdatePlacement(ctx, placement("a", "only-b")), epilogue.ENotFound)
		b.MaxOffers = 10
		must(t, db.UpdatePlacement(ctx, b))
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
