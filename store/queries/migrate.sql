-- name: CreateMigrationsTable
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at BIGINT NOT NULL
);

-- name: MigrationApplied
SELECT COUNT(*) FROM schema_migrations WHERE version = ?;

-- name: InsertMigration
INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?);

-- name: SchemaVersion
SELECT COALESCE(MAX(version), 0) FROM schema_migrations;
