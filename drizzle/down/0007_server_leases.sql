-- Down path for 0007_server_leases: the server leases and the two session columns they need.
DROP TABLE `server_leases`;
--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `process_mark`;
--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `owner_lease`;
