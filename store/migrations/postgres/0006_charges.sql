-- One row per charge of an offer's budget (see the SQLite migration of the same number).
CREATE TABLE charges (
    shop_id     TEXT NOT NULL REFERENCES shops (id),
    decision_id TEXT NOT NULL,
    offer_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    PRIMARY KEY (shop_id, decision_id, offer_id, type)
);

INSERT INTO charges (shop_id, decision_id, offer_id, type)
SELECT DISTINCT shop_id, decision_id, offer_id, type FROM events WHERE spend > 0
ON CONFLICT DO NOTHING;
