-- name: IdempotentResponse
SELECT request_hash, status, body FROM idempotency WHERE shop_id = ? AND key = ?;

-- name: SaveIdempotentResponse
-- The first answer wins: a retry racing the original must not replace it.
INSERT INTO idempotency (shop_id, key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, key) DO NOTHING;

-- name: PruneIdempotentResponses
DELETE FROM idempotency WHERE created_at < ?;
