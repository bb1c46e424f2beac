-- name: LoyaltyBalance
SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM loyalty WHERE shop_id = ? AND customer_id = ?;

-- name: LoyaltyHistory
SELECT id, customer_id, points, reason, order_id, time FROM loyalty
WHERE shop_id = ? AND customer_id = ? ORDER BY seq DESC LIMIT ?;

-- name: InsertFeedback
INSERT INTO feedback (shop_id, id, kind, order_id, customer_id, score, comment, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, id) DO NOTHING;


-- name: EraseFeedback
-- An erased customer's reviews and answers keep their scores, without the words they wrote.
UPDATE feedback SET comment = '' WHERE shop_id = ? AND customer_id = ? AND comment <> '';
