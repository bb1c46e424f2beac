-- name: SaveModel
INSERT INTO models (name, version, size, blob, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: LatestModel
SELECT version, blob FROM models WHERE name = ? ORDER BY version DESC LIMIT 1;

-- name: Models
SELECT version, size, created_at FROM models WHERE name = ? ORDER BY version DESC LIMIT ?;

-- name: ModelBlob
SELECT blob FROM models WHERE name = ? AND version = ?;
