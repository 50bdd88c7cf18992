/**
 * Issue 14: the edge's credential lookups are async database reads. One that fails refuses the
 * request (503) and never lets it through; the full token, which needs no lookup, still works.
 * Over real HTTP through serve's edge handler.
 */
import { afterEach, expect, it } from "vitest";
import type { HookPostDeps } from "@/server/http/hook-post";
import { edgeHandler } from "@/server/http/edge";
import type { Credentials } from "@/server/http/security";
import { listenLoopback } from "../support/edge";

const TOKEN = "edge-credentials-token-0123456789";
let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

it("a credential lookup that fails refuses the request and reaches no route", async () => {
  const lookups: string[] = [];
  const failing: Credentials = {
    loginSession: (id) => (lookups.push(`login ${id}`), Promise.reject(new Error("database unavailable"))),
    agentToken: (token) => (lookups.push(`agent ${token}`), Promise.reject(new Error("database unavailable"))),
  };
  const reached: string[] = [];
  const server = await listenLoopback(
    edgeHandler({
      bindHost: "127.0.0.1",
      token: TOKEN,
      credentials: failing,
      // Never reached: every request here is a GET of the app.
      hooks: {} as HookPostDeps,
      next: () => (req, res) => (reached.push(req.url ?? ""), res.writeHead(200).end("the app")),
    }),
  );
  close = server.close;

  const withCookie = await fetch(`${server.url}/specs`, { headers: { cookie: "workdeck_session=some-session-id" } });
  expect(withCookie.status).toBe(503);
  const withAgentToken = await fetch(`${server.url}/specs`, { headers: { authorization: "Bearer wda_some-agent-token" } });
  expect(withAgentToken.status).toBe(503);
  expect(lookups).toEqual(["login some-session-id", "agent wda_some-agent-token"]);
  expect(reached).toEqual([]);

  const withToken = await fetch(`${server.url}/specs`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(withToken.status).toBe(200);
  expect(reached).toEqual(["/specs"]);
});
