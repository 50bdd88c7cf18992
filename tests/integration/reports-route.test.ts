/**
 * POST /api/reports through the route handler itself (the HTTP edge's token/Origin checks are
 * covered by the security tests): status codes, JSON errors, the body limit.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { POST } from "@/app/api/reports/route";
import { readEnv } from "@/server/env";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { sharedPath } from "../support/shared";
import { repoRoot, tempDir } from "../support/temp";

const reports = sharedPath("playwright-sample", "reports");

async function start(extraEnv: Record<string, string> = {}) {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, "sample", "openspec"), { recursive: true });
  const config = path.join(dir, "config.json");
  fs.writeFileSync(config, JSON.stringify({ projects: [{ slug: "sample", path: path.join(dir, "sample") }] }));
  const env = { ...readEnv({ ...process.env, WORKDECK_DB: path.join(dir, "w.db"), WORKDECK_CONFIG: config, WORKDECK_LOG_LEVEL: "silent", ...extraEnv }), appRoot: repoRoot };
  return startRuntime(env, { watch: false });
}

const post = (query: string, body: BodyInit, headers: Record<string, string> = {}) =>
  POST(new Request(`http://127.0.0.1/api/reports${query}`, { method: "POST", body, headers, duplex: "half" } as RequestInit));

afterEach(() => stopRuntime());

describe("POST /api/reports", () => {
  it("201 with the ingest summary, 200 for the same report again", async () => {
    await start();
    const body = fs.readFileSync(path.join(reports, "run-1.json"));
    const res = await post("?project=sample&branch=main", body);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ projectSlug: "sample", seq: 1, tests: 32, duplicate: false, failuresNew: 8 });
    const again = await post("?project=sample", body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true, seq: 1 });
  });

  it("4xx JSON errors for a missing project, an unknown project, a bad report and 0 tests", async () => {
    await start();
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
    const runtime = await start({ WORKDECK_MAX_REPORT_BYTES: String(1024 * 1024) });
    expect(runtime.env.maxReportBytes).toBe(1024 * 1024);
    const declared = await post("?project=sample", new Uint8Array(16), { "content-length": String(200 * 1024 * 1024) });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { message: string } }).error.message).toMatch(/exceeds the limit/);

    const chunk = new Uint8Array(64 * 1024).fill(32);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 4 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const streamed = await post("?project=sample", stream);
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThan(4 * 1024 * 1024);
    const counts = runtime.db.$client.prepare("SELECT count(*) AS n FROM reports").get() as { n: number };
    expect(counts.n).toBe(0);
  });
});
