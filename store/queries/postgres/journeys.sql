-- Claims on PostgreSQL skip rows another replica is claiming, instead of waiting for it.

-- name: ClaimEnrollments
UPDATE enrollments SET lease_owner = ?, lease_until = ?
WHERE seq IN (SELECT seq FROM enrollments WHERE status = 'active' AND wake_at <= ? AND lease_until < ?
              ORDER BY wake_at LIMIT ? FOR UPDATE SKIP LOCKED)
RETURNING shop_id, id, status, waiting, wait_event, wake_at, data, created_at, updated_at;

-- name: ClaimMessages
UPDATE messages SET lease_owner = ?, lease_until = ?
WHERE seq IN (SELECT seq FROM messages WHERE status IN ('queued', 'deferred') AND next_attempt_at <= ? AND lease_until < ?
              ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED)
RETURNING shop_id, id, idempotency_key, order_id, customer_id, channel, transactional, status, reason, attempts, charged,
    next_attempt_at, expires_at, sent_at, data, created_at;
