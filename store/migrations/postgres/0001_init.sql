-- Times are unix microseconds (UTC), money is micros of a currency unit, nested data is JSON text
-- in "data". Every row belongs to one shop and every query names it. seq orders rows for cursors
-- and for the trainer, and is never reused (identity), even after deletes.

CREATE TABLE shops (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    secret         TEXT NOT NULL,
    data           TEXT NOT NULL, -- settings
    config_version BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL
);

CREATE TABLE api_keys (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops (id),
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    hint       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    UNIQUE (shop_id, id)
);

CREATE TABLE offers (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops (id),
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (shop_id, id)
);
CREATE INDEX offers_shop_seq ON offers (shop_id, seq);

CREATE TABLE placements (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops (id),
    id         TEXT NOT NULL,
    surface    TEXT NOT NULL,
    max_offers BIGINT NOT NULL,
    reserve    BIGINT NOT NULL,
    layout     TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (shop_id, id)
);
CREATE INDEX placements_shop_seq ON placements (shop_id, seq);

CREATE TABLE decisions (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id          TEXT NOT NULL REFERENCES shops (id),
    id               TEXT NOT NULL,
    placement_id     TEXT NOT NULL,
    surface          TEXT NOT NULL,
    arm              TEXT NOT NULL,
    customer_key     TEXT NOT NULL,
    confirmation_ref TEXT NOT NULL,
    time             BIGINT NOT NULL,
    data             TEXT NOT NULL,
    UNIQUE (shop_id, id)
);
CREATE INDEX decisions_customer ON decisions (shop_id, customer_key) WHERE customer_key <> '';

CREATE TABLE events (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id      TEXT NOT NULL REFERENCES shops (id),
    id           TEXT NOT NULL,
    type         TEXT NOT NULL,
    decision_id  TEXT NOT NULL,
    offer_id     TEXT NOT NULL,
    placement_id TEXT NOT NULL,
    customer_key TEXT NOT NULL,
    arm          TEXT NOT NULL,
    time         BIGINT NOT NULL,
    value        BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    spend        BIGINT NOT NULL,
    UNIQUE (shop_id, id)
);
CREATE INDEX events_customer ON events (shop_id, customer_key, time) WHERE customer_key <> '';
-- Covers the spend sums: only events that charged a budget.
CREATE INDEX events_spend ON events (shop_id, offer_id, time, spend) WHERE spend > 0;

CREATE TABLE customers (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id      TEXT NOT NULL REFERENCES shops (id),
    id           TEXT NOT NULL,
    email_sha256 TEXT NOT NULL,
    data         TEXT NOT NULL,
    erased_at    BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (shop_id, id)
);
CREATE INDEX customers_email ON customers (shop_id, email_sha256) WHERE email_sha256 <> '';

CREATE TABLE idempotency (
    shop_id      TEXT NOT NULL REFERENCES shops (id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       BIGINT NOT NULL,
    body         BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (shop_id, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);

-- Models are shared by every shop (one learner), so they alone carry no shop_id.
CREATE TABLE models (
    name       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    size       BIGINT NOT NULL,
    blob       BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);
