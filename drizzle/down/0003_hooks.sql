-- Down path for 0003_hooks: drops the hook events and the per-session agent summary (issue 5).
DROP INDEX IF EXISTS `hooks_tool_use_idx`;
DROP INDEX IF EXISTS `hooks_session_id_idx`;
DROP TABLE IF EXISTS `hooks`;
DROP INDEX IF EXISTS `agent_sessions_status_last_idx`;
DROP TABLE IF EXISTS `agent_sessions`;
