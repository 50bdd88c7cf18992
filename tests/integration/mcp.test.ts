/**
 * Workdeck's MCP server driven by the SDK's own Client: `workdeck mcp` over stdio (the real CLI
 * entry in a child process) and `/api/mcp` over Streamable HTTP (serve's edge with its token and
 * origin checks, on a real runtime). Both on a temp database holding ingested Playwright reports
 * and temp projects: tools are listed, a proposal is filed (on disk, valid for the official
 * OpenSpec CLI), a failure is triaged, bad input comes back as a tool error.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { afterEach, describe, expect, it } from "vitest";
import { mintAgentToken } from "@/server/auth/credentials";
import { sessions } from "@/server/db/schema";
import { readEnv } from "@/server/env";
import { ingestReport } from "@/server/errors/ingest";
import { listFailures, getFailure } from "@/server/errors/service";
import type { Runtime } from "@/server/runtime";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { sharedPath } from "../support/shared";
import { listenLoopback, testEdge } from "../support/edge";
import { repoRoot, tempDir } from "../support/temp";

const OFFICIAL_OPENSPEC = path.join(repoRoot, "node_modules/@fission-ai/openspec/bin/openspec.js");
const reports = sharedPath("playwright-sample", "reports");
const TOKEN = "mcp-test-token-0123456789abcdef";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await stopRuntime();
});

type World = { dir: string; runtime: Runtime; env: Record<string, string>; failureId: number };

/** Two projects with openspec/ folders, three ingested reports of "sample", a runtime on the database. */
async function world(): Promise<World> {
  const dir = tempDir("workdeck-mcp-");
  for (const slug of ["sample", "other"]) fs.mkdirSync(path.join(dir, slug, "openspec", "changes"), { recursive: true });
  const config = path.join(dir, "config.json");
  fs.writeFileSync(config, JSON.stringify({ projects: ["sample", "other"].map((slug) => ({ slug, path: path.join(dir, slug) })) }));
  const env = { WORKDECK_DB: path.join(dir, "w.db"), WORKDECK_CONFIG: config, WORKDECK_LOG_LEVEL: "silent", WORKDECK_TOKEN: TOKEN };
  const runtime = await startRuntime({ ...readEnv({ ...process.env, ...env }), appRoot: repoRoot }, { watch: false });
  for (const n of [1, 2, 3]) ingestReport(runtime, { projectSlug: "sample", body: fs.readFileSync(path.join(reports, `run-${n}.json`)) });
  const failureId = (await listFailures(runtime, { projectId: "sample" }))[0]!.id;
  return { dir, runtime, env, failureId };
}

/** serve's edge (token, Host, Origin) with /api/mcp, Next never prepared. */
async function edge(runtime: Runtime): Promise<string> {
  const { url, close } = await listenLoopback(testEdge(runtime, { mcp: runtime }, TOKEN));
  cleanups.push(close);
  return url;
}

