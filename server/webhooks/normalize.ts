import { z } from "zod";

/**
 * What a delivery means, whichever sender: a CI run that failed or passed, a pull/merge request
 * that opened, moved or closed, a deployment whose status changed. Zod reads only the fields used,
 * so a payload of the documented shape with extra fields passes and one without them is a 400.
 * The GitHub shapes are @octokit/webhooks' types (the fixtures are typed with them).
 */

export type CiEvent = {
  kind: "ci";
  provider: "github" | "gitlab";
  repository: string;
  outcome: "failed" | "passed";
  /** The workflow (GitHub Actions), check app (check_suite) or pipeline name: with the branch, the subject a later success resolves. */
  workflow: string;
  branch: string | null;
  commitSha: string | null;
  url: string | null;
  conclusion: string;
  evidence: string;
};

export type ReviewEvent = {
  kind: "review";
  provider: "github" | "gitlab";
  repository: string;
  action: "open" | "update" | "close" | "merge";
  number: number;
  title: string;
  body: string;
  branch: string | null;
  commitSha: string | null;
  url: string | null;
};

export type DeployEvent = {
  kind: "deploy";
  provider: "railway";
  railwayProjectId: string;
  serviceId: string | null;
  serviceName: string | null;
  environmentId: string | null;
  environmentName: string | null;
  deploymentId: string;
  status: string;
  commitSha: string | null;
  commitMessage: string | null;
  branch: string | null;
  at: number;
  /** When the deployment began (the poller knows it; a webhook's first delivery is taken as the start). */
  startedAt?: number;
  logTail: string | null;
};

export type Normalized = CiEvent | ReviewEvent | DeployEvent;
/** A delivery understood but not acted on (a type or status Workdeck does not track): 202. */
export type Ignored = { ignored: string };

export const FAILED_CONCLUSIONS = new Set(["failure", "timed_out", "startup_failure"]);
/** Railway statuses after which a deployment no longer changes. */
export const TERMINAL_DEPLOY = new Set(["SUCCESS", "FAILED", "CRASHED", "REMOVED", "SKIPPED"]);
export const FAILED_DEPLOY = new Set(["FAILED", "CRASHED"]);

const str = z.string().max(100_000);
const opt = str.nullish().transform((v) => v ?? null);

// ----- GitHub ---------------------------------------------------------------------

const GhRepo = z.object({ full_name: str, html_url: str.optional() });

const GhWorkflowRun = z.object({
  action: str,
  repository: GhRepo,
  workflow_run: z.object({
    id: z.number(),
    name: opt,
    run_number: z.number().optional(),
    conclusion: opt,
    head_branch: opt,
    head_sha: opt,
    html_url: opt,
    display_title: opt,
  }),
});

const GhCheckSuite = z.object({
  action: str,
  repository: GhRepo,
  check_suite: z.object({
    id: z.number(),
    conclusion: opt,
    head_branch: opt,
    head_sha: opt,
    app: z.object({ name: opt, slug: opt }).nullish(),
  }),
});

const GhPullRequest = z.object({
  action: str,
  number: z.number(),
  repository: GhRepo,
  pull_request: z.object({ title: str, body: opt, html_url: opt, merged: z.boolean().nullish(), head: z.object({ ref: str, sha: str }) }),
});

