-- Down path for 0003_drop_tool_use_idx: the index a Post used to find its Pre by tool_use_id.
CREATE INDEX IF NOT EXISTS "hooks_tool_use_idx" ON "hooks" USING btree ("tool_use_id") WHERE "hooks"."tool_use_id" IS NOT NULL;
