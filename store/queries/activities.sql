-- name: InsertActivity
INSERT INTO activities (shop_id, kind, order_id, shipment_id, customer_id, status, time, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
RETURNING seq;

-- name: ActivitiesAfter
SELECT seq, shop_id, kind, order_id, shipment_id, customer_id, status, time, data
FROM activities WHERE seq > ? ORDER BY seq LIMIT ?;

-- name: CustomerChangesAfter
SELECT seq, shop_id, kind, order_id, shipment_id, customer_id, status, time, data
FROM activities WHERE seq > ? AND kind = 'customer_changed' ORDER BY seq LIMIT ?;

-- name: LastActivity
SELECT COALESCE(MAX(seq), 0) FROM activities;

-- name: OrderActivities
SELECT seq, shop_id, kind, order_id, shipment_id, customer_id, status, time, data
FROM activities WHERE shop_id = ? AND order_id = ? ORDER BY seq;
