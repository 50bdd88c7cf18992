CREATE INDEX `events_created_at_idx` ON `events` (`created_at`);--> statement-breakpoint
CREATE INDEX `hooks_received_at_idx` ON `hooks` (`received_at`);