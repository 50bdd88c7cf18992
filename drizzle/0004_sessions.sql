-- error_triage is rebuilt to give assigned_session_id its FK (ON DELETE SET NULL); ids stored before
-- the sessions table existed pointed nowhere and are cleared (an FK check would refuse them).
CREATE TABLE `claude_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`config_dir` text,
	`state` text DEFAULT 'available' NOT NULL,
	`limited_until` integer,
	`last_rate_limit` text,
	`last_error` text,
	`sessions_count` integer DEFAULT 0 NOT NULL,
	`cost_usd` real DEFAULT 0 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `session_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `session_events_session_seq_unique` ON `session_events` (`session_id`,`seq`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_type` text NOT NULL,
	`work_item_kind` text,
	`work_item_ref` text,
	`status` text NOT NULL,
	`project_slug` text NOT NULL,
	`claude_session_id` text,
	`account_id` text,
	`cwd` text NOT NULL,
	`worktree_path` text,
	`branch` text,
	`base_commit` text,
	`prompt` text NOT NULL,
	`options` text NOT NULL,
	`priority` integer DEFAULT 3 NOT NULL,
	`pending_text` text,
	`pid` integer,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`ended_at` integer,
	`not_before` integer,
	`cost_usd` real DEFAULT 0 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`num_turns` integer DEFAULT 0 NOT NULL,
	`exit_reason` text,
	`exit_message` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`runs` text DEFAULT '[]' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_status_priority_idx` ON `sessions` (`status`,`priority`,`id`);--> statement-breakpoint
CREATE INDEX `sessions_project_created_idx` ON `sessions` (`project_slug`,`created_at`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_error_triage` (
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
	FOREIGN KEY (`test_failure_id`) REFERENCES `test_failures`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`assigned_session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
INSERT INTO `__new_error_triage`("id", "test_failure_id", "decision", "suggested_decision", "decision_rule", "overridden_suggestion", "rationale", "human_rationale", "confidence", "priority", "suggested_priority", "reviewed_by_human", "reviewed_at", "assigned_session_id", "spec_change_id", "updated_at") SELECT "id", "test_failure_id", "decision", "suggested_decision", "decision_rule", "overridden_suggestion", "rationale", "human_rationale", "confidence", "priority", "suggested_priority", "reviewed_by_human", "reviewed_at", NULL, "spec_change_id", "updated_at" FROM `error_triage`;--> statement-breakpoint
DROP TABLE `error_triage`;--> statement-breakpoint
ALTER TABLE `__new_error_triage` RENAME TO `error_triage`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `error_triage_test_failure_id_idx` ON `error_triage` (`test_failure_id`);--> statement-breakpoint
CREATE INDEX `error_triage_decision_priority_idx` ON `error_triage` (`decision`,`priority`);