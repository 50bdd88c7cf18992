CREATE TABLE `server_leases` (
	`id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`pid_start` text,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `owner_lease` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `process_mark` text;