-- Down path for 0001_errors: drops the error-triage tables, children first (run by hand as for 0000_init,
-- then delete its row from __drizzle_migrations; tested in tests/integration/migrations.test.ts).
DROP INDEX IF EXISTS `error_triage_decision_priority_idx`;
DROP INDEX IF EXISTS `error_triage_test_failure_id_idx`;
DROP TABLE IF EXISTS `error_triage`;
DROP INDEX IF EXISTS `test_failures_project_open_idx`;
DROP INDEX IF EXISTS `test_failures_project_seen_idx`;
DROP INDEX IF EXISTS `test_failures_case_fingerprint_unique`;
DROP TABLE IF EXISTS `test_failures`;
DROP INDEX IF EXISTS `test_results_case_report_unique`;
DROP TABLE IF EXISTS `test_results`;
DROP INDEX IF EXISTS `test_cases_project_key_unique`;
DROP TABLE IF EXISTS `test_cases`;
DROP INDEX IF EXISTS `reports_project_seq_unique`;
DROP INDEX IF EXISTS `reports_project_hash_unique`;
DROP TABLE IF EXISTS `reports`;
