import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { DependencyInputSchema, type WorkItemRef } from "@/lib/schemas/dependencies";
import {
  CreateSpecProposalInputSchema,
  FailureIdInputSchema,
  ListFailuresInputSchema,
  TriageFailureInputSchema,
} from "@/lib/schemas/errors";
import {
  AddSpecDeltaInputSchema,
  ChangeRefInputSchema,
  CreateProposalInputSchema,
  ListChangesInputSchema,
  ListSpecsInputSchema,
  SpecRefInputSchema,
} from "@/lib/schemas/openspec";
import { SessionIdInputSchema, StartSessionInputSchema } from "@/lib/schemas/sessions";
import { changeItemHref, failureHref, ListAllInputSchema, sessionHref, WorkFilterSchema } from "@/lib/schemas/work";
import { isAppError } from "../app-error";
import { addDependency, removeDependency } from "../dependencies/service";
import * as errors from "../errors/service";
import { addSpecDelta } from "../specs/deltas";
import type { Runtime } from "../runtime";
import * as work from "../work/service";
import { registerClaudeConfigTools } from "./claude-tools";
import { assertInScope, scopedProject, type McpScope } from "./scope";

/**
 * Workdeck's MCP tools. Each one validates with the schema its tRPC procedure uses (lib/schemas;
 * the SDK parses the arguments with it before the handler runs, and a failed parse comes back as
 * a tool error) and calls the same service function the router calls, so an agent and the UI
 * can never disagree about what a call means. Errors are tool results with `isError: true`: the
 * model reads them and can correct itself; nothing throws through to the transport.
 */

type ToolDeps = Pick<Runtime, "sqlStore" | "bus" | "projects" | "openspec" | "sessions" | "config" | "log">;