async function connect(transport: Transport): Promise<Client> {
  const client = new Client({ name: "workdeck-test", version: "1.0.0" });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

const transports: Record<string, (w: World) => Promise<Client>> = {
  "stdio (workdeck mcp)": (w) =>
    connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [path.join(repoRoot, "bin/workdeck.mjs"), "mcp"],
        cwd: repoRoot,
        env: { ...(process.env as Record<string, string>), ...w.env, NEXT_TELEMETRY_DISABLED: "1" },
        stderr: "pipe",
      }),
    ),
  "Streamable HTTP (/api/mcp)": async (w) =>
    connect(
      new StreamableHTTPClientTransport(new URL(`${await edge(w.runtime)}/api/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    ),
};

type ToolAnswer = { isError?: boolean; content: { type: string; text?: string }[] };
const text = (r: unknown) => (r as ToolAnswer).content.map((c) => c.text ?? "").join("");
const json = (r: unknown) => JSON.parse(text(r)) as Record<string, unknown>;

describe.each(Object.keys(transports))("Workdeck MCP over %s", (name) => {
  const open = transports[name]!;

  it("lists the tools with the routers' input schemas and the resources", async () => {
    const w = await world();
    const client = await open(w);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const tool of [
      "list_work",
      "get_failure",
      "list_changes",
      "show_change",
      "create_proposal",
      "triage_failure",
      "start_session",
      "add_dependency",
    ])
      expect(names).toContain(tool);
    const create = tools.find((t) => t.name === "create_proposal")!;
    expect(create.inputSchema.required).toEqual(expect.arrayContaining(["projectId", "title", "description"]));
    const triage = tools.find((t) => t.name === "triage_failure")!;
    expect((triage.inputSchema.properties as Record<string, { enum?: string[] }>).decision!.enum).toEqual([
      "needs_spec",
      "one_off_fix",
      "ignore",
      "pending",
    ]);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(`workdeck://failures/${w.failureId}`);
    const read = await client.readResource({ uri: `workdeck://failures/${w.failureId}` });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ id: w.failureId, projectSlug: "sample" });
  });

  it("files a proposal that is on disk and valid for the official OpenSpec CLI, and shows it", async () => {
    const w = await world();
    const client = await open(w);
    const answer = await client.callTool({
      name: "create_proposal",
      arguments: {
        projectId: "sample",
        title: "Export notes as CSV",
        description: "People need their notes in a spreadsheet for the monthly report.",
        whatChanges: "- Add a CSV export of notes",
        tasks: ["Add the export endpoint", "Link it from the notes page"],
      },
    });
    expect(answer.isError).toBeFalsy();
    expect(json(answer)).toMatchObject({
      projectSlug: "sample",
      changeId: "export-notes-as-csv",
      link: "/specs/sample/changes/export-notes-as-csv",
    });
    const folder = path.join(w.dir, "sample", "openspec", "changes", "export-notes-as-csv");
    expect(fs.readFileSync(path.join(folder, "proposal.md"), "utf8")).toContain("People need their notes in a spreadsheet");
    expect(fs.readFileSync(path.join(folder, "tasks.md"), "utf8")).toContain("Add the export endpoint");
    // OpenSpec wants a delta per change: the agent adds one, then the official validator agrees.
    const delta = await client.callTool({
      name: "add_spec_delta",
      arguments: {
        projectId: "sample",
        changeId: "export-notes-as-csv",
        capability: "notes-export",
        requirements: [
          {
            name: "CSV export",
            text: "The system SHALL export a person's notes as CSV.",
            scenarios: [{ name: "Export", steps: ["**WHEN** a person exports their notes", "**THEN** they get a CSV file"] }],
          },
        ],
      },
    });
    expect(delta.isError).toBeFalsy();
    expect(fs.readFileSync(path.join(folder, "specs", "notes-export", "spec.md"), "utf8")).toMatch(
      /^## ADDED Requirements\n\n### Requirement: CSV export\n/,
    );
    const again = await client.callTool({
      name: "add_spec_delta",
      arguments: {
        projectId: "sample",
        changeId: "export-notes-as-csv",
        capability: "notes-export",
        requirements: [{ name: "Other", text: "It SHALL differ.", scenarios: [{ name: "x", steps: ["y"] }] }],
      },
    });
    expect(again.isError).toBe(true);
    expect(text(again)).toMatch(/already has a delta/);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [OFFICIAL_OPENSPEC, "validate", "export-notes-as-csv", "--json", "--no-interactive"],
      { cwd: path.join(w.dir, "sample") },
    ).catch((e: { stdout: string }) => e);
    expect(JSON.parse(stdout).items[0]).toMatchObject({ id: "export-notes-as-csv", valid: true });
    // In one call: the proposal with its delta.
    const whole = await client.callTool({
      name: "create_proposal",
      arguments: {
        projectId: "sample",
        title: "Import notes from CSV",
        description: "People move from other tools with their notes in CSV files.",
        specDeltas: [
          {
            capability: "notes-import",
            operations: [
              {
                op: "ADDED",
                requirement: {
                  name: "CSV import",
                  text: "The system SHALL import notes from a CSV file.",
                  scenarios: [{ name: "Import", steps: ["**WHEN** a person uploads a CSV", "**THEN** each row becomes a note"] }],
                },
              },
            ],
          },
        ],
      },
    });
    expect(whole.isError, text(whole)).toBeFalsy();
    const both = await promisify(execFile)(
      process.execPath,
      [OFFICIAL_OPENSPEC, "validate", "import-notes-from-csv", "--json", "--no-interactive"],
      { cwd: path.join(w.dir, "sample") },
    ).catch((e: { stdout: string }) => e);
    expect(JSON.parse(both.stdout).items[0]).toMatchObject({ id: "import-notes-from-csv", valid: true });
    const shown = json(await client.callTool({ name: "show_change", arguments: { projectId: "sample", changeId: "export-notes-as-csv" } }));
    expect(shown).toMatchObject({ id: "export-notes-as-csv", title: "Export notes as CSV" });
    // The failure blocks the change; the reverse would be a cycle.
    const change = { kind: "spec", projectId: "sample", changeId: "export-notes-as-csv" };
    const failure = { kind: "error", failureId: w.failureId };
    const dep = await client.callTool({ name: "add_dependency", arguments: { blocker: failure, blocked: change } });
    expect(dep.isError).toBeFalsy();
    const cycle = await client.callTool({ name: "add_dependency", arguments: { blocker: change, blocked: failure } });
    expect(cycle.isError).toBe(true);
    expect(text(cycle)).toMatch(/cycle/);
    const listed = JSON.parse(text(await client.callTool({ name: "list_changes", arguments: { projectId: "sample" } }))) as {
      id: string;
    }[];
    expect(listed.map((c) => c.id)).toContain("export-notes-as-csv");
  });

  it("triages a failure: the decision is stored as a human one", async () => {
    const w = await world();
    const client = await open(w);
    const answer = await client.callTool({
      name: "triage_failure",
      arguments: { failureId: w.failureId, decision: "ignore", rationale: "Known flake in the CI image", priority: 2 },
    });
    expect(answer.isError).toBeFalsy();
    expect(json(answer)).toMatchObject({ id: w.failureId, decision: "ignore", priority: 2 });
    expect(await getFailure(w.runtime, { failureId: w.failureId })).toMatchObject({ decision: "ignore", reviewedByHuman: true });
    expect(json(await client.callTool({ name: "get_failure", arguments: { failureId: w.failureId } }))).toMatchObject({
      id: w.failureId,
      decision: "ignore",
    });
  });

  it("creates a sub-agent and a skill in the project's .claude folder, and edits one only with its version", async () => {
    const w = await world();
    const client = await open(w);
    const fields = { name: "triager", description: "Triages new Playwright failures.", tools: ["Read"], prompt: "You triage failures." };
    const saved = await client.callTool({ name: "save_agent", arguments: { projectId: "sample", version: null, fields } });
    expect(saved.isError).toBeFalsy();
    expect(fs.readFileSync(path.join(w.dir, "sample", ".claude", "agents", "triager.md"), "utf8")).toContain(
      "description: Triages new Playwright failures.",
    );
    const stale = await client.callTool({
      name: "save_agent",
      arguments: { projectId: "sample", version: "0".repeat(64), fields: { ...fields, prompt: "Overwrite?" } },
    });
    expect(stale.isError).toBe(true);
    expect(text(stale)).toMatch(/changed on disk/);
    const skill = await client.callTool({
      name: "save_skill",
      arguments: {
        projectId: "sample",
        version: null,
        fields: { name: "triage-rules", description: "Workdeck's triage rules.", body: "Persistent failures need a spec." },
      },
    });
    expect(skill.isError).toBeFalsy();
    expect(fs.existsSync(path.join(w.dir, "sample", ".claude", "skills", "triage-rules", "SKILL.md"))).toBe(true);
    const listed = JSON.parse(text(await client.callTool({ name: "list_agents", arguments: { projectId: "sample" } }))) as {
      name: string;
      problems: string[];
    }[];
    expect(listed).toEqual([expect.objectContaining({ name: "triager", problems: [] })]);
  });

  it("answers bad input with a tool error and changes nothing", async () => {
    const w = await world();
    const client = await open(w);
    const before = await getFailure(w.runtime, { failureId: w.failureId });
    const badDecision = await client.callTool({
      name: "triage_failure",
      arguments: { failureId: w.failureId, decision: "delete_everything" },
    });
    expect(badDecision.isError).toBe(true);
    expect(text(badDecision)).toMatch(/decision/);
    const shortWhy = await client.callTool({
      name: "create_proposal",
      arguments: { projectId: "sample", title: "Too short", description: "short" },
    });
    expect(shortWhy.isError).toBe(true);
    expect(text(shortWhy)).toMatch(/at least 20 characters/);
    const unknownProject = await client.callTool({
      name: "create_proposal",
      arguments: { projectId: "nope", title: "Lost proposal", description: "This project does not exist anywhere at all." },
    });
    expect(unknownProject.isError).toBe(true);
    expect(text(unknownProject)).toMatch(/nope/);
    expect(text(unknownProject)).not.toContain(w.dir);
    const missing = await client.callTool({ name: "get_failure", arguments: { failureId: 999_999 } });
    expect(missing.isError).toBe(true);
    expect((await getFailure(w.runtime, { failureId: w.failureId })).decision).toBe(before.decision);
    expect(fs.readdirSync(path.join(w.dir, "sample", "openspec", "changes"))).toEqual([]);
    // The connection survives every refusal.
    expect((await client.listTools()).tools.length).toBeGreaterThan(5);
  });
});

