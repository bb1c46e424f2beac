package store_test

import (
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

func TestShopRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		s := &epilogue.Shop{
			ID: "shop_1", Name: "Café Ünïcode ☕", Secret: "s3cret",
			Settings: epilogue.Settings{
				HoldoutShare: 0.125, DismissalPeriod: epilogue.Duration(36 * time.Hour),
				AllowedOrigins: []string{"https://a.example", "http://localhost:8080"},
				Currency:       "EUR", Timezone: "Europe/Paris",
				ShopifyWebhookSecret: "shpss", EasypostWebhookSecret: "ep",
			},
			CreatedAt: t0,
		}
		must(t, db.CreateShop(ctx, s))
		got, err := db.Shop(ctx, "shop_1")
		must(t, err)
		equal(t, "shop", got, s)

		// nil and empty origins stay apart: nil is "never set", empty is "any origin, on purpose".
		empty := &epilogue.Shop{ID: "shop_2", Settings: epilogue.Settings{AllowedOrigins: []string{}}, CreatedAt: t0}
		must(t, db.CreateShop(ctx, empty))
		got, err = db.Shop(ctx, "shop_2")
		must(t, err)
		equal(t, "shop with empty lists", got, empty)

		all, err := db.Shops(ctx)
		must(t, err)
		equal(t, "shops", all, []*epilogue.Shop{s, empty})
	})
}

func TestShopTimesKeepMicroseconds(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		paris, _ := time.LoadLocation("Europe/Paris")
		in := time.Date(2024, 7, 1, 23, 59, 59, 999_999_999, paris)
		must(t, db.CreateShop(ctx, &epilogue.Shop{ID: "s", CreatedAt: in}))
		got, err := db.Shop(ctx, "s")
		must(t, err)
		want := in.Truncate(time.Microsecond).UTC()
		if got.CreatedAt != want {
			t.Fatalf("created_at %v, want %v (microseconds, UTC)", got.CreatedAt, want)
		}
	})
}

func TestShopNotFoundAndConflict(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		_, err := db.Shop(ctx, "nope")
		code(t, "Shop", err, epilogue.ENotFound)
		_, err = db.UpdateSettings(ctx, "nope", func(*epilogue.Settings) error { return nil })
		code(t, "UpdateSettings", err, epilogue.ENotFound)

		newShop(t, db, "s1")
		code(t, "CreateShop twice", db.CreateShop(ctx, &epilogue.Shop{ID: "s1", Name: "other"}), epilogue.EConflict)
		got, err := db.Shop(ctx, "s1")
		must(t, err)
		if got.Name != "Shop s1" {
			t.Fatalf("a conflicting create changed the shop: %q", got.Name)
		}
		shops, err := db.Shops(ctx)
		must(t, err)
		if len(shops) != 1 {
			t.Fatalf("%d shops", len(shops))
		}
	})
}

func TestCreateShopWithKeysIsAtomic(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		k1, _ := epilogue.NewKey("", epilogue.KeySecret, t0)
		k2, _ := epilogue.NewKey("s1", epilogue.KeyPublishable, t0)
		must(t, db.CreateShop(ctx, &epilogue.Shop{ID: "s1", CreatedAt: t0}, k1, k2))
		keys, err := db.Keys(ctx, "s1")
		must(t, err)
		k1.ShopID = "s1" // filled in from the shop
		equal(t, "keys", keys, []epilogue.Key{k1, k2})

		// A second shop whose key reuses a hash fails whole: no shop without its keys.
		k3, _ := epilogue.NewKey("s2", epilogue.KeySecret, t0)
		dup := k1
		dup.ID, dup.ShopID = "key_other", "s2"
		code(t, "CreateShop with a used key hash", db.CreateShop(ctx, &epilogue.Shop{ID: "s2"}, k3, dup), epilogue.EConflict)
		_, err = db.Shop(ctx, "s2")
		code(t, "shop of a failed create", err, epilogue.ENotFound)
		_, err = db.KeyByHash(ctx, k3.Hash)
		code(t, "key of a failed create", err, epilogue.ENotFound)

		// A key that names another shop is refused.
		k4, _ := epilogue.NewKey("s1", epilogue.KeySecret, t0)
		code(t, "CreateShop with another shop's key", db.CreateShop(ctx, &epilogue.Shop{ID: "s3"}, k4), epilogue.EInvalid)
	})
}

func TestKeys(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		ka, _ := epilogue.NewKey("a", epilogue.KeySecret, t0)
		kb, _ := epilogue.NewKey("b", epilogue.KeyPublishable, t0.Add(time.Second))
		must(t, db.CreateKey(ctx, ka))
		must(t, db.CreateKey(ctx, kb))

		got, err := db.KeyByHash(ctx, ka.Hash)
		must(t, err)
		equal(t, "key by hash", *got, ka)
		_, err = db.KeyByHash(ctx, epilogue.HashKey("sk_unknown"))
		code(t, "KeyByHash unknown", err, epilogue.ENotFound)

		code(t, "CreateKey same id", db.CreateKey(ctx, ka), epilogue.EConflict)
		dupHash := kb
		dupHash.ID = "key_new"
		code(t, "CreateKey same hash", db.CreateKey(ctx, dupHash), epilogue.EConflict)

		// Shop b cannot revoke shop a's key; the key stays usable.
		code(t, "RevokeKey across shops", db.RevokeKey(ctx, "b", ka.ID, t0), epilogue.ENotFound)
		code(t, "RevokeKey unknown", db.RevokeKey(ctx, "a", "key_nope", t0), epilogue.ENotFound)
		got, err = db.KeyByHash(ctx, ka.Hash)
		must(t, err)
		if got.RevokedAt != nil {
			t.Fatal("shop b revoked shop a's key")
		}

		revoked := t0.Add(time.Hour)
		must(t, db.RevokeKey(ctx, "a", ka.ID, revoked))
		must(t, db.RevokeKey(ctx, "a", ka.ID, revoked.Add(time.Hour))) // the first time stays
		got, err = db.KeyByHash(ctx, ka.Hash)
		must(t, err)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(revoked) {
			t.Fatalf("revoked_at %v, want %v", got.RevokedAt, revoked)
		}

		keys, err := db.Keys(ctx, "b")
		must(t, err)
		equal(t, "shop b's keys", keys, []epilogue.Key{kb})
		keys, err = db.Keys(ctx, "nobody")
		must(t, err)
		if keys == nil || len(keys) != 0 {
			t.Fatalf("keys of an unknown shop: %#v, want empty", keys)
		}
	})
}

