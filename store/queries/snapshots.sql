-- name: PruneModels
DELETE FROM models WHERE name = ? AND version < ?;