describe("/api/mcp access", () => {
  it("needs the token, refuses a foreign Origin, and keeps an agent token to its session's project", async () => {
    const w = await world();
    const url = await edge(w.runtime);
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    };
    const post = (headers: Record<string, string>) =>
      fetch(`${url}/api/mcp`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
        body: JSON.stringify(init),
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    expect((await post({ authorization: `Bearer ${TOKEN}`, origin: "http://evil.example" })).status).toBe(403);
    expect((await post({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);

    // A running session of "sample" with its run's agent token.
    const row = w.runtime
      .db!.insert(sessions)
      .values({
        sessionType: "manual",
        status: "running",
        projectSlug: "sample",
        cwd: path.join(w.dir, "sample"),
        prompt: "p",
        options: {},
        createdAt: new Date(),
      })
      .returning({ id: sessions.id })
      .get();
    const agentToken = await mintAgentToken(w.runtime.sqlStore, row.id);
    const client = await connect(
      new StreamableHTTPClientTransport(new URL(`${url}/api/mcp`), { requestInit: { headers: { authorization: `Bearer ${agentToken}` } } }),
    );
    const foreign = await client.callTool({
      name: "create_proposal",
      arguments: { projectId: "other", title: "Reach across", description: "An agent of sample must not write into other." },
    });
    expect(foreign.isError).toBe(true);
    expect(text(foreign)).toMatch(/scoped to project "sample"/);
    expect(fs.readdirSync(path.join(w.dir, "other", "openspec", "changes"))).toEqual([]);
    const own = await client.callTool({
      name: "create_proposal",
      arguments: { projectId: "sample", title: "Stay at home", description: "An agent of sample files into its own project." },
    });
    expect(own.isError).toBeFalsy();
    const work = JSON.parse(text(await client.callTool({ name: "list_work", arguments: {} }))) as { projectSlug: string }[];
    expect(work.length).toBeGreaterThan(0);
    expect(new Set(work.map((i) => i.projectSlug))).toEqual(new Set(["sample"]));
    // A URL asking for another project does not widen an agent token.
    expect((await post({ authorization: `Bearer ${agentToken}` })).status).toBe(200);
    const widened = await fetch(`${url}/api/mcp?project=other`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${agentToken}` },
      body: JSON.stringify(init),
    });
    expect(widened.status).toBe(403);
    // The run ends: its token no longer reaches MCP.
    w.runtime.db!.update(sessions).set({ status: "completed" }).run();
    expect((await post({ authorization: `Bearer ${agentToken}` })).status).toBe(401);
  });
});
