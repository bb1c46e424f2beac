-- name: ShipmentState
SELECT order_id, carrier, tracking_number, tracking_url, estimated_at, status, status_at, reached, transit_watch_at, created_at,
    fields_at
FROM shipments WHERE shop_id = ? AND id = ?;

-- name: InsertShipment
INSERT INTO shipments (shop_id, id, order_id, carrier, tracking_number, tracking_url, estimated_at, status, status_at, reached,
    transit_watch_at, created_at, updated_at, fields_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: UpdateShipment
UPDATE shipments SET order_id = ?, carrier = ?, tracking_number = ?, tracking_url = ?, estimated_at = ?, status = ?,
    status_at = ?, reached = ?, transit_watch_at = ?, updated_at = ?, fields_at = ?
WHERE shop_id = ? AND id = ?;

-- name: OrderShipmentIDs
-- The shipments that came before their order, to announce when it comes.
SELECT id FROM shipments WHERE shop_id = ? AND order_id = ? AND order_id <> '' ORDER BY seq LIMIT 100;

-- name: ShipmentsByTracking
SELECT id FROM shipments WHERE shop_id = ? AND tracking_number = ? AND tracking_number <> '' ORDER BY seq LIMIT 10;

-- name: InsertShipmentEvent
INSERT INTO shipment_events (shop_id, shipment_id, key, status, raw_status, source, message, location, time, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: Shipment
SELECT id, order_id, carrier, tracking_number, tracking_url, estimated_at, status, created_at, updated_at
FROM shipments WHERE shop_id = ? AND id = ?;

-- name: OrderShipments
SELECT id, order_id, carrier, tracking_number, tracking_url, estimated_at, status, created_at, updated_at
FROM shipments WHERE shop_id = ? AND order_id = ? AND order_id <> '' ORDER BY seq LIMIT 100;

-- name: ShipmentEvents
SELECT status, raw_status, source, message, location, time FROM shipment_events
WHERE shop_id = ? AND shipment_id = ? ORDER BY time, seq;

-- name: LatestShipmentEvent
-- The latest scan of a shipment, which a scan sent again without a time repeats.
SELECT status, raw_status, message, location FROM shipment_events
WHERE shop_id = ? AND shipment_id = ? ORDER BY time DESC, seq DESC LIMIT 1;

-- name: QuietShipments
SELECT id, transit_watch_at FROM shipments
WHERE shop_id = ? AND transit_watch_at IS NOT NULL AND transit_watch_at <= ?
ORDER BY transit_watch_at LIMIT ?;

-- name: StallShipment
-- Only the replica whose read is still current wins, and a scan that arrived meanwhile (which
-- moves transit_watch_at) beats the stall.
UPDATE shipments SET transit_watch_at = NULL, status = ?, status_at = ?, reached = ?, updated_at = ?
WHERE shop_id = ? AND id = ? AND transit_watch_at = ?;
