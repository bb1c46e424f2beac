-- Queries that exist on PostgreSQL only: SQLite has one writer at a time anyway.

-- name: LockMigrations
-- Serialises migrations of one schema across processes; other schemas of the same database
-- (parallel test runs) go on undisturbed.
SELECT pg_advisory_xact_lock(hashtext('epilogue.migrate'), hashtext(current_schema()));

-- name: LockLog
-- Taken by every insert into a log (decisions, events; the argument names it), so seqs commit in
-- the order they are handed out and a reader reading "after seq N" never skips a row that
-- commits late.
SELECT pg_advisory_xact_lock(hashtext(?), hashtext(current_schema()));

-- name: DecisionBatchForUpdate
-- An erasure rewrites a batch: the row is locked between reading and writing it, so two
-- erasures touching one batch take turns instead of undoing each other.
SELECT data FROM decision_batches WHERE seq = ? AND shop_id = ? FOR UPDATE;
