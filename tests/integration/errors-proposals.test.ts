/**
 * "Create spec proposal" from a failure: errors.proposalDraft pre-fills the New proposal form with
 * the failure's evidence, errors.createSpecProposal writes the OpenSpec change and links it
 * (error_triage.spec_change_id), errors.linkProposal links an existing change of the failure's
 * project. Through the tRPC caller over a real runtime (real openspec service, temp project).
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { WorkdeckEvent } from "@/lib/schemas/events";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { ingestReport } from "@/server/errors/ingest";
import { createCaller } from "@/server/trpc/root";
import { createContext } from "@/server/trpc/init";
import { sharedPath } from "../support/shared";
import { configEnv } from "../support/runtime-env";
import { tempDir } from "../support/temp";

const reports = sharedPath("playwright-sample", "reports");
const PDF = ["notes api", "POST /v1/notes/import accepts a PDF"];

async function start() {
  const dir = tempDir();
  for (const slug of ["sample", "other"]) fs.mkdirSync(path.join(dir, slug, "openspec", "changes"), { recursive: true });
  const { env } = configEnv(dir, { projects: ["sample", "other"].map((slug) => ({ slug, path: path.join(dir, slug) })) });
  const runtime = await startRuntime(env, { watch: false });
  for (const n of [1, 2, 3]) ingestReport(runtime, { projectSlug: "sample", body: fs.readFileSync(path.join(reports, `run-${n}.json`)) });
  const events: WorkdeckEvent[] = [];
  runtime.bus.on((e) => events.push(e));
  const api = createCaller(createContext(runtime));
  const failures = await api.errors.listFailures({ projectId: "sample" });
  const pdf = failures.find((f) => f.titlePath.join("|") === PDF.join("|") && f.projectName === "desktop-chrome")!;
  return { dir, runtime, api, events, pdf };
}

afterEach(() => stopRuntime());

describe("errors: spec proposals from failures", () => {
  it("proposalDraft pre-fills title, why (test, error, stack, history, rationale), what changes and tasks, and a /specs/new link", async () => {
    const { api, pdf } = await start();
    expect(pdf).toMatchObject({ pattern: "recurring", suggestedDecision: "needs_spec", specChangeId: null });
    const draft = await api.errors.proposalDraft({ failureId: pdf.id });
    expect(draft).toMatchObject({ failureId: pdf.id, projectId: "sample", specChangeId: null });
    expect(draft.title).toBe("Implement: POST /v1/notes/import accepts a PDF");
    expect(draft.description).toContain("integration/notes-api.spec.ts › notes api › POST /v1/notes/import accepts a PDF [desktop-chrome]");
    expect(draft.description).toMatch(/feature not implemented/i);
    expect(draft.description).toMatch(/Stack excerpt:\n\n {4}at /);
    expect(draft.description).toMatch(/Run history \(the project's last 3 runs, oldest first.*\): ✗ ✗ ✗/);
    expect(draft.description).toContain("Failed in runs 1–3");
    expect(draft.description).toContain(pdf.rationale);
    expect(draft.tasks).toHaveLength(3);
    expect(draft.whatChanges).toMatch(/^- Specify the behaviour/);
    // The link the UI opens: the form reads these query parameters.
    const url = new URL(draft.href, "http://x");
    expect(url.pathname).toBe("/specs/new");
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      project: "sample",
      title: draft.title,
      description: draft.description,
      tasks: draft.tasks.join("\n"),
      failureId: String(pdf.id),
    });
    expect(draft.href.length).toBeLessThanOrEqual(8000);
    await expect(api.errors.proposalDraft({ failureId: 999_999 })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("createSpecProposal writes the change, links it, publishes errors.triaged; getFailure returns specChangeId", async () => {
    const { dir, api, events, pdf } = await start();
    const created = await api.errors.createSpecProposal({ failureId: pdf.id, title: "Accept PDF imports" });
    expect(created).toMatchObject({
      projectSlug: "sample",
      changeId: "accept-pdf-imports",
      failure: { id: pdf.id, specChangeId: "accept-pdf-imports" },
    });
    const proposal = fs.readFileSync(path.join(dir, "sample", created.path, "proposal.md"), "utf8");
    expect(proposal).toMatch(/feature not implemented/i);
    expect(proposal).toContain("Run history");
    expect(fs.readFileSync(path.join(dir, "sample", created.path, "tasks.md"), "utf8")).toContain(`Workdeck failure #${pdf.id}`);
    expect((await api.errors.getFailure({ failureId: pdf.id })).specChangeId).toBe("accept-pdf-imports");
    expect(events.find((e) => e.type === "errors.triaged")).toMatchObject({ failureId: pdf.id, specChangeId: "accept-pdf-imports" });
    expect(events.map((e) => e.type)).toContain("openspec.proposalCreated");
    // A second proposal for the same failure is refused (unlink first).
    await expect(api.errors.createSpecProposal({ failureId: pdf.id, title: "Another one" })).rejects.toMatchObject({ code: "CONFLICT" });
    // A failure of a project whose change exists already: the openspec service's CONFLICT comes through, nothing linked.
    const other = (await api.errors.listFailures({ projectId: "sample" })).find((f) => f.id !== pdf.id)!;
    await expect(api.errors.createSpecProposal({ failureId: other.id, changeId: "accept-pdf-imports" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect((await api.errors.getFailure({ failureId: other.id })).specChangeId).toBeNull();
  });

  it("linkProposal validates that the change exists in the failure's project, and null unlinks", async () => {
    const { runtime, api, pdf } = await start();
    await runtime.openspec.createProposal({
      projectId: "sample",
      title: "Import PDFs",
      description: "Users need to import PDF notes, see failure.",
    });
    await runtime.openspec.createProposal({
      projectId: "other",
      title: "Elsewhere",
      description: "A change that lives in another project entirely.",
    });
    await expect(api.errors.linkProposal({ failureId: pdf.id, changeId: "elsewhere" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api.errors.linkProposal({ failureId: pdf.id, changeId: "../../etc" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect((await api.errors.getFailure({ failureId: pdf.id })).specChangeId).toBeNull();
    expect(await api.errors.linkProposal({ failureId: pdf.id, changeId: "import-pdfs" })).toMatchObject({ specChangeId: "import-pdfs" });
    expect((await api.errors.proposalDraft({ failureId: pdf.id })).specChangeId).toBe("import-pdfs");
    expect(await api.errors.linkProposal({ failureId: pdf.id, changeId: null })).toMatchObject({ specChangeId: null });
  });
});
