package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Response is the stored answer to a write sent with an Idempotency-Key: its request hash (so a
// different request reusing the key is caught), status and body. It is the root type, so the
// HTTP layer can declare the store it needs without importing this package.
type Response = epilogue.StoredResponse

// IdempotentResponse returns the answer stored under a shop's idempotency key, and whether there
// is one.
func (db *DB) IdempotentResponse(ctx context.Context, shopID, key string) (Response, bool, error) {
	var r Response
	err := db.read.QueryRowContext(ctx, db.q.get("IdempotentResponse"), shopID, key).Scan(&r.RequestHash, &r.Status, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return Response{}, false, nil
	}
	if err != nil {
		return Response{}, false, wrap("IdempotentResponse", err)
	}
	return r, true, nil
}

// SaveIdempotentResponse stores the answer to a write under a shop's idempotency key, unless one
// is stored already: the first wins. The row is stamped with the wall clock, which only
// PruneIdempotentResponses reads: Response carries no time of its own.
func (db *DB) SaveIdempotentResponse(ctx context.Context, shopID, key string, r Response) error {
	body := r.Body
	if body == nil {
		body = []byte{} // NOT NULL, and an empty body is a body
	}
	_, err := db.exec(ctx, db.write, "SaveIdempotentResponse", shopID, key, r.RequestHash, r.Status, body, micros(time.Now()))
	return err
}

// ClaimIdempotencyKey claims a key for a request about to run: true when this caller may run
// it, false when another holds the key (running, or answered: see IdempotentResponse). A claim
// older than stale is taken over, as its holder died before answering.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, shopID, key, requestHash string, now time.Time, stale time.Duration) (bool, error) {
	n, err := db.exec(ctx, db.write, "ClaimIdempotencyKey", shopID, key, requestHash, []byte{}, micros(now), micros(now.Add(-stale)))
	return n == 1, err
}

// ReleaseIdempotencyKey gives up a claim whose request failed (5xx), so a retry runs it again.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, shopID, key string) error {
	_, err := db.exec(ctx, db.write, "ReleaseIdempotencyKey", shopID, key)
	return err
}

// PruneIdempotentResponses deletes the answers of every shop stored before a time, since a
// client retries within minutes, not months; it returns how many went.
func (db *DB) PruneIdempotentResponses(ctx context.Context, before time.Time) (int64, error) {
	return db.exec(ctx, db.write, "PruneIdempotentResponses", micros(before))
}
