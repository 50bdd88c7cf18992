/**
 * Proposals that validate (issue 13 item 1), through the tRPC caller over a real runtime and a
 * copy of the demo workspace: a proposal with capability deltas creates a change the Specs tab's
 * validator accepts; the live check reports field and validator errors; MODIFIED prefills from the
 * current spec; a proposal from a failure validates too; the change editor reads with a version,
 * writes under the lock, refuses a stale version with 409; tasks tick from the change page.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { ingestReport } from "@/server/errors/ingest";
import { createCaller } from "@/server/trpc/root";
import { createContext } from "@/server/trpc/init";
import { sharedPath } from "../support/shared";
import { configEnv } from "../support/runtime-env";
import { tempDemoWorkspace, tempDir } from "../support/temp";

afterEach(() => stopRuntime());

async function start() {
  const workspace = tempDemoWorkspace();
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, "sample", "openspec", "changes"), { recursive: true });
  const { env } = configEnv(dir, { scan: [workspace], projects: [{ slug: "sample", path: path.join(dir, "sample") }] });
  const runtime = await startRuntime(env, { watch: false });
  return { runtime, api: createCaller(createContext(runtime)), workspace, dir };
}

const scenario = {
  name: "Refund issued",
  steps: ["**WHEN** a refund is requested within 30 days", "**THEN** the payment is refunded in full"],
};

describe("proposals with capability deltas", () => {
  it("a proposal with ADDED / MODIFIED / REMOVED / RENAMED deltas creates a change that validates like the Specs tab says", async () => {
    const { api, workspace } = await start();
    const current = await api.openspec.specRequirements({ projectId: "billing-api", specId: "customers" });
    const profile = current.requirements.find((r) => r.name === "Customer Profile")!;
    expect(profile.scenarios.map((s) => s.name)).toEqual(["Billing email updated", "Stripe is unavailable"]);
    expect(profile.scenarios[0]!.steps[0]).toBe("**WHEN** a customer changes their billing email in the account settings");

    const input = {
      projectId: "billing-api",
      title: "Refunds and customer cleanup",
      description: "Customers ask for refunds by email today; the billing team wants it in the product.",
      tasks: ["Add the refund endpoint", "Update the customer profile sync"],
      specDeltas: [
        {
          capability: "refunds",
          operations: [
            {
              op: "ADDED" as const,
              requirement: {
                name: "Full refund",
                text: "The system SHALL refund a payment in full within 30 days.",
                scenarios: [scenario],
              },
            },
          ],
        },
        {
          capability: "customers",
          operations: [
            // MODIFIED restates the requirement whole, prefilled from the spec, with one more step.
            {
              op: "MODIFIED" as const,
              requirement: {
                ...profile,
                scenarios: profile.scenarios.map((s, i) => (i === 0 ? { ...s, steps: [...s.steps, "**AND** the change is logged"] } : s)),
              },
            },
            { op: "REMOVED" as const, name: "Legacy VAT Number Field", reason: "Replaced by tax ids", migration: "Use the tax id field" },
            { op: "RENAMED" as const, from: "Billing Address", to: "Invoice Address" },
          ],
        },
      ],
    };
    const live = await api.openspec.validateProposal(input);
    expect(live).toMatchObject({ valid: true, errors: 0, changeId: "refunds-and-customer-cleanup" });

    const created = await api.openspec.createProposal(input);
    const root = path.join(workspace, "billing-api", "openspec", "changes", created.changeId);
    expect(fs.readFileSync(path.join(root, "specs", "refunds", "spec.md"), "utf8")).toBe(
      "## ADDED Requirements\n\n### Requirement: Full refund\n\nThe system SHALL refund a payment in full within 30 days.\n\n#### Scenario: Refund issued\n\n- **WHEN** a refund is requested within 30 days\n- **THEN** the payment is refunded in full\n",
    );
    const delta = fs.readFileSync(path.join(root, "specs", "customers", "spec.md"), "utf8");
    expect(delta).toMatch(/^## MODIFIED Requirements\n\n### Requirement: Customer Profile\n/);
    expect(delta).toContain(
      "## REMOVED Requirements\n\n### Requirement: Legacy VAT Number Field\n\n**Reason**: Replaced by tax ids\n**Migration**: Use the tax id field",
    );
    expect(delta).toContain(
      "## RENAMED Requirements\n\n- FROM: `### Requirement: Billing Address`\n- TO: `### Requirement: Invoice Address`",
    );
    // The same validator the Specs tab runs, on the files as written.
    const validation = await api.openspec.validateChange({ projectId: "billing-api", changeId: created.changeId });
    expect(validation).toMatchObject({ valid: true, errors: 0 });
    const shown = await api.openspec.showChange({ projectId: "billing-api", changeId: created.changeId });
    expect(shown.deltas.map((d) => `${d.spec}:${d.operation}`).sort()).toEqual([
      "customers:MODIFIED",
      "customers:REMOVED",
      "customers:RENAMED",
      "refunds:ADDED",
    ]);
  });

  it("the live check names field errors and validator errors; an invalid draft is refused and writes nothing", async () => {
    const { api, workspace } = await start();
    const base = { projectId: "billing-api", title: "Partial refunds", description: "Support asks for partial refunds every week now." };
    const noShall = await api.openspec.validateProposal({
      ...base,
      specDeltas: [
        {
          capability: "refunds",
          operations: [{ op: "ADDED", requirement: { name: "Partial", text: "Refunds can be partial.", scenarios: [scenario] } }],
        },
      ],
    });
    expect(noShall.valid).toBe(false);
    expect(noShall.issues).toContainEqual(
      expect.objectContaining({ path: "specDeltas.0.operations.0.requirement.text", message: "A requirement's text says SHALL or MUST" }),
    );
    const noScenario = await api.openspec.validateProposal({
      ...base,
      specDeltas: [
        {
          capability: "refunds",
          operations: [{ op: "ADDED", requirement: { name: "Partial", text: "Refunds SHALL be partial.", scenarios: [] } }],
        },
      ],
    });
    expect(noScenario.issues.map((i) => i.message)).toContain("Each requirement needs at least one scenario");

    // Well-formed but contradictory: the parser's rules catch it (MODIFIED and REMOVED of one requirement).
    const clash = {
      ...base,
      specDeltas: [
        {
          capability: "customers",
          operations: [
            {
              op: "MODIFIED" as const,
              requirement: { name: "Billing Address", text: "Every customer MUST have a billing address.", scenarios: [scenario] },
            },
            { op: "REMOVED" as const, name: "Billing Address" },
          ],
        },
      ],
    };
    const checked = await api.openspec.validateProposal(clash);
    expect(checked.valid).toBe(false);
    expect(checked.issues.some((i) => i.level === "ERROR" && /Billing Address/.test(i.message))).toBe(true);
    await expect(api.openspec.createProposal(clash)).rejects.toMatchObject({ code: "UNPROCESSABLE_CONTENT" });
    expect(fs.existsSync(path.join(workspace, "billing-api", "openspec", "changes", "partial-refunds"))).toBe(false);
    // The old form without deltas still works (the MCP tools add one afterwards), and is reported invalid as before.
    const bare = await api.openspec.validateProposal(base);
    expect(bare.issues.some((i) => /at least one delta/i.test(i.message))).toBe(true);
  });

  it("a spec proposal from a failure carries a delta and validates", async () => {
    const { api, runtime } = await start();
    const reports = sharedPath("playwright-sample", "reports");
    for (const n of [1, 2, 3]) ingestReport(runtime, { projectSlug: "sample", body: fs.readFileSync(path.join(reports, `run-${n}.json`)) });
    const failure = (await api.errors.listFailures({ projectId: "sample" })).find(
      (f) => f.titlePath.at(-1) === "POST /v1/notes/import accepts a PDF",
    )!;
    const draft = await api.errors.proposalDraft({ failureId: failure.id });
    expect(draft.specDeltas).toEqual([
      expect.objectContaining({
        capability: "notes-api",
        operations: [
          expect.objectContaining({ op: "ADDED", requirement: expect.objectContaining({ text: expect.stringMatching(/SHALL/) }) }),
        ],
      }),
    ]);
    const created = await api.errors.createSpecProposal({ failureId: failure.id });
    expect(await api.openspec.validateChange({ projectId: "sample", changeId: created.changeId })).toMatchObject({
      valid: true,
      errors: 0,
    });
  });
});

describe("the change editor", () => {
  it("reads with a version, writes under the lock, refuses a file changed on disk since it was opened (409), and ticks tasks", async () => {
    const { api, workspace } = await start();
    const ref = { projectId: "billing-api", changeId: "add-dunning-for-failed-payments" };
    const dir = path.join(workspace, "billing-api", "openspec", "changes", ref.changeId);

    const opened = await api.openspec.readChangeFile({ ...ref, file: "proposal.md" });
    expect(opened.content).toBe(fs.readFileSync(path.join(dir, "proposal.md"), "utf8"));
    const edited = `${opened.content}\nEdited in Workdeck.\n`;
    const saved = await api.openspec.writeChangeFile({ ...ref, file: "proposal.md", content: edited, version: opened.version });
    expect(fs.readFileSync(path.join(dir, "proposal.md"), "utf8")).toBe(edited);
    expect(saved.version).not.toBe(opened.version);

    // Someone else (an agent, an editor) rewrites it: the stale version is refused, their text kept.
    fs.writeFileSync(path.join(dir, "proposal.md"), "# Theirs\n");
    await expect(
      api.openspec.writeChangeFile({ ...ref, file: "proposal.md", content: "mine", version: saved.version }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/proposal\.md changed on disk since you opened it/),
    });
    expect(fs.readFileSync(path.join(dir, "proposal.md"), "utf8")).toBe("# Theirs\n");

    // A delta spec not there yet: version "absent" creates it; a second create with "absent" is a conflict.
    const delta = await api.openspec.readChangeFile({ ...ref, file: "specs/notices/spec.md" });
    expect(delta).toMatchObject({ exists: false, version: "absent", content: "" });
    const deltaText =
      "## ADDED Requirements\n\n### Requirement: Notice\n\nThe system SHALL send a notice.\n\n#### Scenario: Sent\n\n- **WHEN** x\n- **THEN** y\n";
    await api.openspec.writeChangeFile({ ...ref, file: "specs/notices/spec.md", content: deltaText, version: "absent" });
    expect(fs.readFileSync(path.join(dir, "specs", "notices", "spec.md"), "utf8")).toBe(deltaText);
    await expect(
      api.openspec.writeChangeFile({ ...ref, file: "specs/notices/spec.md", content: "x", version: "absent" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });

    // A path outside the four kinds is refused before any read.
    await expect(api.openspec.readChangeFile({ ...ref, file: "../../../package.json" as "proposal.md" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(api.openspec.readChangeFile({ ...ref, changeId: "nope", file: "proposal.md" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });

    // Ticking: by line and text as the page showed them.
    const before = await api.openspec.showChange(ref);
    const open = before.tasks.find((t) => !t.done)!;
    const ticked = await api.openspec.setTaskDone({ ...ref, line: open.line, text: open.text, done: true });
    expect(ticked).toEqual({ completedTasks: before.completedTasks + 1, totalTasks: before.totalTasks });
    const after = await api.openspec.showChange(ref);
    expect(after.tasks.find((t) => t.line === open.line)!.done).toBe(true);
    const unticked = await api.openspec.setTaskDone({ ...ref, line: open.line, text: open.text, done: false });
    expect(unticked.completedTasks).toBe(before.completedTasks);
    await expect(api.openspec.setTaskDone({ ...ref, line: open.line, text: "some other task", done: true })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });
});
