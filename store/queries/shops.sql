-- name: InsertShop
INSERT INTO shops (id, name, secret, data, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: Shop
SELECT id, name, secret, data, created_at FROM shops WHERE id = ?;

-- name: Shops
SELECT id, name, secret, data, created_at FROM shops ORDER BY created_at, id;

-- name: ShopSettings
SELECT data FROM shops WHERE id = ?;

-- name: UpdateSettings
-- Only over the settings the change was made to: another replica's change in between is kept.
UPDATE shops SET data = ?, config_version = config_version + 1 WHERE id = ? AND data = ?;

-- name: BumpConfigVersion
UPDATE shops SET config_version = config_version + 1 WHERE id = ?;

-- name: ConfigVersions
SELECT id, config_version FROM shops;
