-- The source's time of the tracking details (carrier, number, URL, estimate) a shipment holds:
-- an older fulfillment arriving late must not replace newer details (0 when no source gave a
-- time, as the API does not).
ALTER TABLE shipments ADD COLUMN fields_at BIGINT NOT NULL DEFAULT 0;
