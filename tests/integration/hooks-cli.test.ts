/**
 * `workdeck hooks send` and `workdeck hooks install` as a person (or Claude Code) runs them:
 * real processes, real files, the route handler behind a real HTTP listener.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { sendTestHookEvent } from "@/server/agents/hook-test";
import { getSettings } from "@/server/notifications/settings";
import { startRuntime, stopRuntime, type Runtime } from "@/server/runtime-boot";
import { hookSession } from "../support/hook-payloads";
import { hookRouteListener } from "../support/hook-route";
import { oneProjectEnv } from "../support/runtime-env";
import { repoRoot, tempDir } from "../support/temp";

const run = promisify(execFile);
const bin = path.join(repoRoot, "bin/workdeck.mjs");

let server: http.Server | null = null;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(null)));
  server = null;
  await stopRuntime();
});

/** The runtime with POST /api/hooks behind a real listener; returns its URL. */
async function serveHooks(dir: string, projectPath: string): Promise<{ runtime: Runtime; url: string }> {
  const { env } = oneProjectEnv(dir, { slug: "billing-api", path: projectPath });
  const runtime = await startRuntime(env, { watch: false });
  server = http.createServer(hookRouteListener);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { runtime, url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}` };
}

async function closedPortUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

/** Runs `workdeck hooks send` with the payload on stdin; resolves with its exit code and stderr. */
function send(payload: unknown, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, "hooks", "send"], { env: { ...process.env, ...env } }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
    child.stdin!.end(typeof payload === "string" ? payload : JSON.stringify(payload));
  });
}

const spooled = (dir: string) => {
  const file = path.join(dir, "hooks.ndjson");
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { body: string; firedAt: number })
    : [];
};

describe("workdeck hooks send", () => {
  it("server down: exits 0 quickly and spools; the next send flushes the spool first, in order, with the original times", async () => {
    const dir = tempDir();
    const spool = path.join(dir, "spool");
    const project = path.join(dir, "billing-api");
    fs.mkdirSync(project);
    const h = hookSession("cli-session", project);
    const down = await closedPortUrl();

    const first = await send(h.sessionStart(), { WORKDECK_URL: down, WORKDECK_SPOOL_DIR: spool });
    const second = await send(h.prompt("hello"), { WORKDECK_URL: down, WORKDECK_SPOOL_DIR: spool });
    expect([first.code, second.code]).toEqual([0, 0]);
    // How fast it exits is a bench figure (bench/cli.ts: hooks send), not a test assertion.
    expect(spooled(spool).map((e) => JSON.parse(e.body).hook_event_name)).toEqual(["SessionStart", "UserPromptSubmit"]);
    const firedAt = spooled(spool)[0]!.firedAt;

    const { runtime, url } = await serveHooks(dir, project);
    await new Promise((r) => setTimeout(r, 20));
    const third = await send(h.pre("t1", "Read", { file_path: "a" }), { WORKDECK_URL: url, WORKDECK_SPOOL_DIR: spool });
    expect(third.code).toBe(0);
    const rows = runtime.db!.$client.prepare("SELECT event, project_slug, received_at FROM hooks ORDER BY id").all() as {
      event: string;
      project_slug: string;
      received_at: number;
    }[];
    expect(rows.map((r) => r.event)).toEqual(["SessionStart", "UserPromptSubmit", "PreToolUse"]);
    expect(rows[0]).toMatchObject({ project_slug: "billing-api", received_at: firedAt });
    expect(spooled(spool)).toEqual([]);

    // Garbage from stdin: the server refuses it (400), the agent is not bothered, nothing is spooled.
    const junk = await send("not json at all", { WORKDECK_URL: url, WORKDECK_SPOOL_DIR: spool });
    expect(junk.code).toBe(0);
    expect(spooled(spool)).toEqual([]);
  });

  it("says on stderr, once per spool, that it is spooling and where the events are going", async () => {
    const dir = tempDir();
    const spool = path.join(dir, "spool");
    const down = await closedPortUrl();
    const h = hookSession("quiet-session", dir);
    const first = await send(h.sessionStart(), { WORKDECK_URL: down, WORKDECK_SPOOL_DIR: spool });
    expect(first.code).toBe(0);
    expect(first.stderr.trim().split("\n")).toHaveLength(1);
    expect(first.stderr).toContain(`${down} did not take the hook event; keeping events in ${path.join(spool, "hooks.ndjson")}`);
    expect(first.stderr).toMatch(/workdeck hooks install --project <slug> --url/);
    // The same spool growing: quiet (it would otherwise repeat on every tool call).
    const second = await send(h.prompt("again"), { WORKDECK_URL: down, WORKDECK_SPOOL_DIR: spool });
    expect(second.stderr).toBe("");
    expect(spooled(spool)).toHaveLength(2);

    // Delivered: the spool is gone; the next outage starts a new spool and says so again.
    const { url } = await serveHooks(dir, dir);
    const third = await send(h.prompt("up"), { WORKDECK_URL: url, WORKDECK_SPOOL_DIR: spool });
    expect(third.stderr).toBe("");
    expect(spooled(spool)).toEqual([]);
    const fourth = await send(h.prompt("down again"), { WORKDECK_URL: down, WORKDECK_SPOOL_DIR: spool });
    expect(fourth.stderr).toMatch(/did not take the hook event/);
  });

  it("the spool is bounded: the oldest entries are dropped", async () => {
    const dir = tempDir();
    const spool = path.join(dir, "spool");
    fs.mkdirSync(spool);
    const big = "x".repeat(2000);
    const line = (i: number) =>
      JSON.stringify({
        firedAt: 1_700_000_000_000 + i,
        body: JSON.stringify({ session_id: "s", hook_event_name: "Stop", i, big }),
        workdeckSessionId: null,
      });
    fs.writeFileSync(path.join(spool, "hooks.ndjson"), Array.from({ length: 600 }, (_, i) => `${line(i)}\n`).join(""));
    const res = await send(
      { session_id: "s", hook_event_name: "SessionEnd" },
      { WORKDECK_URL: await closedPortUrl(), WORKDECK_SPOOL_DIR: spool },
    );
    expect(res.code).toBe(0);
    const kept = spooled(spool);
    expect(fs.statSync(path.join(spool, "hooks.ndjson")).size).toBeLessThanOrEqual(1024 * 1024);
    expect(kept.length).toBeLessThan(601);
    expect(JSON.parse(kept.at(-1)!.body).hook_event_name).toBe("SessionEnd");
    expect(JSON.parse(kept[0]!.body).i).toBe(601 - kept.length);
  });
});

describe("workdeck hooks install", () => {
  async function setup() {
    const dir = tempDir();
    const project = path.join(dir, "billing-api");
    fs.mkdirSync(path.join(project, "openspec"), { recursive: true });
    const config = path.join(dir, "config.json");
    fs.writeFileSync(config, JSON.stringify({ projects: [{ slug: "billing-api", path: project }] }));
    const env: Record<string, string | undefined> = { ...process.env, WORKDECK_CONFIG: config, WORKDECK_DB: path.join(dir, "w.db") };
    for (const k of ["WORKDECK_URL", "WORKDECK_PORT", "PORT", "WORKDECK_HOST"]) delete env[k];
    const cli = (...args: string[]) =>
      run(process.execPath, [bin, "hooks", ...args], { env: env as NodeJS.ProcessEnv }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    return { dir, project, cli, settings: path.join(project, ".claude", "settings.json") };
  }

  it("merges every event beside the hooks already there, idempotently; --uninstall takes only ours out", async () => {
    const { project, cli, settings } = await setup();
    const foreign = {
      model: "sonnet",
      permissions: { allow: ["Bash(npm test)"] },
      hooks: {
        PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "node ./guard.mjs", timeout: 3 }] }],
        Stop: [{ hooks: [{ type: "http", url: "http://127.0.0.1:9999/stop" }] }],
      },
    };
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(settings, JSON.stringify(foreign, null, 2));

    const installed = await cli("install", "--project", "billing-api");
    expect(installed.stdout).toMatch(/Installed Workdeck hooks \(12 events\)/);
    const after = JSON.parse(fs.readFileSync(settings, "utf8"));
    expect(after.model).toBe("sonnet");
    expect(after.permissions).toEqual(foreign.permissions);
    expect(Object.keys(after.hooks)).toEqual(
      expect.arrayContaining([
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PostToolUse",
        "PostToolUseFailure",
        "Notification",
        "PermissionRequest",
        "Stop",
        "SessionEnd",
      ]),
    );
    expect(after.hooks.PreToolUse[0]).toEqual(foreign.hooks.PreToolUse[0]);
    expect(after.hooks.PreToolUse[1]).toEqual({
      matcher: "*",
      hooks: [
        {
          type: "command",
          command: `WORKDECK_HOOK_URL='http://127.0.0.1:3000' node '${path.join(repoRoot, "bin", "workdeck.mjs")}' hooks send`,
          timeout: 5,
        },
      ],
    });
    expect(after.hooks.SessionStart[0]).not.toHaveProperty("matcher");
    expect(after.hooks.Stop[0]).toEqual(foreign.hooks.Stop[0]);

    const before = fs.readFileSync(settings, "utf8");
    const again = await cli("install", "--project", "billing-api");
    expect(again.stdout).toMatch(/already installed/);
    expect(fs.readFileSync(settings, "utf8")).toBe(before);

    const removed = await cli("install", "--project", "billing-api", "--uninstall");
    expect(removed.stdout).toMatch(/Removed the Workdeck hooks/);
    expect(JSON.parse(fs.readFileSync(settings, "utf8"))).toEqual(foreign);
    expect(fs.readdirSync(path.join(project, ".claude"))).toEqual(["settings.json"]);
  });

  it("the installed command is quoted for the shell: run through `sh -c` from a hostile folder name, it delivers and runs nothing else", async () => {
    const { dir, project, cli, settings } = await setup();
    // Spaces, both quotes, `$`, a command substitution, backquotes, `;`, `&`: all legal in a folder name.
    // (Not a backslash: Node itself refuses to import a module whose path holds one.)
    const hostile = path.join(dir, `it's a "dir" $HOME $(touch injected-1) \`touch injected-2\`; touch injected-3 & end`);
    fs.mkdirSync(path.join(hostile, "bin"), { recursive: true });
    for (const f of ["workdeck.mjs", "hooks-send.mjs"]) fs.copyFileSync(path.join(repoRoot, "bin", f), path.join(hostile, "bin", f));
    // An install in a folder named like that (bin/workdeck.mjs takes WORKDECK_APP_ROOT as given).
    const installed = await run(process.execPath, [bin, "hooks", "install", "--project", "billing-api"], {
      env: {
        ...process.env,
        WORKDECK_CONFIG: path.join(dir, "config.json"),
        WORKDECK_DB: path.join(dir, "w.db"),
        WORKDECK_APP_ROOT: hostile,
      },
    });
    expect(installed.stdout).toMatch(/Installed Workdeck hooks/);
    const command = JSON.parse(fs.readFileSync(settings, "utf8")).hooks.SessionStart[0].hooks[0].command as string;

    // Claude Code runs a command hook with `sh -c`; so do we, from a scratch cwd the injections would write to.
    const { runtime, url } = await serveHooks(dir, project);
    const cwd = path.join(dir, "hook-cwd");
    fs.mkdirSync(cwd);
    const h = hookSession("quoted-session", project);
    const ran = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        "sh",
        ["-c", command],
        { cwd, env: { ...process.env, WORKDECK_URL: url, WORKDECK_SPOOL_DIR: path.join(dir, "spool") } },
        (err, _o, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
      child.stdin!.end(JSON.stringify(h.sessionStart()));
    });
    expect(ran, ran.stderr).toMatchObject({ code: 0, stderr: "" });
    const rows = runtime.db!.$client.prepare("SELECT event, session_id FROM hooks").all();
    expect(rows).toEqual([{ event: "SessionStart", session_id: "quoted-session" }]);
    expect(fs.readdirSync(cwd)).toEqual([]);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith("injected"))).toEqual([]);

    // Reinstalling from the usual folder replaces the hostile entry rather than adding a second one.
    const again = await cli("install", "--project", "billing-api");
    expect(again.stdout).toMatch(/Updated the Workdeck hooks/);
    expect(JSON.parse(fs.readFileSync(settings, "utf8")).hooks.SessionStart).toHaveLength(1);
  });

  it("records the server's URL in the command, so the installed hook reaches a server on any port", async () => {
    const { dir, project, cli, settings } = await setup();
    const { runtime, url } = await serveHooks(dir, project);
    expect(url).not.toMatch(/:3000$/);
    const res = await cli("install", "--project", "billing-api", "--url", `${url}/`, "--json");
    expect(JSON.parse(res.stdout)).toMatchObject({ action: "installed", url });
    const command = JSON.parse(fs.readFileSync(settings, "utf8")).hooks.SessionStart[0].hooks[0].command as string;
    expect(command).toBe(`WORKDECK_HOOK_URL='${url}' node '${path.join(repoRoot, "bin", "workdeck.mjs")}' hooks send`);

    // As Claude Code runs it: sh -c, no WORKDECK_URL in the environment.
    const { WORKDECK_URL: _u, ...env } = process.env;
    const h = hookSession("any-port-session", project);
    const ran = await new Promise<{ stderr: string }>((resolve) => {
      const child = execFile(
        "sh",
        ["-c", command],
        { cwd: project, env: { ...env, WORKDECK_SPOOL_DIR: path.join(dir, "spool") } },
        (_e, _o, stderr) => resolve({ stderr }),
      );
      child.stdin!.end(JSON.stringify(h.sessionStart()));
    });
    expect(ran.stderr).toBe("");
    expect(runtime.db!.$client.prepare("SELECT event, session_id FROM hooks").all()).toEqual([
      { event: "SessionStart", session_id: "any-port-session" },
    ]);

    // Without --url: where this install's serve listens (WORKDECK_HOST / WORKDECK_PORT).
    const byPort = await run(process.execPath, [bin, "hooks", "install", "--project", "billing-api", "--json"], {
      env: {
        ...env,
        WORKDECK_CONFIG: path.join(dir, "config.json"),
        WORKDECK_DB: path.join(dir, "w.db"),
        WORKDECK_PORT: "4123",
        WORKDECK_HOST: "0.0.0.0",
      },
    });
    expect(JSON.parse(byPort.stdout)).toMatchObject({ action: "updated", url: "http://127.0.0.1:4123" });

    // A URL with credentials would sit in a readable settings file: refused, nothing written.
    const before = fs.readFileSync(settings, "utf8");
    const secret = await cli("install", "--project", "billing-api", "--url", "http://me:pw@127.0.0.1:4000");
    expect(secret.code).toBe(1);
    expect(secret.stderr).toMatch(/must not carry a user or password/);
    const junk = await cli("install", "--project", "billing-api", "--url", "ftp://x");
    expect(junk.stderr).toMatch(/must be http or https/);
    expect(fs.readFileSync(settings, "utf8")).toBe(before);
  });

  it("Settings: per project the recorded URL and when the last event arrived; Send test event runs the installed hook", async () => {
    const { dir, project, cli } = await setup();
    const { runtime, url } = await serveHooks(dir, project);
    const none = await sendTestHookEvent(runtime, { projectId: "billing-api" });
    expect(none).toMatchObject({
      delivered: false,
      url: null,
      message: expect.stringMatching(/workdeck hooks install --project billing-api/),
    });
    expect((await getSettings(runtime)).hooks[0]).toMatchObject({ projectSlug: "billing-api", url: null, lastEventAt: null });

    // Installed for another port: the test says where it went and that it did not arrive.
    const down = await closedPortUrl();
    await cli("install", "--project", "billing-api", "--url", down);
    const wrong = await sendTestHookEvent(runtime, { projectId: "billing-api" });
    expect(wrong).toMatchObject({ delivered: false, url: down, message: expect.stringContaining(`${down}, which did not take the event`) });
    expect((await getSettings(runtime)).hooks[0]!.lastEventAt).toBeNull();

    await cli("install", "--project", "billing-api", "--url", url);
    const ok = await sendTestHookEvent(runtime, { projectId: "billing-api" });
    expect(ok).toMatchObject({ delivered: true, url });
    const status = (await getSettings(runtime)).hooks[0]!;
    expect(status).toMatchObject({ url, lastEventAt: ok.receivedAt });
    expect(status.missing).toEqual([]);

    await expect(sendTestHookEvent(runtime, { projectId: "nope" })).rejects.toThrow(/nope/);
  });

  it("--config-dir writes <dir>/settings.json; unknown project and broken settings are clear errors that change nothing", async () => {
    const { dir, cli, settings } = await setup();
    const configDir = path.join(dir, "claude-config");
    const res = await cli("install", "--project", "billing-api", "--config-dir", configDir, "--json");
    expect(JSON.parse(res.stdout)).toMatchObject({
      project: "billing-api",
      action: "installed",
      file: path.join(configDir, "settings.json"),
    });
    expect(fs.existsSync(settings)).toBe(false);

    const unknown = await cli("install", "--project", "nope");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown project "nope"\. Known: billing-api/);

    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(settings, '{ "hooks": { "Stop": [ }');
    const broken = await cli("install", "--project", "billing-api");
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/settings\.json is not valid JSON.*left untouched/);
    expect(fs.readFileSync(settings, "utf8")).toBe('{ "hooks": { "Stop": [ }');
  });
});
