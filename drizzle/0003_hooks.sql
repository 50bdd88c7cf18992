CREATE TABLE `agent_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`project_slug` text,
	`workdeck_session_id` integer,
	`cwd` text,
	`status` text NOT NULL,
	`needs_you_reason` text,
	`started_at` integer NOT NULL,
	`last_event_at` integer NOT NULL,
	`last_event` text NOT NULL,
	`current_tool` text,
	`current_tool_use_id` text,
	`tool_count` integer DEFAULT 0 NOT NULL,
	`failure_count` integer DEFAULT 0 NOT NULL,
	`duration_sum_ms` integer DEFAULT 0 NOT NULL,
	`duration_count` integer DEFAULT 0 NOT NULL,
	`prompt_count` integer DEFAULT 0 NOT NULL,
	`event_count` integer DEFAULT 0 NOT NULL,
	`ended_at` integer,
	`end_reason` text
);
--> statement-breakpoint
CREATE INDEX `agent_sessions_status_last_idx` ON `agent_sessions` (`status`,`last_event_at`);--> statement-breakpoint
CREATE TABLE `hooks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`event` text NOT NULL,
	`tool_name` text,
	`tool_use_id` text,
	`cwd` text,
	`project_slug` text,
	`workdeck_session_id` integer,
	`payload` text NOT NULL,
	`received_at` integer NOT NULL,
	`duration_ms` integer,
	`success` integer
);
--> statement-breakpoint
CREATE INDEX `hooks_session_id_idx` ON `hooks` (`session_id`,`id`);--> statement-breakpoint
CREATE INDEX `hooks_tool_use_idx` ON `hooks` (`tool_use_id`) WHERE "hooks"."tool_use_id" IS NOT NULL;