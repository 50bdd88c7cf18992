/**
 * Links that leave a project (issue 10 items 2 and 3). A cloned repository can hold
 * `openspec/usr -> /usr` (chokidar followed it and the server grew to 1.7 GB before it
 * listened) or `spec.md -> a file elsewhere` (read and served). Watching, scanning and
 * every read made for a request stop at the project's edge; links that stay inside still work.
 * Real files, a real runtime, the real tRPC procedures.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { readEnv } from "@/server/env";
import { createRuntime, type Runtime } from "@/server/runtime-boot";
import { OpenSpecService } from "@/server/specs/service";
import { sessionDiff } from "@/server/sessions/diff";
import { createContext } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";
import { OpenSpecWatcher } from "@/server/specs/watcher";
import { repoRoot, tempDir } from "../support/temp";

const SECRET = "TOP-SECRET";

const spec = (name: string, requirements: string[]) =>
  `# ${name} Specification\n\n## Purpose\nWhat ${name} does for the people who use it, said in enough words.\n\n## Requirements\n\n` +
  requirements
    .map(
      (r) =>
        `### Requirement: ${r}\nThe system SHALL ${r.toLowerCase()}.\n\n#### Scenario: ${r} works\n- **WHEN** asked\n- **THEN** it does\n`,
    )
    .join("\n");

const proposal = (title: string) =>
  `# Change: ${title}\n\n## Why\nBecause the people using it asked for it twice already.\n\n## What Changes\n- ${title}\n`;

function write(file: string, text: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function link(target: string, at: string) {
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at);
}

/**
 * ws/ is the scan folder. acme's openspec/ holds a link to /usr, a spec.md and a proposal.md
 * linking to files outside, a change merging into that outside spec, and a spec linked to a
 * file inside the project. far's whole openspec/ links outside; cx's changes/ does; ws/linked
 * is itself a link.
 */
function workspace() {
  const dir = tempDir();
  const ws = path.join(dir, "ws");
  const outside = path.join(dir, "outside");
  const acme = path.join(ws, "acme", "openspec");
  write(path.join(outside, "secret-spec.md"), spec("leak", [`${SECRET} one`, `${SECRET} two`, `${SECRET} three`]));
  write(path.join(outside, "secret-proposal.md"), proposal(`${SECRET} plan`));
  write(path.join(outside, "far-openspec", "changes", "far-change", "proposal.md"), proposal(`${SECRET} far`));
  write(path.join(outside, "linked-project", "openspec", "changes", "x", "proposal.md"), proposal(`${SECRET} linked`));
  fs.mkdirSync(path.join(outside, "cx-changes"), { recursive: true });
  write(path.join(outside, "passwd"), `root:x:0:0:${SECRET}\n`);

  write(path.join(acme, "project.md"), "# Acme\n");
  write(path.join(acme, "specs", "auth", "spec.md"), spec("auth", ["Login"]));
  write(path.join(ws, "acme", "docs", "billing-spec.md"), spec("billing", ["Invoice", "Refund"]));
  link("../../../docs/billing-spec.md", path.join(acme, "specs", "billing", "spec.md"));
  link(path.join(outside, "secret-spec.md"), path.join(acme, "specs", "leak", "spec.md"));
  link("/usr", path.join(acme, "usr"));
  link(path.join(outside, "passwd"), path.join(ws, "acme", ".claude", "settings.json"));

  write(path.join(acme, "changes", "add-login", "proposal.md"), proposal("Add login"));
  write(path.join(acme, "changes", "add-login", "tasks.md"), "## 1. Build\n- [x] 1.1 Form\n- [ ] 1.2 Session\n");
  write(
    path.join(acme, "changes", "add-login", "specs", "auth", "spec.md"),
    "## ADDED Requirements\n\n### Requirement: Logout\nThe system SHALL log out.\n\n#### Scenario: Out\n- **WHEN** asked\n- **THEN** out\n",
  );
  link(path.join(outside, "secret-proposal.md"), path.join(acme, "changes", "leaky-change", "proposal.md"));
  write(path.join(acme, "changes", "leaky-change", "tasks.md"), "- [ ] 1.1 Something\n");
  write(path.join(acme, "changes", "touches-leak", "proposal.md"), proposal("Touch the leak"));
  write(path.join(acme, "changes", "touches-leak", "tasks.md"), "- [x] 1.1 Done\n");
  write(
    path.join(acme, "changes", "touches-leak", "specs", "leak", "spec.md"),
    "## ADDED Requirements\n\n### Requirement: More\nThe system SHALL do more.\n\n#### Scenario: More\n- **WHEN** asked\n- **THEN** more\n",
  );

  fs.mkdirSync(path.join(ws, "far"), { recursive: true });
  link(path.join(outside, "far-openspec"), path.join(ws, "far", "openspec"));
  write(path.join(ws, "cx", "openspec", "project.md"), "# CX\n");
  link(path.join(outside, "cx-changes"), path.join(ws, "cx", "openspec", "changes"));
  link(path.join(outside, "linked-project"), path.join(ws, "linked"));

  // Relative, as a user writes it: warnings name the scan folder the way the config does.
  const configPath = path.join(dir, "config.json");
  fs.writeFileSync(configPath, JSON.stringify({ scan: ["./ws"] }));
  return { dir, ws, outside, acme, configPath };
}

