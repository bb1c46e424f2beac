-- name: InsertPlacement
INSERT INTO placements (shop_id, id, surface, max_offers, reserve, layout, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: UpdatePlacement
-- Only over the placement the change was made to (every column it writes as it was read):
-- another writer's change in between is kept. created_at is kept: an update does not rewrite
-- history.
UPDATE placements SET surface = ?, max_offers = ?, reserve = ?, layout = ?, status = ?, updated_at = ?
WHERE shop_id = ? AND id = ?
    AND surface = ? AND max_offers = ? AND reserve = ? AND layout = ? AND status = ? AND updated_at = ?;

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
