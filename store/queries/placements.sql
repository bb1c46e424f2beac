-- name: InsertPlacement
INSERT INTO placements (shop_id, id, surface, max_offers, reserve, layout, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: UpdatePlacement
-- created_at is kept: a full replace does not rewrite history.
UPDATE placements SET surface = ?, max_offers = ?, reserve = ?, layout = ?, status = ?, updated_at = ?
WHERE shop_id = ? AND id = ?;

-- name: Placement
SELECT seq, id, surface, max_offers, reserve, layout, status, created_at, updated_at FROM placements
WHERE shop_id = ? AND id = ?;

-- name: Placements
SELECT seq, id, surface, max_offers, reserve, layout, status, created_at, updated_at FROM placements
WHERE shop_id = ? AND (? = '' OR status = ?) AND (? = '' OR surface = ?) AND seq > ?
ORDER BY seq
LIMIT ?;

-- name: AllPlacements
SELECT seq, id, surface, max_offers, reserve, layout, status, created_at, updated_at FROM placements
WHERE shop_id = ? AND status <> 'archived'
ORDER BY seq;
