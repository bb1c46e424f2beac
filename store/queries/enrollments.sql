-- name: Cursor
SELECT seq FROM journey_cursors WHERE name = ?;

-- name: InsertCursor
INSERT INTO journey_cursors (name, seq) VALUES (?, 0) ON CONFLICT DO NOTHING;

-- name: MoveCursor
-- Moves only from where the caller read it: a replica that lost the race changes nothing.
UPDATE journey_cursors SET seq = ? WHERE name = ? AND seq = ?;

-- name: InsertEnrollments
-- The tuple is repeated once per row; RETURNING names the enrollments that were new.
INSERT INTO enrollments (shop_id, id, journey_id, order_id, status, waiting, wait_event, wake_at, data, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, id) DO NOTHING
RETURNING id;

-- name: UpdateEnrollment
-- Only by the lease holder, and only while the enrollment is active: an exit that came
-- meanwhile stands.
UPDATE enrollments SET status = ?, waiting = ?, wait_event = ?, wake_at = ?, data = ?, updated_at = ?,
    lease_owner = '', lease_until = 0
WHERE shop_id = ? AND id = ? AND lease_owner = ? AND status = 'active';

-- name: ExitEnrollment
UPDATE enrollments SET status = 'exited', waiting = 0, wait_event = '', data = ?, updated_at = ?
WHERE shop_id = ? AND id = ? AND status = 'active';

-- name: EnrollmentData
SELECT data FROM enrollments WHERE shop_id = ? AND id = ?;

-- name: WakeEnrollment
UPDATE enrollments SET wake_at = ?, wait_event = '', updated_at = ?
WHERE shop_id = ? AND id = ? AND status = 'active' AND waiting = 1 AND wait_event <> '';

-- name: SkipPendingMessages
-- An enrollment's messages are those whose idempotency key starts with "<enrollment id>/".
UPDATE messages SET status = 'skipped', reason = ?, updated_at = ?
WHERE shop_id = ? AND idempotency_key >= ? AND idempotency_key < ? AND status IN ('queued', 'deferred')
RETURNING id, order_id;

-- name: OpenEnrollments
SELECT shop_id, id, status, waiting, wait_event, wake_at, data, created_at, updated_at FROM enrollments
WHERE shop_id = ? AND order_id = ? AND order_id <> '' AND status IN ('active', 'completed')
ORDER BY seq;

-- name: OrderEnrollments
SELECT shop_id, id, status, waiting, wait_event, wake_at, data, created_at, updated_at FROM enrollments
WHERE shop_id = ? AND order_id = ? AND order_id <> ''
ORDER BY seq;

-- name: ClaimEnrollments
UPDATE enrollments SET lease_owner = ?, lease_until = ?
WHERE seq IN (SELECT seq FROM enrollments WHERE status = 'active' AND wake_at <= ? AND lease_until < ?
              ORDER BY wake_at LIMIT ?)
RETURNING shop_id, id, status, waiting, wait_event, wake_at, data, created_at, updated_at;

-- name: InsertLoyalty
INSERT INTO loyalty (shop_id, id, customer_id, points, reason, order_id, time) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, id) DO NOTHING;
