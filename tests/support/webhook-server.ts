import path from "node:path";
import { Webhooks } from "@octokit/webhooks";
import type { Runtime } from "@/server/runtime";
import { startRuntime } from "@/server/runtime-boot";
import { listenLoopback, testEdge } from "./edge";
import { configEnv } from "./runtime-env";
import { tempDemoWorkspace, tempDir } from "./temp";

export const WEBHOOK_SECRETS: Record<string, string> = {
  GITHUB_WEBHOOK_SECRET: "It's a Secret to Everybody",
  GITLAB_WEBHOOK_TOKEN: "gitlab-token-0123456789",
  RAILWAY_WEBHOOK_SECRET: "railway-path-secret-abcdef0123",
};

export const TOKEN = "webhook-test-token-0123456789abcdef";

export type WebhookServer = { runtime: Runtime; url: string; dir: string; workspace: string; secrets: Record<string, string> };

/**
 * A runtime on a temp database and a copy of the demo workspace, behind the edge `workdeck serve`
 * uses (with WORKDECK_TOKEN set, so the tests show the webhook routes pass on their signatures).
 * `billing-api` names repository acme/billing-api (GitHub), acme/platform/billing-api is GitLab's
 * and Railway project prj-7f3a.
 */
export async function startWebhookServer(
  extra: { config?: Record<string, unknown>; env?: Record<string, string>; secrets?: Record<string, string>; sessions?: boolean } = {},
): Promise<WebhookServer> {
  const dir = tempDir();
  const workspace = tempDemoWorkspace();
  const { env } = configEnv(
    dir,
    {
      projects: [
        {
          slug: "billing-api",
          path: path.join(workspace, "billing-api"),
          repository: "acme/billing-api",
          railway: { projectId: "prj-7f3a" },
        },
        { slug: "mobile-sync", path: path.join(workspace, "mobile-sync"), repository: "acme/platform/billing-api" },
      ],
      integrations: {
        github: { webhookSecretEnv: "GITHUB_WEBHOOK_SECRET" },
        gitlab: { tokenEnv: "GITLAB_WEBHOOK_TOKEN" },
        railway: { webhookSecretEnv: "RAILWAY_WEBHOOK_SECRET" },
      },
      ...extra.config,
    },
    { env: { WORKDECK_TOKEN: TOKEN, ...extra.env } },
  );
  const runtime = await startRuntime(env, { watch: false, sessions: extra.sessions ?? false });
  const secrets = { ...WEBHOOK_SECRETS, ...extra.secrets };
  const { url, close } = await listenLoopback(
    testEdge(runtime, { webhooks: { ...runtime, readSecret: (name) => secrets[name] } }, env.token),
  );
  closers.push(close);
  return { runtime, url, dir, workspace, secrets };
}

const closers: (() => Promise<void>)[] = [];
export async function closeWebhookServers(): Promise<void> {
  for (const c of closers.splice(0)) await c();
}

export type Answer = { status: number; body: Record<string, unknown> & { error?: { code: string; message: string } } };

async function send(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** A GitHub delivery, signed with the secret unless `signature` says otherwise. */
export async function sendGithub(
  base: string,
  event: string,
  payload: unknown,
  o: { delivery?: string; signature?: string | null; secret?: string; raw?: string } = {},
): Promise<Answer> {
  const body = o.raw ?? JSON.stringify(payload);
  const signature =
    o.signature === undefined ? await new Webhooks({ secret: o.secret ?? WEBHOOK_SECRETS.GITHUB_WEBHOOK_SECRET! }).sign(body) : o.signature;
  return send(`${base}/api/webhooks/github`, body, {
    "x-github-event": event,
    "x-github-delivery": o.delivery ?? crypto.randomUUID(),
    "user-agent": "GitHub-Hookshot/abc123",
    ...(signature ? { "x-hub-signature-256": signature } : {}),
  });
}

export async function sendGitlab(
  base: string,
  event: string,
  payload: unknown,
  o: { uuid?: string; token?: string | null; raw?: string } = {},
): Promise<Answer> {
  const token = o.token === undefined ? WEBHOOK_SECRETS.GITLAB_WEBHOOK_TOKEN! : o.token;
  return send(`${base}/api/webhooks/gitlab`, o.raw ?? JSON.stringify(payload), {
    "x-gitlab-event": event,
    "x-gitlab-event-uuid": o.uuid ?? crypto.randomUUID(),
    ...(token ? { "x-gitlab-token": token } : {}),
  });
}

export async function sendRailway(base: string, payload: unknown, o: { secret?: string; raw?: string } = {}): Promise<Answer> {
  return send(
    `${base}/api/webhooks/railway/${encodeURIComponent(o.secret ?? WEBHOOK_SECRETS.RAILWAY_WEBHOOK_SECRET!)}`,
    o.raw ?? JSON.stringify(payload),
    {},
  );
}

/** Rows of a table (the store's truth, not an API's view of it). */
export function rows<T = Record<string, unknown>>(runtime: Runtime, sql: string, ...params: unknown[]): T[] {
  return runtime.db!.$client.prepare(sql).all(...params) as T[];
}