let runtime: Runtime | undefined;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await runtime?.close();
  runtime = undefined;
});

async function start(opts: { watch?: boolean; logLevel?: "silent" | "warn" } = {}) {
  const w = workspace();
  const env = {
    ...readEnv({ WORKDECK_DB: path.join(w.dir, "w.db"), WORKDECK_CONFIG: w.configPath, WORKDECK_LOG_LEVEL: opts.logLevel ?? "silent" }),
    appRoot: repoRoot,
  };
  runtime = await createRuntime(env, { watch: opts.watch ?? false, warm: true });
  return { ...w, runtime, api: createCaller(createContext(runtime)) };
}

/** A pino logger whose lines land in an array. */
function captureLog() {
  const lines: { msg: string; link?: string; [k: string]: unknown }[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { log: pino({ level: "warn" }, stream), lines, raw };
}

function nextEvent(rt: Runtime, predicate: (e: WorkdeckEvent) => boolean): Promise<WorkdeckEvent> {
  return new Promise((resolve) => {
    const off = rt.bus.on((e) => {
      if (!predicate(e)) return;
      off();
      resolve(e);
    });
  });
}

const changedPaths = (e: WorkdeckEvent) => (e.type === "openspec.changed" ? e.paths : []);

describe("watching stops at the project's edge", () => {
  it("starts the server runtime with openspec/usr -> /usr, memory bounded, and still sees edits inside (through an inside link too)", async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const { runtime, ws } = await start({ watch: true });
    const grown = process.memoryUsage().rss - before;
    // /usr here holds ~140,000 entries; walking it cost gigabytes. The project itself is a few files.
    expect(grown).toBeLessThan(200 * 1024 * 1024);
    expect(runtime.projects.get("acme").problem).toBeNull();

    const direct = nextEvent(runtime, (e) => changedPaths(e).includes("specs/auth/spec.md"));
    fs.appendFileSync(path.join(ws, "acme", "openspec", "specs", "auth", "spec.md"), "\n");
    await direct;
    // specs/billing/spec.md links to docs/billing-spec.md, inside the project: it is followed.
    const viaLink = nextEvent(runtime, (e) => changedPaths(e).includes("specs/billing/spec.md"));
    fs.appendFileSync(path.join(ws, "acme", "docs", "billing-spec.md"), "\n");
    await viaLink;
  });

  it("never enters a link that leaves, and logs each skipped link once by its project-relative path", async () => {
    const { runtime, dir, acme } = await start();
    const { log, lines, raw } = captureLog();
    const watcher = new OpenSpecWatcher(runtime.openspec, log);
    closers.push(() => watcher.close());
    await watcher.watch(runtime.projects.all());

    const watched = watcher.watchedPaths("acme");
    expect(watched).toContain("specs/auth/spec.md");
    expect(watched).toContain("specs/billing/spec.md");
    expect(watched.filter((p) => p === "usr" || p.startsWith("usr/"))).toEqual([]);
    expect(watched).not.toContain("specs/leak/spec.md");

    // A re-read of openspec/ (a new file in it) asks about the link again: still one line.
    const reread = nextEvent(runtime, (e) => changedPaths(e).includes("new.md"));
    fs.writeFileSync(path.join(acme, "new.md"), "x\n");
    await reread;
    await watcher.watch(runtime.projects.all());

    const skipped = lines
      .filter((l) => /skipped a link/.test(l.msg) && l.project === "acme")
      .map((l) => l.link)
      .sort();
    expect(skipped).toEqual(["openspec/changes/leaky-change/proposal.md", "openspec/specs/leak/spec.md", "openspec/usr"]);
    expect(lines.filter((l) => l.project === "cx").map((l) => l.link)).toEqual(["openspec/changes"]);
    expect(raw.join("\n")).not.toContain(dir);
    expect(raw.join("\n")).not.toContain(fs.realpathSync(dir));
  });

  it("bounds the number of entries one project's watch holds, and says so once", async () => {
    const { runtime, acme } = await start();
    for (let i = 0; i < 120; i++) write(path.join(acme, "changes", "many", `f${String(i).padStart(3, "0")}.md`), "x\n");
    const { log, lines } = captureLog();
    const watcher = new OpenSpecWatcher(runtime.openspec, log, { maxEntries: 60 });
    closers.push(() => watcher.close());
    await watcher.watch(runtime.projects.all().filter((p) => p.slug === "acme"));
    expect(watcher.watchedPaths("acme").length).toBeLessThanOrEqual(60);
    expect(lines.filter((l) => /limit reached/.test(l.msg))).toHaveLength(1);
  });
});