export function normalizeGithub(event: string, payload: unknown): Normalized | Ignored {
  switch (event) {
    case "workflow_run": {
      const p = GhWorkflowRun.parse(payload);
      const run = p.workflow_run;
      const name = run.name ?? "workflow";
      const ci = { workflow: name, branch: run.head_branch, commitSha: run.head_sha, url: run.html_url, conclusion: run.conclusion };
      const links = `${run.display_title ? `\nRun title: ${run.display_title}` : ""}${run.html_url ? `\nRun: ${run.html_url}` : ""}`;
      return githubCi(
        event,
        p.action,
        p.repository.full_name,
        ci,
        `GitHub Actions workflow "${name}" run${run.run_number ? ` #${run.run_number}` : ""}`,
        links,
      );
    }
    case "check_suite": {
      const p = GhCheckSuite.parse(payload);
      const suite = p.check_suite;
      const name = suite.app?.name ?? suite.app?.slug ?? "checks";
      const url = p.repository.html_url && suite.head_sha ? `${p.repository.html_url}/commit/${suite.head_sha}/checks` : null;
      const ci = { workflow: name, branch: suite.head_branch, commitSha: suite.head_sha, url, conclusion: suite.conclusion };
      return githubCi(event, p.action, p.repository.full_name, ci, `GitHub check suite "${name}"`, url ? `\nChecks: ${url}` : "");
    }
    case "pull_request": {
      const p = GhPullRequest.parse(payload);
      const action = (
        {
          opened: "open",
          reopened: "open",
          ready_for_review: "open",
          synchronize: "update",
          edited: "update",
          closed: p.pull_request.merged ? "merge" : "close",
        } as const
      )[p.action as "opened"];
      if (!action) return { ignored: `pull_request ${p.action}` };
      return {
        kind: "review",
        provider: "github",
        repository: p.repository.full_name,
        action,
        number: p.number,
        title: p.pull_request.title,
        body: p.pull_request.body ?? "",
        branch: p.pull_request.head.ref,
        commitSha: p.pull_request.head.sha,
        url: p.pull_request.html_url,
      };
    }
    default:
      return { ignored: `GitHub event "${event.slice(0, 60)}" is not one Workdeck tracks` };
  }
}

type CiFields = Pick<CiEvent, "workflow" | "branch" | "commitSha" | "url"> & { conclusion: string | null };

/** A GitHub workflow run or check suite: once completed with a conclusion Workdeck reads, a CI event; otherwise ignored. */
function githubCi(event: string, action: string, repository: string, ci: CiFields, subject: string, links: string): CiEvent | Ignored {
  if (action !== "completed") return { ignored: `${event} ${action}` };
  const outcome = ciOutcome(ci.conclusion);
  if (!outcome) return { ignored: `${event} concluded ${ci.conclusion ?? "without a conclusion"}` };
  const where = `${ci.branch ? ` on ${ci.branch}` : ""}${ci.commitSha ? ` at ${ci.commitSha.slice(0, 12)}` : ""}`;
  return {
    kind: "ci",
    provider: "github",
    repository,
    outcome,
    ...ci,
    conclusion: ci.conclusion!,
    evidence: `${subject} concluded ${ci.conclusion}${where}.${links}`,
  };
}

function ciOutcome(conclusion: string | null): "failed" | "passed" | null {
  if (!conclusion) return null;
  if (FAILED_CONCLUSIONS.has(conclusion)) return "failed";
  return conclusion === "success" ? "passed" : null;
}

// ----- GitLab ---------------------------------------------------------------------

const GlProject = z.object({ path_with_namespace: str, web_url: str.optional() });

const GlPipeline = z.object({
  object_kind: z.literal("pipeline"),
  project: GlProject,
  object_attributes: z.object({ id: z.number(), name: opt, ref: opt, sha: opt, status: str, url: opt, detailed_status: opt }),
  builds: z
    .array(z.object({ name: str, stage: opt, status: str, failure_reason: opt }).loose())
    .nullish()
    .transform((v) => v ?? []),
});

const GlMergeRequest = z.object({
  object_kind: z.literal("merge_request"),
  project: GlProject,
  object_attributes: z.object({
    iid: z.number(),
    title: str,
    description: opt,
    source_branch: opt,
    url: opt,
    action: opt,
    last_commit: z.object({ id: str }).nullish(),
  }),
});

