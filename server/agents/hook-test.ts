/**
 * Settings' "Send test event": runs the hook command a project has installed, exactly as Claude
 * Code would (`sh -c`, from the project folder, a payload on stdin), then looks for the event in
 * the store. That proves the whole path (the quoted command, the recorded URL, the token), where a
 * direct insert would only prove the database works.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { inheritedEnvironment } from "../env";
import type { Runtime } from "../runtime";
import { resolveInsideProject } from "../projects/paths";
import { installedHookUrl, isOurHook } from "./hooks-settings";
import type { HookTestResult } from "@/lib/schemas/agents";

type Deps = Pick<Runtime, "sqlStore" | "projects" | "env">;

const RUN_TIMEOUT_MS = 10_000;

/** The first of our commands in a project's `.claude/settings.json`, or null. */
export function installedHookCommand(projectPath: string): string | null {
  let file: string;
  try {
    file = resolveInsideProject(projectPath, ".claude/settings.json");
  } catch {
    return null;
  }
  try {
    const settings = JSON.parse(fs.readFileSync(file, "utf8")) as {
      hooks?: Record<string, { hooks?: { type?: unknown; command?: unknown }[] }[]>;
    };
    for (const groups of Object.values(settings.hooks ?? {})) {
      for (const group of Array.isArray(groups) ? groups : []) {
        for (const hook of Array.isArray(group?.hooks) ? group.hooks : []) if (isOurHook(hook)) return hook.command as string;
      }
    }
  } catch {
    // Missing or unreadable: the caller reports "not installed"; Settings shows why.
  }
  return null;
}

/** When the project's last hook event arrived (ms), from the per-session summary (small, indexed by session). */
export async function lastHookEventAt(deps: Pick<Runtime, "sqlStore">, projectSlug: string): Promise<number | null> {
  const row = await deps.sqlStore.get<{ at: number | null }>(
    sql`SELECT max(last_event_at) AS at FROM agent_sessions WHERE project_slug = ${projectSlug}`,
  );
  return row?.at == null ? null : Number(row.at);
}

export async function sendTestHookEvent(deps: Deps, input: { projectId: string }): Promise<HookTestResult> {
  const project = deps.projects.get(input.projectId);
  const command = installedHookCommand(project.path);
  if (!command) {
    return {
      delivered: false,
      receivedAt: null,
      url: null,
      message: `No Workdeck hooks in .claude/settings.json. Run \`workdeck hooks install --project ${project.slug}\` first.`,
    };
  }
  const url = installedHookUrl(command) ?? "http://127.0.0.1:3000";
  const sessionId = `workdeck-test-${randomUUID()}`;
  // A session end: the test shows up as one finished session, never as an agent waiting on you.
  const payload = { session_id: sessionId, hook_event_name: "SessionEnd", reason: "workdeck_test_event", cwd: project.path };
  // Its own spool: an undelivered test event must not reach the server later as if it were real.
  const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), "workdeck-hook-test-"));
  const { WORKDECK_URL: _url, WORKDECK_AGENT_TOKEN: _agent, WORKDECK_SESSION_ID: _session, ...env } = inheritedEnvironment();
  let stderr = "";
  try {
    stderr = await new Promise<string>((resolve) => {
      const childEnv: Record<string, string | undefined> = { ...env, WORKDECK_SPOOL_DIR: spoolDir };
      if (deps.env.token) childEnv.WORKDECK_TOKEN = deps.env.token;
      const child = execFile(
        "sh",
        ["-c", command],
        { cwd: project.path, timeout: RUN_TIMEOUT_MS, env: childEnv as NodeJS.ProcessEnv },
        (_err, _out, err) => resolve(String(err ?? "")),
      );
      child.stdin?.end(JSON.stringify(payload));
    });
  } finally {
    fs.rmSync(spoolDir, { recursive: true, force: true });
  }
  const row = await deps.sqlStore.get<{ at: number }>(
    sql`SELECT received_at AS at FROM hooks WHERE session_id = ${sessionId} ORDER BY id LIMIT 1`,
  );
  if (row)
    return {
      delivered: true,
      receivedAt: new Date(Number(row.at)).toISOString(),
      url,
      message: `The test event reached Workdeck through the installed hook (${url}).`,
    };
  const spooled = /did not take the hook event/.test(stderr);
  return {
    delivered: false,
    receivedAt: null,
    url,
    message: spooled
      ? `The installed hook posts to ${url}, which did not take the event. Reinstall with \`workdeck hooks install --project ${project.slug} --url <this server's URL>\`.`
      : `The installed hook ran but the event did not arrive here: ${url} may be another server${stderr.trim() ? ` (${stderr.trim().split("\n")[0]!.slice(0, 200)})` : ""}.`,
  };
}
