-- Down path for 0010_work_dependencies: the work item dependencies (issue 17).
DROP TABLE `work_dependencies`;
