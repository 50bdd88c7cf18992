import { createHash } from "node:crypto";
import { Webhooks } from "@octokit/webhooks";
import { sql } from "drizzle-orm";
import { ZodError } from "zod";
import type { LoadedConfig } from "../config";
import type { Logger } from "../logger";
import type { OpenSpecService } from "../specs/service";
import { AppError, HTTP_STATUS, isAppError } from "../app-error";
import { tokensEqual } from "../http/security";
import { normalizeGithub, normalizeGitlab, normalizeRailway, type Ignored, type Normalized, type ReviewEvent } from "./normalize";
import { applyDelivery, projectFor, type Delivery, type Links, type StoreDeps } from "./store";

/**
 * `POST /api/webhooks/github | gitlab | railway/<secret>` (issue 15), once for both servers: the
 * edge (`workdeck serve`) and Next's route handlers answer through webhookPost, like hookPost.
 * These routes are reachable without the Workdeck token (security.ts): each is authenticated by
 * its sender's signature or secret instead, checked here before anything is parsed or stored.
 *
 * 201 stored · 200 a delivery id seen before (nothing stored) · 202 understood and ignored (an
 * event type or status Workdeck does not track, a repository no project names) · 400 a body
 * that is not the sender's JSON · 401 a missing or wrong signature/secret · 404 the integration
 * is not configured · 413 past the body limit.
 */

export type WebhookDeps = StoreDeps & {
  config: LoadedConfig;
  openspec: Pick<OpenSpecService, "listChanges">;
  log: Pick<Logger, "error">;
  readSecret(name: string): string | undefined;
};

export type WebhookRequest = {
  readBody(limitBytes: number): Promise<Uint8Array>;
  header(name: string): string | undefined;
};

export type WebhookSource = "github" | "gitlab" | "railway";
export type WebhookRoute = { source: WebhookSource; pathSecret?: string };

/** GitHub caps deliveries at 25 MB; the events tracked here are a few KB, and anything near this is not one of them. */
export const WEBHOOK_BODY_LIMIT = 5 * 1024 * 1024;

/** The webhook routes; the Railway one carries its secret as the last segment. */
export const WEBHOOK_PATH = /^\/api\/webhooks\/(?:(github|gitlab)|railway\/([^/]{1,300}))\/?$/;

export function webhookRoute(pathname: string): WebhookRoute | null {
  const m = WEBHOOK_PATH.exec(pathname);
  if (!m) return null;
  if (m[1]) return { source: m[1] as "github" | "gitlab" };
  let secret: string;
  try {
    secret = decodeURIComponent(m[2]!);
  } catch {
    secret = m[2]!;
  }
  return { source: "railway", pathSecret: secret };
}

export type WebhookAnswer = { status: number; body: Record<string, unknown> };

export async function webhookPost(deps: WebhookDeps, route: WebhookRoute, req: WebhookRequest): Promise<WebhookAnswer> {
  try {
    const { normalized, delivery } = await authenticateAndRead(deps, route, req);
    if ("ignored" in normalized) return { status: 202, body: { ignored: normalized.ignored } };
    const project = projectFor(deps.config, normalized);
    if (!project) {
      const what = normalized.kind === "deploy" ? `Railway project ${normalized.railwayProjectId}` : `repository ${normalized.repository}`;
      return { status: 202, body: { ignored: `No configured project names ${what.slice(0, 200)}` } };
    }
    let links: Links = {};
    if (normalized.kind === "review") {
      links = await reviewLinks(deps, project, normalized);
      if (
        !links.changeId &&
        links.failureId === undefined &&
        links.sessionId === undefined &&
        (normalized.action === "open" || normalized.action === "update")
      ) {
        return { status: 202, body: { ignored: "The pull/merge request touches no change, failure or session of the project" } };
      }
    }
    const applied = await applyDelivery(deps, project, delivery, normalized, links);
    if (applied.duplicate) return { status: 200, body: { duplicate: true, deliveryId: delivery.deliveryId } };
    return {
      status: 201,
      body: {
        deliveryId: delivery.deliveryId,
        project,
        kind: normalized.kind,
        itemId: applied.itemId,
        change: applied.change,
        deployId: applied.deployId,
      },
    };
  } catch (err) {
    if (isAppError(err)) return { status: HTTP_STATUS[err.code], body: { error: { code: err.code, message: err.message } } };
    deps.log.error({ err }, "webhook ingest failed");
    return { status: 500, body: { error: { code: "INTERNAL", message: "Webhook ingest failed; see the server log." } } };
  }
}