func TestUpdateSettingsAndConfigVersions(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		v0, err := db.ConfigVersions(ctx)
		must(t, err)
		if len(v0) != 2 || v0["a"] == 0 || v0["b"] == 0 {
			t.Fatalf("config versions %v", v0)
		}

		s := epilogue.DefaultSettings()
		s.Currency, s.HoldoutShare = "GBP", 0.2
		stored, err := db.UpdateSettings(ctx, "a", func(st *epilogue.Settings) error {
			st.Currency, st.HoldoutShare = "GBP", 0.2
			return nil
		})
		must(t, err)
		equal(t, "answered settings", stored, s)
		got, err := db.Shop(ctx, "a")
		must(t, err)
		equal(t, "settings", got.Settings, s)
		// A patch that fails writes nothing.
		_, err = db.UpdateSettings(ctx, "a", func(st *epilogue.Settings) error {
			st.Currency = "JPY"
			return epilogue.Invalid("currency", "no")
		})
		code(t, "failed patch", err, epilogue.EInvalid)
		if got, _ := db.Shop(ctx, "a"); got.Settings.Currency != "GBP" {
			t.Fatalf("a failed patch was written: %s", got.Settings.Currency)
		}
		// Another change stored while a patch was being made (as another replica does) is kept:
		// the patch is applied again over it.
		calls := 0
		_, err = db.UpdateSettings(ctx, "a", func(st *epilogue.Settings) error {
			if calls++; calls == 1 {
				_, err := db.UpdateSettings(ctx, "a", func(st *epilogue.Settings) error { st.HoldoutShare = 0.3; return nil })
				must(t, err)
			}
			st.Currency = "EUR"
			return nil
		})
		must(t, err)
		if got, _ := db.Shop(ctx, "a"); calls != 2 || got.Settings.Currency != "EUR" || got.Settings.HoldoutShare != 0.3 {
			t.Fatalf("after a concurrent change (%d calls): %+v", calls, got.Settings)
		}
		s.Currency, s.HoldoutShare = "EUR", 0.3
		other, err := db.Shop(ctx, "b")
		must(t, err)
		equal(t, "other shop's settings", other.Settings, epilogue.DefaultSettings())

		v1, err := db.ConfigVersions(ctx)
		must(t, err)
		if v1["a"] <= v0["a"] || v1["b"] != v0["b"] {
			t.Fatalf("settings write: versions %v -> %v, want only a bumped", v0, v1)
		}

		// Every offer and placement write bumps its own shop's version only.
		steps := []struct {
			name string
			do   func() error
		}{
			{"CreateOffer", func() error { return db.CreateOffer(ctx, offer("a", "off_1")) }},
			{"UpdateOffer", func() error { _, err := db.UpdateOffer(ctx, "a", "off_1", replace(offer("a", "off_1"))); return err }},
			{"CreatePlacement", func() error { return db.CreatePlacement(ctx, placement("a", "p1")) }},
			{"UpdatePlacement", func() error {
				_, err := db.UpdatePlacement(ctx, "a", "p1", replace(placement("a", "p1")))
				return err
			}},
		}
		for _, step := range steps {
			before, err := db.ConfigVersions(ctx)
			must(t, err)
			must(t, step.do())
			after, err := db.ConfigVersions(ctx)
			must(t, err)
			if after["a"] <= before["a"] || after["b"] != before["b"] {
				t.Fatalf("%s: versions %v -> %v, want only a bumped", step.name, before, after)
			}
		}

		// A failed write bumps nothing.
		before, _ := db.ConfigVersions(ctx)
		code(t, "CreateOffer twice", db.CreateOffer(ctx, offer("a", "off_1")), epilogue.EConflict)
		_, err = db.UpdateOffer(ctx, "b", "off_1", replace(offer("b", "off_1")))
		code(t, "UpdateOffer across shops", err, epilogue.ENotFound)
		after, _ := db.ConfigVersions(ctx)
		equal(t, "versions after failed writes", after, before)
	})
}

// Settings written before a setting existed read back with its default, and a stored zero
// stays zero.
func TestSettingsWrittenBeforeASettingExisted(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		must(t, db.ExecArgs(ctx, `UPDATE shops SET data = ? WHERE id = 'a'`,
			`{"holdout_share":0,"dismissal_period":"720h","allowed_origins":[],"currency":"EUR","timezone":"UTC"}`))
		got, err := db.Shop(ctx, "a")
		must(t, err)
		s := got.Settings
		if s.StallTransitHours != epilogue.DefaultStallTransitHours || s.StallFulfillmentHours != epilogue.DefaultStallFulfillmentHours || s.HoldoutShare != 0 || s.Currency != "EUR" {
			t.Fatalf("legacy settings read as %+v", s)
		}
		must(t, s.Validate())
	})
}
