/**
 * Evidence on the failure page (issue 13 item 4): the sample's real report (written on CI, paths
 * under /ci/workspace/notes-app/test-results/…) is ingested into a project whose checkout holds
 * the same test-results/ files; errors.evidence lists them by position, GET /api/attachments/…
 * serves the reachable ones with their type, and never names a server path; a link out of the
 * project is not followed.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GET } from "@/app/api/attachments/[failureId]/[reportId]/[retry]/[index]/route";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { ingestReport } from "@/server/errors/ingest";
import { createCaller } from "@/server/trpc/root";
import { createContext } from "@/server/trpc/init";
import { sharedPath } from "../support/shared";
import { configEnv } from "../support/runtime-env";
import { tempDir } from "../support/temp";

afterEach(() => stopRuntime());

// A real 1×1 PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

const get = (failureId: number, reportId: number, retry: number, index: number) =>
  GET(new Request("http://127.0.0.1/api/attachments"), {
    params: Promise.resolve({ failureId: String(failureId), reportId: String(reportId), retry: String(retry), index: String(index) }),
  });

describe("failure evidence", () => {
  it("serves the report's screenshot and trace from the checkout by position, says which are unreachable, never names a path", async () => {
    const dir = tempDir();
    const project = path.join(dir, "sample");
    fs.mkdirSync(path.join(project, "openspec"), { recursive: true });
    const { env } = configEnv(dir, { projects: [{ slug: "sample", path: project }], editorUrl: "vscode://file/{path}:{line}:{column}" });
    const runtime = await startRuntime(env, { watch: false });
    const api = createCaller(createContext(runtime));

    // The real report, plus a trace on the desktop-chrome login failure (what `trace: 'retain-on-failure'` adds).
    const report = JSON.parse(fs.readFileSync(sharedPath("playwright-sample", "reports", "run-1.json"), "utf8"));
    const results: { attachments: { name: string; contentType: string; path: string }[] }[] = [];
    const walk = (s: { specs?: { title: string; tests: { projectName: string; results: typeof results }[] }[]; suites?: unknown[] }) => {
      for (const spec of s.specs ?? [])
        for (const t of spec.tests)
          if (spec.title.includes("locks account") && t.projectName === "desktop-chrome") results.push(...t.results);
      for (const c of s.suites ?? []) walk(c as typeof s);
    };
    report.suites.forEach(walk);
    const first = results[0]!;
    const shot = first.attachments.find((a) => a.name === "screenshot")!;
    const traceDir = path.posix.dirname(shot.path);
    first.attachments.push({ name: "trace", contentType: "application/zip", path: `${traceDir}/trace.zip` });
    ingestReport(runtime, { projectSlug: "sample", body: JSON.stringify(report) });

    // The checkout holds the first attempt's files; the retry's screenshot is not there.
    const tail = (p: string) => p.slice(p.lastIndexOf("/test-results/") + 1);
    fs.mkdirSync(path.join(project, path.dirname(tail(shot.path))), { recursive: true });
    fs.writeFileSync(path.join(project, tail(shot.path)), PNG);
    fs.writeFileSync(path.join(project, tail(`${traceDir}/trace.zip`)), Buffer.from("PK\x05\x06" + "\0".repeat(18), "binary"));

    const failure = (await api.errors.listFailures({ projectId: "sample" })).find(
      (f) => f.titlePath.at(-1)?.includes("locks account") && f.projectName === "desktop-chrome",
    )!;
    const { attachments: evidence, source } = await api.errors.evidence({ failureId: failure.id });
    expect(JSON.stringify(evidence)).not.toMatch(/\/ci\/|test-results|sample\//);
    // The failing line links to the checkout through the configured editor URL.
    expect(source).toEqual({
      file: "tests/e2e/login.spec.ts",
      line: 19,
      column: 58,
      href: `vscode://file/${project}/tests/e2e/login.spec.ts:19:58`,
    });
    const byName = (name: string, retry: number) => evidence.find((e) => e.name === name && e.retry === retry)!;
    expect(byName("screenshot", 0)).toMatchObject({ contentType: "image/png", reachable: true });
    expect(byName("trace", 0)).toMatchObject({ contentType: "application/zip", reachable: true });
    expect(byName("screenshot", 1)).toMatchObject({ reachable: false });

    const png = await get(failure.id, byName("screenshot", 0).reportId, 0, byName("screenshot", 0).index);
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    expect(png.headers.get("content-disposition")).toMatch(/^inline/);
    expect(Buffer.from(await png.arrayBuffer())).toEqual(PNG);
    const zip = await get(failure.id, byName("trace", 0).reportId, 0, byName("trace", 0).index);
    expect(zip.headers.get("content-disposition")).toBe('attachment; filename="trace.zip"');

    // Unreachable or unknown: 404 with a message that names no path.
    const missing = await get(failure.id, byName("screenshot", 1).reportId, 1, byName("screenshot", 1).index);
    expect(missing.status).toBe(404);
    const text = await missing.text();
    expect(text).toMatch(/not reachable from this server/);
    expect(text).not.toMatch(/\/ci\/|test-results|tmp/);
    expect((await get(failure.id, 999, 0, 0)).status).toBe(404);
    expect(
      (await GET(new Request("http://x"), { params: Promise.resolve({ failureId: "1", reportId: "..", retry: "0", index: "0" }) })).status,
    ).toBe(400);

    // The page's detail carries names and types, never the stored path.
    const detail = await api.errors.getFailure({ failureId: failure.id });
    const listed = detail.runs.flatMap((r) => r.attempts.flatMap((a) => a.attachments ?? []));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((a) => !("path" in a))).toBe(true);

    // A screenshot replaced by a link to a file outside the project is not served.
    const outside = path.join(dir, "secret.png");
    fs.writeFileSync(outside, PNG);
    fs.rmSync(path.join(project, tail(shot.path)));
    fs.symlinkSync(outside, path.join(project, tail(shot.path)));
    expect((await get(failure.id, byName("screenshot", 0).reportId, 0, byName("screenshot", 0).index)).status).toBe(404);
  });
});
