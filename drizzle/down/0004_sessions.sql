-- Down path for 0004_sessions: error_triage back without the FK on assigned_session_id, then the session tables.
CREATE TABLE `__old_error_triage` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`test_failure_id` integer NOT NULL,
	`decision` text DEFAULT 'pending' NOT NULL,
	`suggested_decision` text NOT NULL,
	`decision_rule` text NOT NULL,
	`overridden_suggestion` text,
	`rationale` text NOT NULL,
	`human_rationale` text,
	`confidence` real NOT NULL,
	`priority` integer NOT NULL,
	`suggested_priority` integer NOT NULL,
	`reviewed_by_human` integer DEFAULT false NOT NULL,
	`reviewed_at` integer,
	`assigned_session_id` integer,
	`spec_change_id` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`test_failure_id`) REFERENCES `test_failures`(`id`) ON UPDATE no action ON DELETE cascade
);
INSERT INTO `__old_error_triage` SELECT * FROM `error_triage`;
DROP TABLE `error_triage`;
ALTER TABLE `__old_error_triage` RENAME TO `error_triage`;
CREATE UNIQUE INDEX `error_triage_test_failure_id_idx` ON `error_triage` (`test_failure_id`);
CREATE INDEX `error_triage_decision_priority_idx` ON `error_triage` (`decision`,`priority`);
DROP TABLE `session_events`;
DROP TABLE `sessions`;
DROP TABLE `claude_accounts`;
