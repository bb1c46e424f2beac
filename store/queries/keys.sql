-- name: InsertKey
INSERT INTO api_keys (shop_id, id, kind, hash, hint, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: KeyByHash
SELECT shop_id, id, kind, hash, hint, created_at, revoked_at FROM api_keys WHERE hash = ?;

-- name: Keys
SELECT shop_id, id, kind, hash, hint, created_at, revoked_at FROM api_keys WHERE shop_id = ? ORDER BY seq;

-- name: RevokeKey
-- A second revocation keeps the first time.
UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE shop_id = ? AND id = ?;
