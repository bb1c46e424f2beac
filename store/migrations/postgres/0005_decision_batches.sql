-- The decision log becomes one row per committed batch of a shop's decisions instead of one row
-- per decision (see the SQLite migration of the same number for why). "keys" is a Bloom filter
-- over each decision's id, customer key and confirmation ref (empty: unknown, always looked into).
CREATE TABLE decision_batches (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops (id),
    first_id   TEXT NOT NULL,
    first_time BIGINT NOT NULL,
    last_time  BIGINT NOT NULL,
    n          INTEGER NOT NULL,
    keys       BYTEA NOT NULL,
    data       BYTEA NOT NULL,
    UNIQUE (shop_id, first_id)
);
CREATE INDEX decision_batches_time ON decision_batches (shop_id, last_time);

-- Decisions recorded before keep their seq (the trainer's cursor counts in it), each as a batch
-- of one with no filter.
INSERT INTO decision_batches (seq, shop_id, first_id, first_time, last_time, n, keys, data)
OVERRIDING SYSTEM VALUE
SELECT seq, shop_id, id, time, time, 1, ''::bytea,
       convert_to((data::jsonb || jsonb_build_object('id', id, 'placement_id', placement_id, 'surface', surface, 'arm', arm,
                                                     'customer_key', customer_key, 'confirmation_ref', confirmation_ref, 'time', time))::text, 'UTF8')
FROM decisions ORDER BY seq;
SELECT setval(pg_get_serial_sequence('decision_batches', 'seq'), COALESCE((SELECT max(seq) FROM decision_batches), 0) + 1, false);

DROP TABLE decisions;
