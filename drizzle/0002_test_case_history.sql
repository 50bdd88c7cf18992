ALTER TABLE `test_cases` ADD `run_error_kind` text;--> statement-breakpoint
ALTER TABLE `test_cases` ADD `recent_statuses` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `test_cases` ADD `recent_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Backfill: each test case's statuses in its project's last 20 reports (see schema.ts recentStatuses).
UPDATE `test_cases` SET
  `recent_seq` = coalesce((SELECT max(r.`seq`) FROM `reports` r WHERE r.`project_slug` = `test_cases`.`project_slug`), 0),
  `recent_statuses` = coalesce((
    SELECT group_concat(CASE tr.`status` WHEN 'unexpected' THEN 'F' WHEN 'flaky' THEN 'K' WHEN 'expected' THEN 'P' WHEN 'skipped' THEN 'S' ELSE '-' END, '' ORDER BY r.`seq`)
    FROM `reports` r LEFT JOIN `test_results` tr ON tr.`report_id` = r.`id` AND tr.`test_case_id` = `test_cases`.`id`
    WHERE r.`project_slug` = `test_cases`.`project_slug`
      AND r.`seq` > (SELECT max(r2.`seq`) FROM `reports` r2 WHERE r2.`project_slug` = `test_cases`.`project_slug`) - 20
  ), '');
