-- The decision log becomes one row per committed batch of a shop's decisions instead of one row
-- per decision. A row per decision with three indexes (id, customer, confirmation ref) made
-- SQLite write a page per index per decision, and recording cost more server CPU than deciding.
-- A batch row holds its decisions as JSON lines; "keys" is a Bloom filter over each decision's
-- id, customer key and confirmation ref (empty: unknown, so always looked into), so lookups by
-- customer or ref skip the batches that cannot hold them without reading their decisions.
CREATE TABLE decision_batches (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id    TEXT NOT NULL REFERENCES shops (id),
    first_id   TEXT NOT NULL,
    first_time INTEGER NOT NULL,
    last_time  INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    keys       BLOB NOT NULL,
    data       BLOB NOT NULL,
    -- A batch retried after an uncertain commit is recognised by its first decision.
    UNIQUE (shop_id, first_id)
) STRICT;
CREATE INDEX decision_batches_time ON decision_batches (shop_id, last_time);

-- Decisions recorded before keep their seq (the trainer's cursor counts in it), each as a batch
-- of one with no filter.
INSERT INTO decision_batches (seq, shop_id, first_id, first_time, last_time, n, keys, data)
SELECT seq, shop_id, id, time, time, 1, X'',
       CAST(json_set(data, '$.id', id, '$.placement_id', placement_id, '$.surface', surface, '$.arm', arm,
                     '$.customer_key', customer_key, '$.confirmation_ref', confirmation_ref, '$.time', time) AS BLOB)
FROM decisions ORDER BY seq;

DROP TABLE decisions;
