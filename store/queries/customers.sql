-- name: UpsertCustomer
-- The first creation time stays, and so does an erasure: a later upsert cannot undo it.
INSERT INTO customers (shop_id, id, email_sha256, data, erased_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, id) DO UPDATE SET
    email_sha256 = excluded.email_sha256,
    data = excluded.data,
    erased_at = COALESCE(customers.erased_at, excluded.erased_at),
    updated_at = excluded.updated_at;

-- name: Customer
SELECT id, data, erased_at, created_at, updated_at FROM customers WHERE shop_id = ? AND id = ?;

-- name: EraseCustomer
UPDATE customers SET email_sha256 = '', data = ?, erased_at = ?, updated_at = ? WHERE shop_id = ? AND id = ?;

-- name: CustomersAfter
SELECT seq, shop_id, id, data, erased_at, created_at, updated_at FROM customers WHERE seq > ? ORDER BY seq LIMIT ?;

-- name: CustomerOrders
SELECT seq, data FROM orders WHERE shop_id = ? AND customer_id = ? AND customer_id <> '';

-- name: ScrubOrder
UPDATE orders SET data = ? WHERE seq = ?;
