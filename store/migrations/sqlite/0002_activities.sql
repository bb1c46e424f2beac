-- The activity log: what happened to orders, shipments and customers, written in the same
-- transaction as the change, read in seq order by the journey scheduler.
CREATE TABLE activities (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    kind        TEXT NOT NULL,
    order_id    TEXT NOT NULL DEFAULT '',
    shipment_id TEXT NOT NULL DEFAULT '',
    customer_id TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    time        INTEGER NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX activities_order ON activities (shop_id, order_id, seq);
