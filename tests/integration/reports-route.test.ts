/**
 * POST /api/reports through both doors: `workdeck serve`'s edge, which answers it before Next
 * (issue 12), and the Next route handler. Status codes, JSON errors, the body limit; at the edge,
 * token, Origin and Host checks as strict as for every other request.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { mintAgentToken } from "@/server/auth/credentials";
import { edgeServer, httpPost, reportPoster, streamedSpaces, TRANSPORTS, type Transport } from "../support/report-transport";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";
import { emptyProject, oneProjectEnv } from "../support/runtime-env";

const reports = sharedPath("playwright-sample", "reports");

async function start(extraEnv: Record<string, string> = {}) {
  const dir = tempDir();
  const project = emptyProject(dir, "sample");
  const { env } = oneProjectEnv(dir, { slug: "sample", path: project }, { env: extraEnv });
  return startRuntime(env, { watch: false });
}

afterEach(() => stopRuntime());

describe.each(TRANSPORTS)("POST /api/reports (%s)", (transport: Transport) => {
  let post: Awaited<ReturnType<typeof reportPoster>>;
  const open = async (extraEnv: Record<string, string> = {}) => {
    const runtime = await start(extraEnv);
    post = await reportPoster(runtime, transport);
    return runtime;
  };

  it("201 with the ingest summary, 200 for the same report again", async () => {
    await open();
    const body = fs.readFileSync(path.join(reports, "run-1.json"));
    const res = await post("?project=sample&branch=main", body);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ projectSlug: "sample", seq: 1, tests: 32, duplicate: false, failuresNew: 8 });
    const again = await post("?project=sample", body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true, seq: 1 });
  });

  it("4xx JSON errors for a missing project, an unknown project, a bad report and 0 tests", async () => {
    await open();
    const cases: [string, BodyInit, number, string][] = [
      ["", "{}", 400, "BAD_REQUEST"],
      ["?project=nope", fs.readFileSync(path.join(reports, "run-1.json")), 404, "NOT_FOUND"],
      ["?project=sample", fs.readFileSync(path.join(reports, "run-1.json")).subarray(0, 1000), 400, "BAD_REQUEST"],
      ["?project=sample", JSON.stringify({ config: {}, suites: [], errors: [] }), 422, "UNPROCESSABLE"],
      ["?project=sample&format=yaml", "{}", 400, "BAD_REQUEST"],
    ];
    for (const [query, body, status, code] of cases) {
      const res = await post(query, body);
      expect(res.status, query).toBe(status);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.code, query).toBe(code);
      expect(json.error.message.length).toBeGreaterThan(10);
    }
  });

  it("413 for a 200 MB body (declared), and for a streamed body over the limit", async () => {
    const runtime = await open({ WORKDECK_MAX_REPORT_BYTES: String(1024 * 1024) });
    expect(runtime.env.maxReportBytes).toBe(1024 * 1024);
    const declared = await post("?project=sample", new Uint8Array(16), { "content-length": String(200 * 1024 * 1024) });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { message: string } }).error.message).toMatch(/exceeds the limit/);

    const body = streamedSpaces(4 * 1024 * 1024, 64 * 1024);
    const streamed = await post("?project=sample", body.stream);
    expect(streamed.status).toBe(413);
    expect(body.sent()).toBeLessThan(4 * 1024 * 1024);
    const counts = runtime.db!.$client.prepare("SELECT count(*) AS n FROM reports").get() as { n: number };
    expect(counts.n).toBe(0);
  });
});

describe("POST /api/reports at the edge", () => {
  const TOKEN = "edge-test-token-0123456789abcdef";
  const sample = () => fs.readFileSync(path.join(reports, "run-1.json"));
  const stored = (runtime: Awaited<ReturnType<typeof start>>) =>
    (runtime.db!.$client.prepare("SELECT count(*) AS n FROM reports").get() as { n: number }).n;

  it("is as strict as every other request: no token 401, a wrong Origin 403, an agent token 403, a foreign Host 403; nothing stored", async () => {
    const runtime = await start({ WORKDECK_TOKEN: TOKEN });
    const url = await edgeServer(runtime);
    const post = (headers: Record<string, string>) => httpPost(`${url}/api/reports?project=sample`, sample(), headers);
    // An agent token (a running session's) reaches hook posts and MCP only.
    const sessionId = Number(
      runtime
        .db!.$client.prepare(
          "INSERT INTO sessions (session_type, status, project_slug, cwd, prompt, options, created_at) VALUES ('manual', 'running', 'sample', ?, 'p', '{}', ?)",
        )
        .run(repoRoot, Date.now()).lastInsertRowid,
    );
    const agentToken = await mintAgentToken(runtime.sqlStore, sessionId);
    const refusals: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: "Bearer wrong-token-0123456789abcdef" }, 401],
      [{ authorization: `Bearer ${TOKEN}`, origin: "http://evil.example" }, 403],
      [{ authorization: `Bearer ${TOKEN}`, "sec-fetch-site": "cross-site" }, 403],
      [{ authorization: `Bearer ${agentToken}` }, 403],
      [{ authorization: `Bearer ${TOKEN}`, host: "evil.example" }, 403],
    ];
    for (const [headers, status] of refusals) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).toBe(status);
      expect(((await res.json()) as { error: unknown }).error).toBeTruthy();
    }
    expect(stored(runtime)).toBe(0);
    const ok = await post({ authorization: `Bearer ${TOKEN}`, origin: url });
    expect(ok.status).toBe(201);
    expect(stored(runtime)).toBe(1);
  });

  it("refuses a body over the edge's own limit by its declared length before reading it", async () => {
    const runtime = await start();
    const url = await edgeServer(runtime);
    const res = await httpPost(`${url}/api/reports?project=sample`, new Uint8Array(16), { "content-length": String(300 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(stored(runtime)).toBe(0);
  });
});
