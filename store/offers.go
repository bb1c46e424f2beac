package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/epiloguehq/epilogue"
)

// CreateOffer stores a new offer of o.ShopID and bumps the shop's config version. An offer id in
// use in that shop is a conflict; an unknown shop is NotFound.
func (db *DB) CreateOffer(ctx context.Context, o *epilogue.Offer) error {
	data, err := marshal("offer", o)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.bumpConfig(ctx, tx, o.ShopID); err != nil {
			return err
		}
		n, err := db.exec(ctx, tx, "InsertOffer", o.ShopID, o.ID, o.Kind, o.Status, data, micros(o.CreatedAt), micros(o.UpdatedAt))
		if err != nil {
			return err
		}
		if n == 0 {
			return epilogue.Errorf(epilogue.EConflict, "offer %q exists already", o.ID)
		}
		return nil
	})
}

// UpdateOffer applies change to a stored offer, stores the result (its shop, id and creation
// time stay) and bumps the shop's config version. The result is written only over the offer
// change was given, so two changes at once (two requests, or two replicas) cannot lose one
// another: the one that finds the offer changed applies change again to the new one. An error
// from change is returned as it is, and nothing is written.
func (db *DB) UpdateOffer(ctx context.Context, shopID, id string, change func(*epilogue.Offer) error) (*epilogue.Offer, error) {
	var o *epilogue.Offer
	err := untilWritten("offer "+id, func() (bool, error) {
		var old string
		var err error
		o, _, old, err = scanOfferData(db.read.QueryRowContext(ctx, db.q.get("Offer"), shopID, id), shopID)
		if errors.Is(err, sql.ErrNoRows) {
			return false, epilogue.NotFound("offer", id)
		}
		if err != nil {
			return false, wrap("UpdateOffer", err)
		}
		created := o.CreatedAt
		if err := change(o); err != nil {
			return false, err
		}
		o.ShopID, o.ID, o.CreatedAt = shopID, id, created
		data, err := marshal("offer", o)
		if err != nil {
			return false, err
		}
		var n int64
		err = db.tx(ctx, func(tx *sql.Tx) error {
			var err error
			if n, err = db.exec(ctx, tx, "UpdateOffer", o.Kind, o.Status, data, micros(o.UpdatedAt), shopID, id, old); err != nil || n == 0 {
				return err
			}
			return db.bumpConfig(ctx, tx, shopID)
		})
		return n == 1, err
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Offer returns one offer of a shop.
func (db *DB) Offer(ctx context.Context, shopID, id string) (*epilogue.Offer, error) {
	o, _, err := scanOffer(db.read.QueryRowContext(ctx, db.q.get("Offer"), shopID, id), shopID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, epilogue.NotFound("offer", id)
	}
	return o, wrap("Offer", err)
}

// Offers returns one page of a shop's offers in creation order, and the cursor of the next page
// ("" after the last).
func (db *DB) Offers(ctx context.Context, shopID string, f ListFilter) ([]*epilogue.Offer, string, error) {
	after, err := afterSeq(f)
	if err != nil {
		return nil, "", err
	}
	limit := pageLimit(f)
	rows, err := db.read.QueryContext(ctx, db.q.get("Offers"), shopID, f.Status, f.Status, f.Kind, f.Kind, after, limit+1)
	if err != nil {
		return nil, "", wrap("Offers", err)
	}
	offers, seqs, err := db.scanOffers(rows, shopID)
	if err != nil {
		return nil, "", wrap("Offers", err)
	}
	if len(offers) > limit {
		return offers[:limit], cursor(seqs[limit-1]), nil
	}
	return offers, "", nil
}

// AllOffers returns every offer of a shop that is not archived, for the decision snapshot.
func (db *DB) AllOffers(ctx context.Context, shopID string) ([]*epilogue.Offer, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("AllOffers"), shopID)
	if err != nil {
		return nil, wrap("AllOffers", err)
	}
	offers, _, err := db.scanOffers(rows, shopID)
	return offers, wrap("AllOffers", err)
}

// scanOffers reads offer rows, skipping (and reporting) those whose JSON does not decode.
func (db *DB) scanOffers(rows *sql.Rows, shopID string) ([]*epilogue.Offer, []int64, error) {
	defer rows.Close()
	offers := []*epilogue.Offer{}
	var seqs []int64
	for rows.Next() {
		o, seq, err := scanOffer(rows, shopID)
		var bad *badRecord
		if errors.As(err, &bad) {
			db.skip("offer", shopID, bad.id, bad.err)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		offers = append(offers, o)
		seqs = append(seqs, seq)
	}
	return offers, seqs, rows.Err()
}

// scanOffer decodes the JSON of an offer and lays the columns over it, so that the row's own
// id, shop and times win over anything the JSON says.
func scanOffer(r scanner, shopID string) (*epilogue.Offer, int64, error) {
	o, seq, _, err := scanOfferData(r, shopID)
	return o, seq, err
}

// scanOfferData is scanOffer that also returns the JSON as stored, which UpdateOffer writes over.
func scanOfferData(r scanner, shopID string) (*epilogue.Offer, int64, string, error) {
	var seq, created, updated int64
	var id, data string
	if err := r.Scan(&seq, &id, &data, &created, &updated); err != nil {
		return nil, 0, "", err
	}
	var o epilogue.Offer
	if err := unmarshal("offer", data, &o); err != nil {
		return nil, 0, "", &badRecord{id, err}
	}
	o.ID, o.ShopID = id, shopID
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &o, seq, data, nil
}