describe("scanning stops at links", () => {
  it("skips a linked project folder and flags an openspec/ that links outside, naming no server path", async () => {
    const { api, dir, runtime } = await start();
    const { projects, warnings } = await api.projects.list();
    expect(projects.map((p) => p.slug)).not.toContain("linked");
    expect(warnings.find((w) => w.includes("./ws/linked"))).toMatch(/is a link/);
    const far = projects.find((p) => p.slug === "far")!;
    expect(far.problem).toMatch(/^openspec\/ links outside the project/);
    for (const text of [...warnings, far.problem!]) expect(text).not.toContain(dir);

    expect(await api.openspec.listChanges({ projectId: "far" })).toEqual([]);
    await expect(api.openspec.showChange({ projectId: "far", changeId: "far-change" })).rejects.toThrow(
      /^openspec\/ links outside the project/,
    );
    const everything = JSON.stringify([await api.openspec.listChanges(), await api.openspec.listSpecs()]);
    expect(everything).not.toContain(SECRET);
    expect(runtime.projects.find("linked")).toBeUndefined();
  });

  it("logs a skipped scan entry when it first appears, not on every rescan", async () => {
    // The runtime's logger writes synchronously to fd 2: catch those writes, pass the rest on.
    const stderr: string[] = [];
    const write = fs.writeSync;
    const spy = vi.spyOn(fs, "writeSync").mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
      if (fd !== 2) return (write as (...a: unknown[]) => number)(fd, data, ...rest);
      stderr.push(String(data));
      return Buffer.byteLength(String(data));
    }) as typeof fs.writeSync);
    closers.push(async () => spy.mockRestore());
    const { runtime } = await start({ logLevel: "warn" });
    await runtime.rescan();
    await runtime.rescan();
    expect(runtime.warnings.filter((w) => w.includes("./ws/linked"))).toHaveLength(1);
    expect(
      stderr
        .join("")
        .split("\n")
        .filter((l) => l.includes("./ws/linked")),
    ).toHaveLength(1);
  });
});

