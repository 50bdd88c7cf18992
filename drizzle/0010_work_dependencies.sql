CREATE TABLE `work_dependencies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`blocker` text NOT NULL,
	`blocked` text NOT NULL,
	`blocker_archived_as` text,
	`blocked_archived_as` text,
	`blocker_fingerprint` text,
	`blocked_fingerprint` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `work_dependencies_pair_idx` ON `work_dependencies` (`blocker`,`blocked`);--> statement-breakpoint
CREATE INDEX `work_dependencies_blocked_idx` ON `work_dependencies` (`blocked`);