-- name: OrderState
-- What applying an update to an order needs to know of it.
SELECT customer_id, cancelled, total, currency, refunded, content_hash, awaiting, fulfill_watch_at, stalled_at, updated_at
FROM orders WHERE shop_id = ? AND id = ?;

-- name: InsertOrder
INSERT INTO orders (shop_id, id, customer_id, status, cancelled, total, currency, refunded, content_hash, data, awaiting,
    fulfill_watch_at, created_at, updated_at, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: UpdateOrder
UPDATE orders SET customer_id = ?, status = ?, cancelled = ?, total = ?, currency = ?, content_hash = ?, data = ?,
    awaiting = ?, fulfill_watch_at = ?, created_at = ?, updated_at = ?, received_at = ?
WHERE shop_id = ? AND id = ?;

-- name: SetOrderRefunded
UPDATE orders SET refunded = ?, status = ? WHERE shop_id = ? AND id = ?;

-- name: Order
SELECT id, customer_id, status, data, refunded, stalled_at, created_at, updated_at FROM orders WHERE shop_id = ? AND id = ?;

-- name: OrdersAfter
-- Every shop's orders in insert order, to rebuild per-customer purchase state at start.
SELECT seq, shop_id, id, customer_id, status, data, refunded, stalled_at, created_at, updated_at
FROM orders WHERE seq > ? ORDER BY seq LIMIT ?;

-- name: OrderHasShipment
SELECT COUNT(*) FROM shipments WHERE shop_id = ? AND order_id = ? AND order_id <> '';

-- name: UnwatchOrder
-- A shipment appeared: the order is on its way and no longer a stall candidate.
UPDATE orders SET fulfill_watch_at = NULL WHERE shop_id = ? AND id = ? AND fulfill_watch_at IS NOT NULL;

-- name: AwaitingShipment
SELECT id, fulfill_watch_at FROM orders
WHERE shop_id = ? AND fulfill_watch_at IS NOT NULL AND fulfill_watch_at <= ?
ORDER BY fulfill_watch_at LIMIT ?;

-- name: StallOrder
-- Only the replica whose read is still current wins; the others change nothing.
UPDATE orders SET fulfill_watch_at = NULL, stalled_at = ? WHERE shop_id = ? AND id = ? AND fulfill_watch_at = ?;

-- name: OrderCustomer
SELECT customer_id FROM orders WHERE shop_id = ? AND id = ?;

-- name: InsertRefund
INSERT INTO refunds (shop_id, order_id, id, amount, currency, time, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: Refund
SELECT amount, currency FROM refunds WHERE shop_id = ? AND order_id = ? AND id = ?;

-- name: SetRefund
-- A platform's refund whose money changed (a pending transaction that succeeded).
UPDATE refunds SET amount = ?, currency = ? WHERE shop_id = ? AND order_id = ? AND id = ?;

-- name: OrderRefunds
-- The refunds recorded before their order, in its currency ('' is the order's): a refund in
-- another currency (a platform's presentment currency) cannot be added to the order's total.
SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds
WHERE shop_id = ? AND order_id = ? AND (currency = ? OR currency = '');

-- name: OrderData
SELECT data FROM orders WHERE shop_id = ? AND id = ?;
