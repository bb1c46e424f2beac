-- name: InsertDecisions
-- The tuple is repeated once per row of a batch. A decision stored already stays as it is, so a
-- batch retried after an uncertain commit succeeds.
INSERT INTO decisions (shop_id, id, placement_id, surface, arm, customer_key, confirmation_ref, time, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, id) DO NOTHING;

-- name: Decision
SELECT seq, shop_id, id, placement_id, surface, arm, customer_key, confirmation_ref, time, data
FROM decisions WHERE shop_id = ? AND id = ?;

-- name: DecisionsAfter
SELECT seq, shop_id, id, placement_id, surface, arm, customer_key, confirmation_ref, time, data
FROM decisions WHERE seq > ? ORDER BY seq LIMIT ?;

-- name: CustomerDecisions
-- customer_key <> '' lets the planner use the partial index decisions_customer.
SELECT id, data FROM decisions WHERE shop_id = ? AND customer_key IN (?, ?) AND customer_key <> '';

-- name: PseudonymiseDecision
UPDATE decisions SET customer_key = ?, data = ? WHERE shop_id = ? AND id = ?;
