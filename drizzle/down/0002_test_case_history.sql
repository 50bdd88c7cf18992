-- Down path for 0002_test_case_history: drops the run-error kind and the recent-status columns of test_cases.
ALTER TABLE `test_cases` DROP COLUMN `recent_seq`;
ALTER TABLE `test_cases` DROP COLUMN `recent_statuses`;
ALTER TABLE `test_cases` DROP COLUMN `run_error_kind`;
