CREATE TABLE `error_triage` (
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
--> statement-breakpoint
CREATE UNIQUE INDEX `error_triage_test_failure_id_idx` ON `error_triage` (`test_failure_id`);--> statement-breakpoint
CREATE INDEX `error_triage_decision_priority_idx` ON `error_triage` (`decision`,`priority`);--> statement-breakpoint
CREATE TABLE `reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_slug` text NOT NULL,
	`seq` integer NOT NULL,
	`content_hash` text NOT NULL,
	`format` text NOT NULL,
	`source` text,
	`branch` text,
	`commit` text,
	`started_at` integer,
	`duration_ms` integer,
	`stats` text NOT NULL,
	`run_errors` text NOT NULL,
	`test_count` integer NOT NULL,
	`warnings` text NOT NULL,
	`ingested_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reports_project_hash_unique` ON `reports` (`project_slug`,`content_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `reports_project_seq_unique` ON `reports` (`project_slug`,`seq`);--> statement-breakpoint
CREATE TABLE `test_cases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_slug` text NOT NULL,
	`key` text NOT NULL,
	`file` text NOT NULL,
	`repo_path` text,
	`title_path` text NOT NULL,
	`project_name` text NOT NULL,
	`repeat_index` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `test_cases_project_key_unique` ON `test_cases` (`project_slug`,`key`);--> statement-breakpoint
CREATE TABLE `test_failures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_slug` text NOT NULL,
	`test_case_id` integer NOT NULL,
	`fingerprint` text NOT NULL,
	`first_report_id` integer NOT NULL,
	`last_report_id` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`occurrences` integer NOT NULL,
	`consecutive_failures` integer NOT NULL,
	`pattern` text NOT NULL,
	`active` integer NOT NULL,
	`heuristics` text NOT NULL,
	`last_message` text NOT NULL,
	`resolved_at` integer,
	`resolved_report_id` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`test_case_id`) REFERENCES `test_cases`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `test_failures_case_fingerprint_unique` ON `test_failures` (`test_case_id`,`fingerprint`);--> statement-breakpoint
CREATE INDEX `test_failures_project_seen_idx` ON `test_failures` (`project_slug`,`last_seen_at`);--> statement-breakpoint
CREATE INDEX `test_failures_project_open_idx` ON `test_failures` (`project_slug`,`resolved_at`);--> statement-breakpoint
CREATE TABLE `test_results` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`report_id` integer NOT NULL,
	`test_case_id` integer NOT NULL,
	`status` text NOT NULL,
	`retries` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`attempts` text,
	`fingerprint` text,
	`fingerprint_meta` text,
	FOREIGN KEY (`report_id`) REFERENCES `reports`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`test_case_id`) REFERENCES `test_cases`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `test_results_case_report_unique` ON `test_results` (`test_case_id`,`report_id`);