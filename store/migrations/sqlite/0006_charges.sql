-- One row per charge of an offer's budget: the first engagement or conversion of a decision's
-- offer token (per type). The key makes the database the arbiter of "charges once", so a token
-- replayed on two replicas at once, or after a restart (when the in-memory state of anonymous
-- decisions is gone), still charges once: InsertEvents stores a later event of the same key
-- with no spend.
CREATE TABLE charges (
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    decision_id TEXT NOT NULL,
    offer_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    PRIMARY KEY (shop_id, decision_id, offer_id, type)
) STRICT, WITHOUT ROWID;

INSERT INTO charges (shop_id, decision_id, offer_id, type)
SELECT DISTINCT shop_id, decision_id, offer_id, type FROM events WHERE spend > 0
ON CONFLICT DO NOTHING;
