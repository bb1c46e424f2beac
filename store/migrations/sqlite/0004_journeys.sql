-- Journeys: follow-up after the purchase. Definitions and per-shop configuration are JSON in
-- "data"; what the scheduler queries on has columns. Enrollments and messages carry leases
-- (owner, until) so that replicas share the work and a crashed one's work is taken over.

CREATE TABLE journeys (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id    TEXT NOT NULL REFERENCES shops (id),
    id         TEXT NOT NULL,
    status     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (shop_id, id)
) STRICT;

-- Where the scheduler is in the activity log (a row appears on first use).
CREATE TABLE journey_cursors (
    name TEXT PRIMARY KEY,
    seq  INTEGER NOT NULL
) STRICT;

-- One order, shipment or customer walking one journey. The id derives from shop, journey and
-- subject, so a journey starts once per subject however often its trigger is read.
CREATE TABLE enrollments (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    id          TEXT NOT NULL,
    journey_id  TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    status      TEXT NOT NULL,
    waiting     INTEGER NOT NULL,
    wait_event  TEXT NOT NULL,
    wake_at     INTEGER NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0,
    data        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (shop_id, id)
) STRICT;
CREATE INDEX enrollments_due ON enrollments (wake_at) WHERE status = 'active';
CREATE INDEX enrollments_order ON enrollments (shop_id, order_id) WHERE order_id <> '';

-- The outbox: one row per message, unique per idempotency key (enrollment and step).
CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    id              TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    order_id        TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    channel         TEXT NOT NULL,
    transactional   INTEGER NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    charged         INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    expires_at      INTEGER,
    sent_at         INTEGER,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    data            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (shop_id, idempotency_key),
    UNIQUE (shop_id, id)
) STRICT;
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status IN ('queued', 'deferred');
CREATE INDEX messages_order ON messages (shop_id, order_id) WHERE order_id <> '';
-- Seeds the attention budget at start: marketing sent lately.
CREATE INDEX messages_marketing ON messages (sent_at) WHERE transactional = 0 AND status = 'sent';

-- Rendered bodies, written once and kept apart, so that status changes do not rewrite them.
CREATE TABLE message_bodies (
    shop_id    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    html       TEXT NOT NULL,
    text       TEXT NOT NULL,
    PRIMARY KEY (shop_id, message_id)
) STRICT;

-- Each change of a message's status after it was queued, for the order timeline.
CREATE TABLE message_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    status     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    time       INTEGER NOT NULL
) STRICT;
CREATE INDEX message_events_order ON message_events (shop_id, order_id) WHERE order_id <> '';

-- Addresses not to write to, by hash: hard bounces and complaints (scope all) and unsubscribes
-- (scope marketing).
CREATE TABLE suppressions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id      TEXT NOT NULL REFERENCES shops (id),
    channel      TEXT NOT NULL,
    address_hash TEXT NOT NULL,
    scope        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (shop_id, channel, address_hash)
) STRICT;

CREATE TABLE brands (
    shop_id    TEXT PRIMARY KEY REFERENCES shops (id),
    data       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- A shop's messaging settings; a row also means its default journeys were installed.
CREATE TABLE messaging_settings (
    shop_id    TEXT PRIMARY KEY REFERENCES shops (id),
    data       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- A shop's own templates, one per id and locale.
CREATE TABLE templates (
    shop_id    TEXT NOT NULL REFERENCES shops (id),
    id         TEXT NOT NULL,
    locale     TEXT NOT NULL,
    data       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id, locale)
) STRICT;

-- The loyalty ledger: points earned (or taken back, negative), once per id.
CREATE TABLE loyalty (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    id          TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    points      INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    time        INTEGER NOT NULL,
    UNIQUE (shop_id, id)
) STRICT;
CREATE INDEX loyalty_customer ON loyalty (shop_id, customer_id, seq);

-- Reviews and NPS answers sent from signed links, one per order and kind.
CREATE TABLE feedback (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    id          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    score       INTEGER NOT NULL,
    comment     TEXT NOT NULL,
    time        INTEGER NOT NULL,
    UNIQUE (shop_id, id)
) STRICT;
CREATE INDEX feedback_order ON feedback (shop_id, order_id) WHERE order_id <> '';

-- Order timelines find the order's decisions by confirmation ref.
CREATE INDEX decisions_ref ON decisions (shop_id, confirmation_ref) WHERE confirmation_ref <> '';