export function registerTools(server: McpServer, deps: ToolDeps, scope: McpScope): void {
  const run = (fn: () => unknown): Promise<CallToolResult> => runTool(deps, fn);

  server.registerTool(
    "list_work",
    {
      title: "List work",
      description:
        "Everything in Workdeck in one list (OpenSpec changes, Playwright failure groups, launched sessions, agents), what needs a person first, then by priority. Optional filter by project, type, status or text.",
      // The router's input without the date bounds (JSON Schema has no dates; the SDK describes every field).
      inputSchema: ListAllInputSchema.extend({ filter: WorkFilterSchema.omit({ from: true, to: true }).optional() }),
      annotations: { readOnlyHint: true },
    },
    (input) => run(() => work.listAll(deps, { ...input, projectId: scopedProject(scope, input.projectId) })),
  );

  server.registerTool(
    "list_failures",
    {
      title: "List failures",
      description:
        "Playwright failure groups (a test + a normalised error) with pattern, suggested and human decision, priority and occurrences.",
      // Without from/to, like list_work.
      inputSchema: ListFailuresInputSchema.omit({ from: true, to: true }),
      annotations: { readOnlyHint: true },
    },
    (input) => run(() => errors.listFailures(deps, { ...input, projectId: scopedProject(scope, input.projectId) })),
  );

  server.registerTool(
    "get_failure",
    {
      title: "Get a failure",
      description: "One failure group with its history: recent runs, per-attempt errors, triage, heuristics, linked change and session.",
      inputSchema: FailureIdInputSchema,
      annotations: { readOnlyHint: true },
    },
    (input) =>
      run(async () => {
        const failure = await errors.getFailure(deps, input);
        assertInScope(scope, failure.projectSlug, `Failure #${failure.id}`);
        return { ...failure, link: failureHref(failure.id) };
      }),
  );

  server.registerTool(
    "triage_failure",
    {
      title: "Triage a failure",
      description:
        "Records a decision for a failure group: needs_spec (behaviour to specify: file a proposal), one_off_fix (a remediation session), ignore, or pending. Optional rationale and priority 1-5.",
      inputSchema: TriageFailureInputSchema,
    },
    (input) =>
      run(async () => {
        await inScopeFailure(deps, scope, input.failureId);
        return errors.triageFailure(deps, input);
      }),
  );

  server.registerTool(
    "list_changes",
    {
      title: "List OpenSpec changes",
      description: "OpenSpec change proposals read from disk, per project, with task progress and validation state.",
      inputSchema: ListChangesInputSchema,
      annotations: { readOnlyHint: true },
    },
    (input) => run(() => deps.openspec.listChanges({ ...input, projectId: scopedProject(scope, input.projectId) })),
  );

  server.registerTool(
    "show_change",
    {
      title: "Show an OpenSpec change",
      description: "One change: proposal, tasks, design and its spec deltas.",
      inputSchema: ChangeRefInputSchema,
      annotations: { readOnlyHint: true },
    },
    (input) =>
      run(async () => {
        scopedProject(scope, input.projectId);
        return { ...(await deps.openspec.showChange(input)), link: changeItemHref(input.projectId, input.changeId) };
      }),
  );

  server.registerTool(
    "list_specs",
    {
      title: "List OpenSpec specs",
      description: "The project's current specs (capabilities) with their requirement counts.",
      inputSchema: ListSpecsInputSchema,
      annotations: { readOnlyHint: true },
    },
    (input) => run(() => deps.openspec.listSpecs({ projectId: scopedProject(scope, input.projectId) })),
  );

  server.registerTool(
    "show_spec",
    {
      title: "Show an OpenSpec spec",
      description: "One spec with its requirements and scenarios.",
      inputSchema: SpecRefInputSchema,
      annotations: { readOnlyHint: true },
    },
    (input) =>
      run(() => {
        scopedProject(scope, input.projectId);
        return deps.openspec.showSpec(input);
      }),
  );

  server.registerTool(
    "create_proposal",
    {
      title: "Create an OpenSpec proposal",
      description:
        "Files a new OpenSpec change (proposal.md, tasks.md) in the project's openspec/changes folder: a title, why (description, 20+ characters), optionally what changes, impact and tasks. The change id is derived from the title unless given. OpenSpec wants at least one spec delta per change: give specDeltas (capability + ADDED/MODIFIED/REMOVED/RENAMED requirements; a draft that would not validate is refused), or add one later with add_spec_delta.",
      inputSchema: CreateProposalInputSchema,
    },
    (input) =>
      run(async () => {
        scopedProject(scope, input.projectId);
        const created = await deps.openspec.createProposal(input);
        // Not the server's path: the agent addresses the change by project and id.
        return {
          projectSlug: created.projectSlug,
          changeId: created.changeId,
          link: changeItemHref(created.projectSlug, created.changeId),
        };
      }),
  );

  server.registerTool(
    "add_spec_delta",
    {
      title: "Add a spec delta to a change",
      description:
        "Adds openspec/changes/<changeId>/specs/<capability>/spec.md with ADDED requirements (text with SHALL or MUST, at least one scenario each, steps like '**WHEN** ...', '**THEN** ...'). Never overwrites an existing delta.",
      inputSchema: AddSpecDeltaInputSchema,
    },
    (input) =>
      run(() => {
        scopedProject(scope, input.projectId);
        return addSpecDelta(deps, input);
      }),
  );

  server.registerTool(
    "create_failure_proposal",
    {
      title: "File a proposal for a failure",
      description:
        "Files an OpenSpec proposal pre-filled with a failure group's evidence (fields given replace the draft's) and links it to the failure.",
      inputSchema: CreateSpecProposalInputSchema,
    },
    (input) =>
      run(async () => {
        await inScopeFailure(deps, scope, input.failureId);
        const created = await errors.createSpecProposal(deps, input);
        return {
          projectSlug: created.projectSlug,
          changeId: created.changeId,
          link: changeItemHref(created.projectSlug, created.changeId),
          failure: created.failure,
        };
      }),
  );

  server.registerTool(
    "start_session",
    {
      title: "Start a Claude Code session",
      description:
        "Queues a Claude Code session in a project: on a work item ({kind:'error', failureId} or {kind:'spec', changeId}) with the prompt Workdeck builds, or a manual one with a prompt. Returns its id.",
      inputSchema: StartSessionInputSchema,
    },
    (input) =>
      run(async () => {
        scopedProject(scope, input.projectId);
        const { id } = await deps.sessions.start(input);
        return { id, link: sessionHref(id) };
      }),
  );

  server.registerTool(
    "add_dependency",
    {
      title: "Add a dependency",
      description:
        "Records that one work item waits for another: blocker and blocked are {kind:'error', failureId}, {kind:'spec', projectId, changeId} or {kind:'session', sessionId}. A session on a blocked item stays queued until every blocker is resolved. A cycle is refused.",
      inputSchema: DependencyInputSchema,
    },
    (input) =>
      run(async () => {
        for (const ref of [input.blocker, input.blocked]) await refInScope(deps, scope, ref);
        return addDependency(deps, input);
      }),
  );

  server.registerTool(
    "remove_dependency",
    { title: "Remove a dependency", description: "Removes a dependency recorded with add_dependency.", inputSchema: DependencyInputSchema },
    (input) =>
      run(async () => {
        for (const ref of [input.blocker, input.blocked]) await refInScope(deps, scope, ref);
        return removeDependency(deps, input);
      }),
  );

  registerClaudeConfigTools(server, deps, scope, run);

  server.registerTool(
    "get_session",
    {
      title: "Get a session",
      description: "A launched session's status, account, cost, turns and exit reason.",
      inputSchema: SessionIdInputSchema,
      annotations: { readOnlyHint: true },
    },
    (input) =>
      run(async () => {
        const session = await deps.sessions.get(input);
        assertInScope(scope, session.projectSlug, `Session ${session.id}`);
        return session;
      }),
  );
}

