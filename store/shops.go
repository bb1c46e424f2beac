package store

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/epiloguehq/epilogue"
)

// CreateShop stores a new shop with its first keys, all or nothing. A shop or key that exists
// already is a conflict.
func (db *DB) CreateShop(ctx context.Context, s *epilogue.Shop, keys ...epilogue.Key) error {
	data, err := marshal("settings", s.Settings)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		n, err := db.exec(ctx, tx, "InsertShop", s.ID, s.Name, s.Secret, data, micros(s.CreatedAt))
		if err != nil {
			return err
		}
		if n == 0 {
			return epilogue.Errorf(epilogue.EConflict, "shop %q exists already", s.ID)
		}
		for _, k := range keys {
			if k.ShopID == "" {
				k.ShopID = s.ID
			}
			if k.ShopID != s.ID {
				return epilogue.Invalid("shop_id", "key %q belongs to shop %q, not %q", k.ID, k.ShopID, s.ID)
			}
			if err := db.insertKey(ctx, tx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Shop returns one shop.
func (db *DB) Shop(ctx context.Context, id string) (*epilogue.Shop, error) {
	s, err := scanShop(db.read.QueryRowContext(ctx, db.q.get("Shop"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, epilogue.NotFound("shop", id)
	}
	return s, wrap("Shop", err)
}

// Shops returns every shop, oldest first.
func (db *DB) Shops(ctx context.Context) ([]*epilogue.Shop, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("Shops"))
	if err != nil {
		return nil, wrap("Shops", err)
	}
	defer rows.Close()
	shops := []*epilogue.Shop{}
	for rows.Next() {
		s, err := scanShop(rows)
		var bad *badRecord
		if errors.As(err, &bad) {
			db.skip("shop settings", bad.id, bad.id, bad.err)
			continue
		}
		if err != nil {
			return nil, wrap("Shops", err)
		}
		shops = append(shops, s)
	}
	return shops, wrap("Shops", rows.Err())
}

// UpdateSettings applies patch to a shop's settings, stores them and bumps its config version.
// The settings are written only over those patch was given, so two changes at once (on two
// replicas) cannot lose one another: the one that finds them changed applies its patch again to
// the new ones. An error from patch is returned as it is, and nothing is written.
func (db *DB) UpdateSettings(ctx context.Context, shopID string, patch func(*epilogue.Settings) error) (epilogue.Settings, error) {
	var s epilogue.Settings
	err := untilWritten("the shop's settings", func() (bool, error) {
		var old string
		err := db.write.QueryRowContext(ctx, db.q.get("ShopSettings"), shopID).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return false, epilogue.NotFound("shop", shopID)
		}
		if err != nil {
			return false, wrap("UpdateSettings", err)
		}
		if s, err = decodeSettings(old); err != nil {
			return false, err
		}
		if err := patch(&s); err != nil {
			return false, err
		}
		data, err := marshal("settings", s)
		if err != nil {
			return false, err
		}
		n, err := db.exec(ctx, db.write, "UpdateSettings", data, shopID, old)
		return n == 1, err
	})
	if err != nil {
		return epilogue.Settings{}, err
	}
	return s, nil
}

// ConfigVersions returns each shop's config version, which every offer, placement or settings
// write bumps: a replica rebuilds a shop's snapshot when its version moves.
func (db *DB) ConfigVersions(ctx context.Context) (map[string]int64, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("ConfigVersions"))
	if err != nil {
		return nil, wrap("ConfigVersions", err)
	}
	defer rows.Close()
	vs := map[string]int64{}
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, wrap("ConfigVersions", err)
		}
		vs[id] = v
	}
	return vs, wrap("ConfigVersions", rows.Err())
}

// bumpConfig marks a shop's configuration changed, inside the transaction that changes it; a
// missing shop is NotFound.
func (db *DB) bumpConfig(ctx context.Context, tx *sql.Tx, shopID string) error {
	n, err := db.exec(ctx, tx, "BumpConfigVersion", shopID)
	if err != nil {
		return err
	}
	if n == 0 {
		return epilogue.NotFound("shop", shopID)
	}
	return nil
}

type scanner interface {
	Scan(dest ...any) error
}

func scanShop(r scanner) (*epilogue.Shop, error) {
	var s epilogue.Shop
	var data string
	var created int64
	if err := r.Scan(&s.ID, &s.Name, &s.Secret, &data, &created); err != nil {
		return nil, err
	}
	s.CreatedAt = fromMicros(created)
	var err error
	if s.Settings, err = decodeSettings(data); err != nil {
		return nil, &badRecord{s.ID, err}
	}
	return &s, nil
}

// decodeSettings decodes stored settings over the defaults: a setting added after the row was
// written reads as its default, not as zero.
func decodeSettings(data string) (epilogue.Settings, error) {
	s := epilogue.DefaultSettings()
	err := unmarshal("settings", data, &s)
	return s, err
}

// casAttempts bounds how often a read-change-write (UpdateSettings, UpdateJourney,
// updateDocument, UpdateOffer, UpdatePlacement, UpdateCustomer) is tried again after finding
// that another writer changed the row in between.
const casAttempts = 8

// untilWritten runs try, one read-change-write that reports whether its write landed (false
// when another writer changed the row in between), until one lands: casAttempts times at most,
// pausing between attempts, then the conflict keptChanging(what).
func untilWritten(what string, try func() (bool, error)) error {
	for attempt := 1; ; attempt++ {
		written, err := try()
		if err != nil || written {
			return err
		}
		if attempt == casAttempts {
			return keptChanging(what)
		}
		casPause(attempt)
	}
}

// casPause waits a little, more after each failed attempt and at random, before a
// read-change-write tries again: writers that collided once would otherwise collide again.
func casPause(attempt int) {
	time.Sleep(time.Duration(rand.IntN(attempt*2000)+1) * time.Microsecond)
}

// keptChanging is the conflict when every attempt found the row changed.
func keptChanging(what string) error {
	return epilogue.Errorf(epilogue.EConflict, "%s kept changing while this change was made; try again", what)
}