describe("every openspec read for a request resolves inside the project", () => {
  it("does not serve a spec.md that links outside; serves one linked inside", async () => {
    const { api, dir } = await start();
    const specs = await api.openspec.listSpecs({ projectId: "acme" });
    expect(JSON.stringify(specs)).not.toContain(SECRET);
    const leak = specs.find((s) => s.id === "leak");
    // Withheld (the parser read it, the service blanks it) or never read at all.
    if (leak) expect(leak).toMatchObject({ requirementCount: 0, validation: { valid: false } });

    const refused = await api.openspec.showSpec({ projectId: "acme", specId: "leak" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "FORBIDDEN" });
    const message = (refused as Error).message;
    expect(message).toContain("openspec/specs/leak/spec.md");
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain(dir);

    const billing = await api.openspec.showSpec({ projectId: "acme", specId: "billing" });
    expect(billing.requirements.map((r) => r.name)).toEqual(["Invoice", "Refund"]);
    expect(specs.find((s) => s.id === "billing")).toMatchObject({ requirementCount: 2 });
  });

  it("does not serve a change whose proposal.md links outside, in lists, details or validation", async () => {
    const { api } = await start();
    const changes = await api.openspec.listChanges({ projectId: "acme" });
    expect(JSON.stringify(changes)).not.toContain(SECRET);
    const leaky = changes.find((c) => c.id === "leaky-change")!;
    expect(leaky.title).toBe("leaky-change");
    expect(leaky.validation.issues.map((i) => i.path)).toContain("openspec/changes/leaky-change/proposal.md");

    for (const call of [
      () => api.openspec.showChange({ projectId: "acme", changeId: "leaky-change" }),
      () => api.openspec.validateChange({ projectId: "acme", changeId: "leaky-change" }),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "FORBIDDEN" });
      expect((err as Error).message).not.toContain(SECRET);
    }
    const fine = await api.openspec.showChange({ projectId: "acme", changeId: "add-login" });
    expect(fine).toMatchObject({ title: "Add login", completedTasks: 1, totalTasks: 2 });
  });

  it("refuses to preview or archive a change that merges into a spec linked outside, and changes nothing", async () => {
    const { api, outside, acme } = await start();
    const secretBefore = fs.readFileSync(path.join(outside, "secret-spec.md"), "utf8");
    for (const call of [
      () => api.openspec.previewArchive({ projectId: "acme", changeId: "touches-leak" }),
      () => api.openspec.archiveChange({ projectId: "acme", changeId: "touches-leak" }),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "FORBIDDEN" });
      expect((err as Error).message).toContain("openspec/specs/leak/spec.md");
    }
    expect(fs.readFileSync(path.join(outside, "secret-spec.md"), "utf8")).toBe(secretBefore);
    expect(fs.lstatSync(path.join(acme, "specs", "leak", "spec.md")).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(acme, "changes", "touches-leak", "proposal.md"))).toBe(true);
  });

  it("refuses to create a proposal through a changes/ folder that links outside", async () => {
    const { api, outside } = await start();
    const err = await api.openspec
      .createProposal({ projectId: "cx", title: "Escape hatch", description: "This must not be written outside the project folder." })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FORBIDDEN" });
    expect(fs.readdirSync(path.join(outside, "cx-changes"))).toEqual([]);
  });

  it("logs each link the service skips once, by its project-relative path", async () => {
    const { runtime } = await start();
    const { log, lines, raw } = captureLog();
    const service = new OpenSpecService(runtime.projects, runtime.bus, log);
    await service.listSpecs({ projectId: "acme" });
    service.invalidateProject("acme");
    await service.listChanges({ projectId: "acme" });
    const skipped = lines
      .filter((l) => /skipped a link/.test(l.msg))
      .map((l) => l.link)
      .sort();
    expect(skipped).toEqual(["openspec/changes/leaky-change/proposal.md", "openspec/specs/leak/spec.md", "openspec/usr"]);
    expect(raw.join("\n")).not.toMatch(/\/tmp\//);
  });
});

describe("other files read for a request", () => {
  it("the settings page does not read a project's .claude/settings.json that links outside", async () => {
    const { api, dir } = await start();
    const settings = await api.settings.get();
    const acme = settings.hooks.find((h) => h.projectSlug === "acme")!;
    expect(acme).toMatchObject({ exists: true, events: [] });
    expect(acme.problem).toMatch(/links outside the project/);
    expect(JSON.stringify(settings)).not.toContain(SECRET);
    expect(acme.problem).not.toContain(dir);
  });

  it("a session's diff shows a link the agent made to a file outside as the link, never the file's content", async () => {
    const dir = tempDir();
    const repo = path.join(dir, "repo");
    write(path.join(dir, "outside", "passwd"), `root:x:0:0:${SECRET}\n`);
    write(path.join(repo, "README.md"), "hello\n");
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: repo, encoding: "utf8" }).trim();
    git("init", "-q");
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    const base = git("rev-parse", "HEAD");
    link(path.join(dir, "outside", "passwd"), path.join(repo, "leak"));

    const diff = sessionDiff({
      worktreePath: repo,
      worktreeRemovedAt: null,
      baseCommit: base,
      branch: null,
      branchCommit: null,
      projectPath: repo,
    });
    const leak = diff.files.find((f) => f.path === "leak")!;
    expect(leak.status).toBe("added");
    expect(leak.patch).toContain("new file mode 120000");
    expect(JSON.stringify(diff)).not.toContain(SECRET);
  });
});