async function authenticateAndRead(
  deps: WebhookDeps,
  route: WebhookRoute,
  req: WebhookRequest,
): Promise<{ normalized: Normalized | Ignored; delivery: Delivery }> {
  const integrations = deps.config.config.integrations;
  if (route.source === "github") {
    const env = integrations?.github?.webhookSecretEnv;
    const secret = env ? deps.readSecret(env) : undefined;
    if (!secret)
      throw new AppError("NOT_FOUND", "GitHub webhooks are not enabled: set integrations.github.webhookSecretEnv and that variable");
    const signature = req.header("x-hub-signature-256");
    if (!signature) throw new AppError("UNAUTHORIZED", "X-Hub-Signature-256 is missing");
    const body = await readText(req);
    // The signature is over the exact bytes sent; nothing is parsed before it matches.
    const valid = await new Webhooks({ secret }).verify(body, signature).catch(() => false);
    if (!valid) throw new AppError("UNAUTHORIZED", "X-Hub-Signature-256 does not match the body and the configured secret");
    const event = req.header("x-github-event");
    if (!event) throw new AppError("BAD_REQUEST", "X-GitHub-Event is missing");
    const payload = parseJson(body);
    const normalized = parsed(() => normalizeGithub(event, payload), `GitHub ${event}`);
    const action = typeof (payload as { action?: unknown }).action === "string" ? `.${(payload as { action: string }).action}` : "";
    return {
      normalized,
      delivery: { source: "github", deliveryId: req.header("x-github-delivery") ?? hash(body), event: `${event}${action}`.slice(0, 100) },
    };
  }
  if (route.source === "gitlab") {
    const env = integrations?.gitlab?.tokenEnv;
    const secret = env ? deps.readSecret(env) : undefined;
    if (!secret) throw new AppError("NOT_FOUND", "GitLab webhooks are not enabled: set integrations.gitlab.tokenEnv and that variable");
    const token = req.header("x-gitlab-token");
    if (!token || !tokensEqual(token, secret))
      throw new AppError("UNAUTHORIZED", token ? "X-Gitlab-Token does not match the configured token" : "X-Gitlab-Token is missing");
    const body = await readText(req);
    const payload = parseJson(body);
    const normalized = parsed(() => normalizeGitlab(payload), "GitLab");
    const deliveryId = req.header("x-gitlab-event-uuid") ?? req.header("idempotency-key") ?? hash(body);
    return { normalized, delivery: { source: "gitlab", deliveryId, event: (req.header("x-gitlab-event") ?? "gitlab").slice(0, 100) } };
  }
  const env = integrations?.railway?.webhookSecretEnv;
  const secret = env ? deps.readSecret(env) : undefined;
  if (!secret)
    throw new AppError("NOT_FOUND", "Railway webhooks are not enabled: set integrations.railway.webhookSecretEnv and that variable");
  if (!route.pathSecret || !tokensEqual(route.pathSecret, secret))
    throw new AppError("UNAUTHORIZED", "The secret in the webhook URL does not match");
  const body = await readText(req);
  const payload = parseJson(body);
  const normalized = parsed(() => normalizeRailway(payload), "Railway");
  // Railway sends no delivery id: a replay is the same body.
  return {
    normalized,
    delivery: { source: "railway", deliveryId: hash(body), event: String((payload as { type?: unknown }).type ?? "railway").slice(0, 100) },
  };
}

async function readText(req: WebhookRequest): Promise<string> {
  const bytes = await req.readBody(WEBHOOK_BODY_LIMIT);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AppError("BAD_REQUEST", "The body is not UTF-8 text");
  }
}

function parseJson(body: string): unknown {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
    return value;
  } catch {
    throw new AppError("BAD_REQUEST", "The body is not a JSON object");
  }
}

function parsed<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ZodError) {
      const issue = err.issues[0];
      throw new AppError(
        "BAD_REQUEST",
        `Not a ${what} payload of the documented shape: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
      );
    }
    throw err;
  }
}

function hash(body: string): string {
  return `sha256:${createHash("sha256").update(body).digest("hex")}`;
}

/**
 * What a pull/merge request touches: an OpenSpec change of the project its branch, title or body
 * names; a failure it names ("failure #12", "/errors/12"); or a Workdeck session whose worktree
 * branch it is (which links the session's own work item).
 */
async function reviewLinks(deps: WebhookDeps, project: string, n: ReviewEvent): Promise<Links> {
  const links: Links = {};
  const text = `${n.branch ?? ""}\n${n.title}\n${n.body}`.toLowerCase();
  const changes = await deps.openspec.listChanges({ projectId: project }).catch(() => []);
  const change = changes
    .filter((c) => !c.nested)
    .sort((a, b) => b.id.length - a.id.length)
    .find((c) => new RegExp(`(^|[^a-z0-9-])${c.id.replace(/[-]/g, "\\-")}($|[^a-z0-9-])`).test(text));
  if (change) links.changeId = change.id;
  const failure = /(?:failure\s*#?|\/errors\/)(\d{1,9})\b/.exec(text);
  if (failure) {
    const row = await deps.sqlStore.get<{ id: number }>(
      sql`SELECT id FROM test_failures WHERE id = ${Number(failure[1])} AND project_slug = ${project}`,
    );
    if (row) links.failureId = row.id;
  }
  if (n.branch) {
    const s = await deps.sqlStore.get<{ id: number; work_item_kind: string | null; work_item_ref: string | null }>(
      sql`SELECT id, work_item_kind, work_item_ref FROM sessions WHERE branch = ${n.branch} AND project_slug = ${project} ORDER BY id DESC LIMIT 1`,
    );
    if (s) {
      links.sessionId = s.id;
      if (s.work_item_kind === "spec" && s.work_item_ref) links.changeId ??= s.work_item_ref;
      if (s.work_item_kind === "error" && s.work_item_ref) links.failureId ??= Number(s.work_item_ref);
    }
  }
  return links;
}
