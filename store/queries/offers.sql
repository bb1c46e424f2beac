-- name: InsertOffer
INSERT INTO offers (shop_id, id, kind, status, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: UpdateOffer
-- created_at is kept: a full replace does not rewrite history.
UPDATE offers SET kind = ?, status = ?, data = ?, updated_at = ? WHERE shop_id = ? AND id = ?;

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
