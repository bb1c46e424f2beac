package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/epiloguehq/epilogue"
)

// CreateKey stores a key of an existing shop. A key id or hash in use is a conflict.
func (db *DB) CreateKey(ctx context.Context, k epilogue.Key) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.insertKey(ctx, tx, k) })
}

func (db *DB) insertKey(ctx context.Context, tx *sql.Tx, k epilogue.Key) error {
	n, err := db.exec(ctx, tx, "InsertKey", k.ShopID, k.ID, k.Kind, k.Hash, k.Hint, micros(k.CreatedAt), nullMicros(k.RevokedAt))
	if err != nil {
		return err
	}
	if n == 0 {
		return epilogue.Errorf(epilogue.EConflict, "key %q exists already", k.ID)
	}
	return nil
}

// KeyByHash returns the key with the given hash, revoked or not: the caller decides what a
// revoked key means.
func (db *DB) KeyByHash(ctx context.Context, hash string) (*epilogue.Key, error) {
	k, err := scanKey(db.read.QueryRowContext(ctx, db.q.get("KeyByHash"), hash))
	if errors.Is(err, sql.ErrNoRows) {
		// The hash stays out of the message: it is as good as a key for a lookup like this one.
		return nil, epilogue.Errorf(epilogue.ENotFound, "key not found")
	}
	return k, wrap("KeyByHash", err)
}

// Keys returns a shop's keys, oldest first, revoked ones included.
func (db *DB) Keys(ctx context.Context, shopID string) ([]epilogue.Key, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("Keys"), shopID)
	if err != nil {
		return nil, wrap("Keys", err)
	}
	defer rows.Close()
	keys := []epilogue.Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, wrap("Keys", err)
		}
		keys = append(keys, *k)
	}
	return keys, wrap("Keys", rows.Err())
}

// RevokeKey marks a shop's key revoked at the given time; revoking it again keeps the first time.
func (db *DB) RevokeKey(ctx context.Context, shopID, keyID string, at time.Time) error {
	n, err := db.exec(ctx, db.write, "RevokeKey", micros(at), shopID, keyID)
	if err != nil {
		return err
	}
	if n == 0 {
		return epilogue.NotFound("key", keyID)
	}
	return nil
}

func scanKey(r scanner) (*epilogue.Key, error) {
	var k epilogue.Key
	var created int64
	var revoked sql.NullInt64
	if err := r.Scan(&k.ShopID, &k.ID, &k.Kind, &k.Hash, &k.Hint, &created, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMicros(created)
	k.RevokedAt = fromNullMicros(revoked)
	return &k, nil
}
