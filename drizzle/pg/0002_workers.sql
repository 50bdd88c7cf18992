CREATE TABLE "workers" (
	"name" text PRIMARY KEY NOT NULL,
	"accounts" text DEFAULT '[]' NOT NULL,
	"capacity" bigint NOT NULL,
	"running" text DEFAULT '[]' NOT NULL,
	"version" text NOT NULL,
	"host" text NOT NULL,
	"first_seen_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"lost_at" bigint
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "worker" text;