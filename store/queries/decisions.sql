-- name: InsertDecisionBatch
-- The tuple is repeated once per shop of a commit. A batch stored already (the same first
-- decision) stays as it is, so a batch retried after an uncertain commit succeeds.
INSERT INTO decision_batches (shop_id, first_id, first_time, last_time, n, keys, data)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, first_id) DO NOTHING;

-- name: DecisionBatchesAround
-- The batches that may hold a decision made at a time (the id says when); a batch spans
-- milliseconds, so last_time bounds the index range from both sides.
SELECT seq, keys FROM decision_batches
WHERE shop_id = ? AND last_time >= ? AND last_time <= ? AND first_time <= ? ORDER BY seq;

-- name: DecisionBatchKeys
-- Every batch of a shop: lookups test the filter and read data only on a match.
SELECT seq, keys FROM decision_batches WHERE shop_id = ?;

-- name: DecisionBatch
SELECT data FROM decision_batches WHERE seq = ? AND shop_id = ?;

-- name: DecisionBatchesAfter
SELECT seq, shop_id, data FROM decision_batches WHERE seq > ? ORDER BY seq LIMIT ?;

-- name: RewriteDecisionBatch
UPDATE decision_batches SET keys = ?, data = ? WHERE seq = ? AND shop_id = ?;
