-- Down path for 0000_init: drops what it created. Run by hand (sqlite3 data/workdeck.db < this file)
-- and then delete its row: DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations); tested in tests/integration/migrations.test.ts.
DROP INDEX IF EXISTS `projects_slug_unique`;
DROP TABLE IF EXISTS `projects`;
DROP INDEX IF EXISTS `events_type_id_idx`;
DROP INDEX IF EXISTS `events_project_id_idx`;
DROP TABLE IF EXISTS `events`;
