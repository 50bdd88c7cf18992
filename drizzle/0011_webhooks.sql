CREATE TABLE `automation_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`item_key` text NOT NULL,
	`trigger` text NOT NULL,
	`rule_index` integer NOT NULL,
	`action` text NOT NULL,
	`project_slug` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`session_id` integer,
	`event_id` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `automation_runs_event_rule_unique` ON `automation_runs` (`event_id`,`rule_index`,`item_key`);--> statement-breakpoint
CREATE INDEX `automation_runs_item_idx` ON `automation_runs` (`item_key`);--> statement-breakpoint
CREATE INDEX `automation_runs_project_idx` ON `automation_runs` (`project_slug`,`created_at`);--> statement-breakpoint
CREATE TABLE `deploys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_slug` text NOT NULL,
	`provider` text NOT NULL,
	`deployment_id` text NOT NULL,
	`service_id` text,
	`service_name` text,
	`environment_name` text,
	`status` text NOT NULL,
	`commit_sha` text,
	`commit_message` text,
	`branch` text,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`updated_at` integer NOT NULL,
	`log_tail` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deploys_deployment_unique` ON `deploys` (`provider`,`deployment_id`);--> statement-breakpoint
CREATE INDEX `deploys_project_idx` ON `deploys` (`project_slug`,`started_at`);--> statement-breakpoint
CREATE TABLE `integration_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`project_slug` text NOT NULL,
	`provider` text NOT NULL,
	`subject_key` text NOT NULL,
	`status` text NOT NULL,
	`title` text NOT NULL,
	`detail` text NOT NULL,
	`url` text,
	`branch` text,
	`commit_sha` text,
	`evidence` text DEFAULT '' NOT NULL,
	`refs` text,
	`occurrences` integer DEFAULT 1 NOT NULL,
	`priority` integer NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`resolved_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `integration_items_subject_unique` ON `integration_items` (`subject_key`);--> statement-breakpoint
CREATE INDEX `integration_items_project_idx` ON `integration_items` (`project_slug`,`status`);--> statement-breakpoint
CREATE TABLE `integration_locks` (
	`name` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`delivery_id` text NOT NULL,
	`event` text NOT NULL,
	`project_slug` text,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_source_id_unique` ON `webhook_deliveries` (`source`,`delivery_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_received_idx` ON `webhook_deliveries` (`received_at`);