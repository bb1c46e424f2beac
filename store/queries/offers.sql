-- name: InsertOffer
INSERT INTO offers (shop_id, id, kind, status, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: UpdateOffer
-- Only over the offer the change was made to: another writer's change in between is kept.
-- created_at is kept: an update does not rewrite history.
UPDATE offers SET kind = ?, status = ?, data = ?, updated_at = ? WHERE shop_id = ? AND id = ? AND data = ?;

-- name: Offer
SELECT seq, id, data, created_at, updated_at FROM offers WHERE shop_id = ? AND id = ?;

-- name: Offers
SELECT seq, id, data, created_at, updated_at FROM offers
WHERE shop_id = ? AND (? = '' OR status = ?) AND (? = '' OR kind = ?) AND seq > ?
ORDER BY seq
LIMIT ?;

-- name: AllOffers
SELECT seq, id, data, created_at, updated_at FROM offers
WHERE shop_id = ? AND status <> 'archived'
ORDER BY seq;
