-- name: InsertEvents
-- The tuple is repeated once per row of a batch; RETURNING names the rows that were new.
INSERT INTO events (shop_id, id, type, decision_id, offer_id, placement_id, customer_key, arm, time, value, currency, received_at, spend)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, id) DO NOTHING
RETURNING shop_id, id;

-- name: EventsAfter
SELECT seq, shop_id, id, type, decision_id, offer_id, placement_id, customer_key, arm, time, value, currency, received_at, spend
FROM events WHERE seq > ? ORDER BY seq LIMIT ?;

-- name: CustomerEvents
-- customer_key <> '' lets the planner use the partial index events_customer.
SELECT seq, shop_id, id, type, decision_id, offer_id, placement_id, customer_key, arm, time, value, currency, received_at, spend
FROM events WHERE shop_id = ? AND customer_key = ? AND customer_key <> '' AND time >= ? ORDER BY time, seq;

-- name: Spend
SELECT offer_id, CAST(SUM(spend) AS BIGINT), CAST(SUM(CASE WHEN time >= ? THEN spend ELSE 0 END) AS BIGINT)
FROM events WHERE shop_id = ? AND spend > 0
GROUP BY offer_id;

-- name: PseudonymiseEvents
UPDATE events SET customer_key = ? WHERE shop_id = ? AND customer_key IN (?, ?) AND customer_key <> '';

-- name: InsertCharges
-- The tuple is repeated once per charging event of a batch; RETURNING names the charges that
-- were new (a key repeated within the statement is inserted once).
INSERT INTO charges (shop_id, decision_id, offer_id, type) VALUES (?, ?, ?, ?)
ON CONFLICT DO NOTHING
RETURNING shop_id, decision_id, offer_id, type;

-- name: EventsByID
-- The tuple after VALUES is repeated once per id asked for.
SELECT seq, shop_id, id, type, decision_id, offer_id, placement_id, customer_key, arm, time, value, currency, received_at, spend
FROM events WHERE shop_id = ? AND id IN (VALUES (?));
