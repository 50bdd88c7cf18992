-- Down path for 0009_retention_indexes: the age indexes history retention deletes by.
DROP INDEX IF EXISTS `hooks_received_at_idx`;
--> statement-breakpoint
DROP INDEX IF EXISTS `events_created_at_idx`;
