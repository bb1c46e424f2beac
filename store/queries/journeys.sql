-- name: InsertJourney
INSERT INTO journeys (shop_id, id, status, version, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: UpdateJourney
-- Only over the version it was read at: another replica's change in between is not overwritten.
UPDATE journeys SET status = ?, version = ?, data = ?, updated_at = ? WHERE shop_id = ? AND id = ? AND version = ?;

-- name: Journey
SELECT seq, id, status, version, data, created_at, updated_at FROM journeys WHERE shop_id = ? AND id = ?;

-- name: Journeys
SELECT seq, id, status, version, data, created_at, updated_at FROM journeys
WHERE shop_id = ? AND (? = '' OR status = ?) AND seq > ?
ORDER BY seq
LIMIT ?;

-- name: ShopJourneys
SELECT seq, id, status, version, data, created_at, updated_at FROM journeys WHERE shop_id = ? ORDER BY seq;

-- name: InsertMessagingSettings
-- The first settings of a shop, written with its default journeys; settings stored already win.
INSERT INTO messaging_settings (shop_id, data, updated_at) VALUES (?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: UpdateMessagingSettings
-- Only over the settings the change was made to: another replica's change in between is kept.
UPDATE messaging_settings SET data = ?, updated_at = ? WHERE shop_id = ? AND data = ?;

-- name: MessagingSettings
SELECT data FROM messaging_settings WHERE shop_id = ?;

-- name: InsertBrand
-- A shop's first brand; when another writer stored one first, the change is made again to it.
INSERT INTO brands (shop_id, data, updated_at) VALUES (?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: UpdateBrand
-- Only over the brand the change was made to.
UPDATE brands SET data = ?, updated_at = ? WHERE shop_id = ? AND data = ?;

-- name: Brand
SELECT data FROM brands WHERE shop_id = ?;

-- name: SaveTemplate
INSERT INTO templates (shop_id, id, locale, data, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (shop_id, id, locale) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at;

-- name: Templates
SELECT id, locale, data FROM templates WHERE shop_id = ? ORDER BY id, locale;