async function refInScope(deps: ToolDeps, scope: McpScope, ref: WorkItemRef): Promise<void> {
  if (!scope.projectSlug) return;
  if (ref.kind === "error") await inScopeFailure(deps, scope, ref.failureId);
  else if (ref.kind === "spec") scopedProject(scope, ref.projectId);
  else assertInScope(scope, (await deps.sessions.get({ id: ref.sessionId })).projectSlug, `Session ${ref.sessionId}`);
}

async function inScopeFailure(deps: ToolDeps, scope: McpScope, failureId: number): Promise<void> {
  if (!scope.projectSlug) return;
  const failure = await errors.getFailure(deps, { failureId });
  assertInScope(scope, failure.projectSlug, `Failure #${failureId}`);
}

/** One tool call: its JSON answer, or a tool error with a message the model can act on. */
export async function runTool(deps: Pick<Runtime, "log">, fn: () => unknown): Promise<CallToolResult> {
  try {
    const value = await fn();
    return { content: [{ type: "text", text: JSON.stringify(value ?? null, null, 2) }] };
  } catch (err) {
    return { isError: true, content: [{ type: "text", text: toolErrorMessage(deps, err) }] };
  }
}

function toolErrorMessage(deps: Pick<Runtime, "log">, err: unknown): string {
  if (isAppError(err)) return err.message;
  // By name: the runtime and a bundle may hold different copies of zod.
  if (err instanceof Error && err.name === "ZodError") {
    const issues = (err as unknown as { issues: { path: PropertyKey[]; message: string }[] }).issues;
    return `Invalid input: ${issues.map((i) => `${i.path.map(String).join(".") || "(input)"}: ${i.message}`).join("; ")}`;
  }
  // Anything else is our bug: logged in full here, a plain message there (no stack, no paths).
  deps.log.error({ err }, "MCP tool failed");
  return "Workdeck could not complete this call (an internal error; the server log has the details).";
}
