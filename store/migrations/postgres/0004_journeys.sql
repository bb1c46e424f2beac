-- Journeys: follow-up after the purchase. Definitions and per-shop configuration are JSON in
-- "data"; what the scheduler queries on has columns. Enrollments and messages carry leases
-- (owner, until) so that replicas share the work and a crashed one's work is taken over.

CREATE TABLE journeys (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops (id),
    id         TEXT NOT NULL,
    status     TEXT NOT NULL,
    version    BIGINT NOT NULL,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (shop_id, id)
);

-- Where the scheduler is in the activity log (a row appears on first use).
CREATE TABLE journey_cursors (
    name TEXT PRIMARY KEY,
    seq  BIGINT NOT NULL
);

-- One order, shipment or customer walking one journey. The id derives from shop, journey and
-- subject, so a journey starts once per subject however often its trigger is read.
CREATE TABLE enrollments (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    id          TEXT NOT NULL,
    journey_id  TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    status      TEXT NOT NULL,
    waiting     BIGINT NOT NULL,
    wait_event  TEXT NOT NULL,
    wake_at     BIGINT NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    data        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (shop_id, id)
);
CREATE INDEX enrollments_due ON enrollments (wake_at) WHERE status = 'active';
CREATE INDEX enrollments_order ON enrollments (shop_id, order_id) WHERE order_id <> '';

-- The outbox: one row per message, unique per idempotency key (enrollment and step).
CREATE TABLE messages (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    id              TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    order_id        TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    channel         TEXT NOT NULL,
    transactional   BIGINT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    charged         BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    expires_at      BIGINT,
    sent_at         BIGINT,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     BIGINT NOT NULL DEFAULT 0,
    data            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (shop_id, idempotency_key),
    UNIQUE (shop_id, id)
);
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
);

-- Each change of a message's status after it was queued, for the order timeline.
CREATE TABLE message_events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    status     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    attempt    BIGINT NOT NULL,
    time       BIGINT NOT NULL
);
CREATE INDEX message_events_order ON message_events (shop_id, order_id) WHERE order_id <> '';

-- Addresses not to write to, by hash: hard bounces and complaints (scope all) and unsubscribes
-- (scope marketing).
CREATE TABLE suppressions (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id      TEXT NOT NULL REFERENCES shops (id),
    channel      TEXT NOT NULL,
    address_hash TEXT NOT NULL,
    scope        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (shop_id, channel, address_hash)
);

CREATE TABLE brands (
    shop_id    TEXT PRIMARY KEY REFERENCES shops (id),
    data       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A shop's messaging settings; a row also means its default journeys were installed.
CREATE TABLE messaging_settings (
    shop_id    TEXT PRIMARY KEY REFERENCES shops (id),
    data       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A shop's own templates, one per id and locale.
CREATE TABLE templates (
    shop_id    TEXT NOT NULL REFERENCES shops (id),
    id         TEXT NOT NULL,
    locale     TEXT NOT NULL,
    data       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (shop_id, id, locale)
);

-- The loyalty ledger: points earned (or taken back, negative), once per id.
CREATE TABLE loyalty (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    id          TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    points      BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    time        BIGINT NOT NULL,
    UNIQUE (shop_id, id)
);
CREATE INDEX loyalty_customer ON loyalty (shop_id, customer_id, seq);

-- Reviews and NPS answers sent from signed links, one per order and kind.
CREATE TABLE feedback (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    id          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    score       BIGINT NOT NULL,
    comment     TEXT NOT NULL,
    time        BIGINT NOT NULL,
    UNIQUE (shop_id, id)
);
CREATE INDEX feedback_order ON feedback (shop_id, order_id) WHERE order_id <> '';

-- Order timelines find the order's decisions by confirmation ref.
CREATE INDEX decisions_ref ON decisions (shop_id, confirmation_ref) WHERE confirmation_ref <> '';
