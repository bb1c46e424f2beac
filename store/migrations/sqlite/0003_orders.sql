-- Orders, shipments, their timelines and refunds, fed by webhooks and the API. Order, shipment
-- and refund ids are the shop's own. A shipment may arrive before its order (webhooks race), so
-- no foreign key ties them.

CREATE TABLE orders (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id          TEXT NOT NULL REFERENCES shops (id),
    id               TEXT NOT NULL,
    customer_id      TEXT NOT NULL,
    status           TEXT NOT NULL,
    cancelled        INTEGER NOT NULL,
    total            INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    refunded         INTEGER NOT NULL,
    -- Hash of the fields an order update may change: equal means a retry, not news.
    content_hash     TEXT NOT NULL,
    data             TEXT NOT NULL,
    -- Paid, something to ship, not fulfilled: as the source last said.
    awaiting         INTEGER NOT NULL,
    -- Set while stall detection watches the order (awaiting and no shipment yet): since when.
    fulfill_watch_at INTEGER,
    stalled_at       INTEGER,
    created_at       INTEGER NOT NULL,
    -- The source's own update time: an older version of the order never overwrites a newer.
    updated_at       INTEGER NOT NULL,
    received_at      INTEGER NOT NULL,
    UNIQUE (shop_id, id)
) STRICT;
CREATE INDEX orders_fulfill_watch ON orders (shop_id, fulfill_watch_at) WHERE fulfill_watch_at IS NOT NULL;
CREATE INDEX orders_customer ON orders (shop_id, customer_id) WHERE customer_id <> '';

CREATE TABLE shipments (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id          TEXT NOT NULL REFERENCES shops (id),
    id               TEXT NOT NULL,
    order_id         TEXT NOT NULL,
    carrier          TEXT NOT NULL,
    tracking_number  TEXT NOT NULL,
    tracking_url     TEXT NOT NULL,
    estimated_at     INTEGER,
    -- The canonical status ('' before the first event) and the time of the event that set it.
    status           TEXT NOT NULL,
    status_at        INTEGER,
    -- Bit set of the canonical statuses ever reached: a status is news only the first time.
    reached          INTEGER NOT NULL,
    -- Set while stall detection watches the shipment: the later of its last scan and its
    -- arrival here.
    transit_watch_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (shop_id, id)
) STRICT;
CREATE INDEX shipments_order ON shipments (shop_id, order_id) WHERE order_id <> '';
CREATE INDEX shipments_tracking ON shipments (shop_id, tracking_number) WHERE tracking_number <> '';
CREATE INDEX shipments_transit_watch ON shipments (shop_id, transit_watch_at) WHERE transit_watch_at IS NOT NULL;

-- The timeline of each shipment. key identifies a scan by its content, so a retried webhook or a
-- tracker that resends its whole history adds nothing.
CREATE TABLE shipment_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    shipment_id TEXT NOT NULL,
    key         TEXT NOT NULL,
    status      TEXT NOT NULL,
    raw_status  TEXT NOT NULL,
    source      TEXT NOT NULL,
    message     TEXT NOT NULL,
    location    TEXT NOT NULL,
    time        INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (shop_id, shipment_id, key)
) STRICT;

-- Refunds count once per id, and may arrive before their order.
CREATE TABLE refunds (
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    order_id    TEXT NOT NULL,
    id          TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    time        INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, order_id, id)
) STRICT;
