-- Down path of 0002_workers.
ALTER TABLE "sessions" DROP COLUMN "worker";
DROP TABLE "workers";
