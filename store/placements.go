package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/epiloguehq/epilogue"
)

// CreatePlacement stores a new placement of p.ShopID and bumps the shop's config version. A
// placement id in use in that shop is a conflict; an unknown shop is NotFound.
func (db *DB) CreatePlacement(ctx context.Context, p *epilogue.Placement) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.bumpConfig(ctx, tx, p.ShopID); err != nil {
			return err
		}
		n, err := db.exec(ctx, tx, "InsertPlacement", p.ShopID, p.ID, p.Surface, p.MaxOffers, int64(p.Reserve),
			p.Layout, p.Status, micros(p.CreatedAt), micros(p.UpdatedAt))
		if err != nil {
			return err
		}
		if n == 0 {
			return epilogue.Errorf(epilogue.EConflict, "placement %q exists already", p.ID)
		}
		return nil
	})
}

// UpdatePlacement applies change to a stored placement, stores the result (its shop, id and
// creation time stay) and bumps the shop's config version. The result is written only over the
// placement change was given, so two changes at once (two requests, or two replicas) cannot lose
// one another: the one that finds the placement changed applies change again to the new one. An
// error from change is returned as it is, and nothing is written.
func (db *DB) UpdatePlacement(ctx context.Context, shopID, id string, change func(*epilogue.Placement) error) (*epilogue.Placement, error) {
	var p *epilogue.Placement
	err := untilWritten("placement "+id, func() (bool, error) {
		var err error
		if p, err = db.Placement(ctx, shopID, id); err != nil {
			return false, err
		}
		old := *p
		if err := change(p); err != nil {
			return false, err
		}
		p.ShopID, p.ID, p.CreatedAt = shopID, id, old.CreatedAt
		var n int64
		err = db.tx(ctx, func(tx *sql.Tx) error {
			// A placement has no JSON to compare: every column written is compared instead.
			var err error
			n, err = db.exec(ctx, tx, "UpdatePlacement", p.Surface, p.MaxOffers, int64(p.Reserve), p.Layout, p.Status,
				micros(p.UpdatedAt), shopID, id,
				old.Surface, old.MaxOffers, int64(old.Reserve), old.Layout, old.Status, micros(old.UpdatedAt))
			if err != nil || n == 0 {
				return err
			}
			return db.bumpConfig(ctx, tx, shopID)
		})
		return n == 1, err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Placement returns one placement of a shop.
func (db *DB) Placement(ctx context.Context, shopID, id string) (*epilogue.Placement, error) {
	p, _, err := scanPlacement(db.read.QueryRowContext(ctx, db.q.get("Placement"), shopID, id), shopID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, epilogue.NotFound("placement", id)
	}
	return p, wrap("Placement", err)
}

// Placements returns one page of a shop's placements in creation order, and the cursor of the
// next page ("" after the last). The filter's Kind selects a surface.
func (db *DB) Placements(ctx context.Context, shopID string, f ListFilter) ([]*epilogue.Placement, string, error) {
	after, err := afterSeq(f)
	if err != nil {
		return nil, "", err
	}
	limit := pageLimit(f)
	rows, err := db.read.QueryContext(ctx, db.q.get("Placements"), shopID, f.Status, f.Status, f.Kind, f.Kind, after, limit+1)
	if err != nil {
		return nil, "", wrap("Placements", err)
	}
	ps, seqs, err := scanPlacements(rows, shopID)
	if err != nil {
		return nil, "", wrap("Placements", err)
	}
	if len(ps) > limit {
		return ps[:limit], cursor(seqs[limit-1]), nil
	}
	return ps, "", nil
}

// AllPlacements returns every placement of a shop that is not archived, for the decision
// snapshot.
func (db *DB) AllPlacements(ctx context.Context, shopID string) ([]*epilogue.Placement, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("AllPlacements"), shopID)
	if err != nil {
		return nil, wrap("AllPlacements", err)
	}
	ps, _, err := scanPlacements(rows, shopID)
	return ps, wrap("AllPlacements", err)
}

func scanPlacements(rows *sql.Rows, shopID string) ([]*epilogue.Placement, []int64, error) {
	defer rows.Close()
	ps := []*epilogue.Placement{}
	var seqs []int64
	for rows.Next() {
		p, seq, err := scanPlacement(rows, shopID)
		if err != nil {
			return nil, nil, err
		}
		ps = append(ps, p)
		seqs = append(seqs, seq)
	}
	return ps, seqs, rows.Err()
}

func scanPlacement(r scanner, shopID string) (*epilogue.Placement, int64, error) {
	var p epilogue.Placement
	var seq, reserve, created, updated int64
	if err := r.Scan(&seq, &p.ID, &p.Surface, &p.MaxOffers, &reserve, &p.Layout, &p.Status, &created, &updated); err != nil {
		return nil, 0, err
	}
	p.ShopID = shopID
	p.Reserve = epilogue.Amount(reserve)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, seq, nil
}
