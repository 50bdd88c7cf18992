-- Down path for 0008_session_land: the landing and worktree-retention columns of sessions.
ALTER TABLE `sessions` DROP COLUMN `landed_at`;
--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `landed_commit`;
--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `landed`;
--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `worktree_removed_at`;
--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `branch_commit`;
--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `base_branch`;
