-- Down path of 0012_workers.
ALTER TABLE `sessions` DROP COLUMN `worker`;
DROP TABLE `workers`;
