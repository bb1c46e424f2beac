-- name: UpsertCustomer
-- What an order says of its customer, and an erasure's record of an id without a profile. The
-- first creation time stays, and so does an erasure: a later upsert cannot undo it.
INSERT INTO customers (shop_id, id, email_sha256, data, erased_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, id) DO UPDATE SET
    email_sha256 = excluded.email_sha256,
    data = excluded.data,
    erased_at = COALESCE(customers.erased_at, excluded.erased_at),
    updated_at = excluded.updated_at;

-- name: InsertCustomer
-- A new customer, unless another writer created one of the id first.
INSERT INTO customers (shop_id, id, email_sha256, data, erased_at, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?)
ON CONFLICT DO NOTHING;

-- name: UpdateCustomer
-- Only over the customer the change was made to: another writer's change in between (an erasure
-- too, which rewrites data) is kept. erased_at and created_at are not written: they stay.
UPDATE customers SET email_sha256 = ?, data = ?, updated_at = ? WHERE shop_id = ? AND id = ? AND data = ?;

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