export function normalizeGitlab(payload: unknown): Normalized | Ignored {
  const kind = z.object({ object_kind: str }).parse(payload).object_kind;
  if (kind === "pipeline") {
    const p = GlPipeline.parse(payload);
    const a = p.object_attributes;
    const outcome = a.status === "failed" ? "failed" : a.status === "success" ? "passed" : null;
    if (!outcome) return { ignored: `pipeline ${a.status}` };
    const failed = p.builds.filter((b) => b.status === "failed");
    const url = a.url ?? (p.project.web_url ? `${p.project.web_url}/-/pipelines/${a.id}` : null);
    return {
      kind: "ci",
      provider: "gitlab",
      repository: p.project.path_with_namespace,
      outcome,
      workflow: a.name ?? "pipeline",
      branch: a.ref,
      commitSha: a.sha,
      url,
      conclusion: a.status,
      evidence: [
        `GitLab pipeline #${a.id}${a.name ? ` "${a.name}"` : ""} ${a.status}${a.ref ? ` on ${a.ref}` : ""}${a.sha ? ` at ${a.sha.slice(0, 12)}` : ""}.`,
        ...failed.map((b) => `Failed job ${b.stage ? `${b.stage}/` : ""}${b.name}${b.failure_reason ? ` (${b.failure_reason})` : ""}`),
        ...(url ? [`Pipeline: ${url}`] : []),
      ].join("\n"),
    };
  }
  if (kind === "merge_request") {
    const p = GlMergeRequest.parse(payload);
    const a = p.object_attributes;
    const action = ({ open: "open", reopen: "open", update: "update", merge: "merge", close: "close" } as const)[
      (a.action ?? "") as "open"
    ];
    if (!action) return { ignored: `merge_request ${a.action ?? "without an action"}` };
    return {
      kind: "review",
      provider: "gitlab",
      repository: p.project.path_with_namespace,
      action,
      number: a.iid,
      title: a.title,
      body: a.description ?? "",
      branch: a.source_branch,
      commitSha: a.last_commit?.id ?? null,
      url: a.url,
    };
  }
  return { ignored: `GitLab event "${kind.slice(0, 60)}" is not one Workdeck tracks` };
}

// ----- Railway --------------------------------------------------------------------

const RwRef = z.object({ id: str, name: opt }).nullish();

const RwEvent = z.object({
  type: str,
  details: z.object({ id: opt, status: opt, branch: opt, commitHash: opt, commitMessage: opt, commitAuthor: opt }).loose().nullish(),
  resource: z.object({ project: z.object({ id: str }), service: RwRef, environment: RwRef, deployment: z.object({ id: str }) }),
  timestamp: str.optional(),
});

/** `Deployment.<suffix>` → Railway's deployment status. */
const SUFFIX_STATUS: Record<string, string> = {
  queued: "QUEUED",
  waiting: "WAITING",
  initializing: "INITIALIZING",
  building: "BUILDING",
  deploying: "DEPLOYING",
  deployed: "SUCCESS",
  success: "SUCCESS",
  succeeded: "SUCCESS",
  failed: "FAILED",
  crashed: "CRASHED",
  removed: "REMOVED",
  skipped: "SKIPPED",
  sleeping: "SLEEPING",
};

export function normalizeRailway(payload: unknown): Normalized | Ignored {
  const type = z.object({ type: str }).parse(payload).type;
  if (!type.startsWith("Deployment.")) return { ignored: `Railway event "${type.slice(0, 60)}" is not one Workdeck tracks` };
  const p = RwEvent.parse(payload);
  // The event's name says what happened; details.status is the fallback (Railway's own example
  // pairs "Deployment.failed" with a details.status of SUCCESS, so the name wins).
  const status = SUFFIX_STATUS[type.slice("Deployment.".length).toLowerCase()] ?? p.details?.status?.toUpperCase();
  if (!status) return { ignored: `Railway event "${type.slice(0, 60)}" names no deployment status` };
  const at = p.timestamp ? Date.parse(p.timestamp) : NaN;
  return deployFromRailway({
    railwayProjectId: p.resource.project.id,
    serviceId: p.resource.service?.id ?? null,
    serviceName: p.resource.service?.name ?? null,
    environmentId: p.resource.environment?.id ?? null,
    environmentName: p.resource.environment?.name ?? null,
    deploymentId: p.resource.deployment.id,
    status,
    commitSha: p.details?.commitHash ?? null,
    commitMessage: p.details?.commitMessage ?? null,
    branch: p.details?.branch ?? null,
    at: Number.isFinite(at) ? at : Date.now(),
    logTail: null,
  });
}

export function deployFromRailway(d: Omit<DeployEvent, "kind" | "provider">): DeployEvent {
  return { kind: "deploy", provider: "railway", ...d };
}
