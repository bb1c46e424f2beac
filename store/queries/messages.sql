-- name: InsertMessages
-- The tuple is repeated once per row; RETURNING names the messages that were new.
INSERT INTO messages (shop_id, id, idempotency_key, order_id, customer_id, channel, transactional, status, reason,
    attempts, charged, next_attempt_at, expires_at, sent_at, data, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: InsertMessageBodies
INSERT INTO message_bodies (shop_id, message_id, html, text) VALUES (?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: InsertMessageEvents
INSERT INTO message_events (shop_id, message_id, order_id, status, reason, attempt, time) VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: ClaimMessages
UPDATE messages SET lease_owner = ?, lease_until = ?
WHERE seq IN (SELECT seq FROM messages WHERE status IN ('queued', 'deferred') AND next_attempt_at <= ? AND lease_until < ?
              ORDER BY next_attempt_at LIMIT ?)
RETURNING shop_id, id, idempotency_key, order_id, customer_id, channel, transactional, status, reason, attempts, charged,
    next_attempt_at, expires_at, sent_at, data, created_at;

-- name: MessageBodies
-- The tuple is repeated once per message.
SELECT shop_id, message_id, html, text FROM message_bodies WHERE (shop_id, message_id) IN (VALUES (?, ?));

-- name: FinishMessage
-- Only by the lease holder: a message whose lease ran out belongs to whoever took it over.
UPDATE messages SET status = ?, reason = ?, attempts = ?, charged = ?, next_attempt_at = ?, sent_at = ?, updated_at = ?,
    lease_owner = '', lease_until = 0
WHERE shop_id = ? AND id = ? AND lease_owner = ?;

-- name: OrderMessages
SELECT shop_id, id, idempotency_key, order_id, customer_id, channel, transactional, status, reason, attempts, charged,
    next_attempt_at, expires_at, sent_at, data, created_at
FROM messages WHERE shop_id = ? AND order_id = ? AND order_id <> '' ORDER BY seq;

-- name: OrderMessageEvents
SELECT message_id, order_id, status, reason, attempt, time FROM message_events
WHERE shop_id = ? AND order_id = ? AND order_id <> '' ORDER BY seq;

-- name: MarketingSent
SELECT shop_id, customer_id, data, sent_at FROM messages
WHERE transactional = 0 AND status = 'sent' AND sent_at >= ?;

-- name: PartnerViews
-- One view per decision that showed partner offers, whatever the number of offers on it.
SELECT e.shop_id, e.customer_key, MIN(e.time) FROM events e
JOIN offers o ON o.shop_id = e.shop_id AND o.id = e.offer_id
WHERE e.type = 'impression' AND e.time >= ? AND e.customer_key <> '' AND o.kind = 'partner'
GROUP BY e.shop_id, e.customer_key, e.decision_id;

-- name: AddSuppression
-- A hard bounce or complaint widens an unsubscribe to every message; nothing narrows one.
INSERT INTO suppressions (shop_id, channel, address_hash, scope, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, channel, address_hash) DO UPDATE SET scope = excluded.scope, reason = excluded.reason
WHERE excluded.scope = 'all' AND suppressions.scope <> 'all';

-- name: Suppression
SELECT channel, address_hash, scope, reason, created_at FROM suppressions
WHERE shop_id = ? AND channel = ? AND address_hash = ?;

-- name: Suppressions
SELECT seq, channel, address_hash, scope, reason, created_at FROM suppressions
WHERE shop_id = ? AND seq > ? ORDER BY seq LIMIT ?;

-- name: CustomerMessages
SELECT id, status, data FROM messages WHERE shop_id = ? AND customer_id = ? AND customer_id <> '';

-- name: EraseMessage
-- The reason of a sent or failed message stays (it says nothing of the person).
UPDATE messages SET data = ?, status = ?, reason = CASE WHEN ? = '' THEN reason ELSE ? END WHERE shop_id = ? AND id = ?;

-- name: EraseMessageBody
DELETE FROM message_bodies WHERE shop_id = ? AND message_id = ?;
