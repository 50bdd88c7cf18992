CREATE TABLE `workers` (
	`name` text PRIMARY KEY NOT NULL,
	`accounts` text DEFAULT '[]' NOT NULL,
	`capacity` integer NOT NULL,
	`running` text DEFAULT '[]' NOT NULL,
	`version` text NOT NULL,
	`host` text NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`lost_at` integer
);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `worker` text;