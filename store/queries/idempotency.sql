-- name: IdempotentResponse
SELECT request_hash, status, body FROM idempotency WHERE shop_id = ? AND key = ?;

-- name: SaveIdempotentResponse
-- The first answer wins: a retry racing the original must not replace it. A claim (status 0)
-- is filled in.
INSERT INTO idempotency (shop_id, key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, key) DO UPDATE SET status = excluded.status, body = excluded.body
WHERE idempotency.status = 0;

-- name: ClaimIdempotencyKey
-- A key is claimed (status 0) before its request runs, so that a retry on another replica
-- waits for the answer instead of running the request again; a claim older than the third
-- parameter was left by a process that died, and is taken over.
INSERT INTO idempotency (shop_id, key, request_hash, status, body, created_at) VALUES (?, ?, ?, 0, ?, ?)
ON CONFLICT (shop_id, key) DO UPDATE SET request_hash = excluded.request_hash, created_at = excluded.created_at
WHERE idempotency.status = 0 AND idempotency.created_at < ?;

-- name: ReleaseIdempotencyKey
DELETE FROM idempotency WHERE shop_id = ? AND key = ? AND status = 0;

-- name: PruneIdempotentResponses
DELETE FROM idempotency WHERE created_at < ?;
