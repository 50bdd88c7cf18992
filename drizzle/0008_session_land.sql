ALTER TABLE `sessions` ADD `base_branch` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `branch_commit` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `worktree_removed_at` integer;--> statement-breakpoint
ALTER TABLE `sessions` ADD `landed` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `landed_commit` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `landed_at` integer;