import { describe, expect, it } from "vitest";
import {
  assertListenAllowed,
  checkRequest,
  CLIENT_ADDRESS_HEADER,
  isLoopbackAddress,
  stampClientAddress,
  tokensEqual,
  type Credentials,
} from "@/server/http/security";

const loopback = { bindHost: "127.0.0.1", token: undefined, maxBodyBytes: 1000 };
const get = (headers: Record<string, string>, pathname = "/specs") => ({
  method: "GET",
  pathname,
  headers: { host: "127.0.0.1:3000", ...headers },
});
const post = (headers: Record<string, string>, pathname = "/api/trpc/openspec.createProposal") => ({
  method: "POST",
  pathname,
  headers: { host: "127.0.0.1:3000", ...headers },
});

describe("listening", () => {
  it("allows loopback addresses without a token", () => {
    for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2"]) expect(() => assertListenAllowed(host, undefined)).not.toThrow();
  });

  it("refuses any other address unless a token is set", () => {
    expect(() => assertListenAllowed("0.0.0.0", undefined)).toThrow(/WORKDECK_TOKEN/);
    expect(() => assertListenAllowed("192.168.1.10", undefined)).toThrow(/WORKDECK_TOKEN/);
    expect(() => assertListenAllowed("0.0.0.0", "a-long-enough-token-123")).not.toThrow();
  });

  it("recognises loopback names", () => {
    expect(isLoopbackAddress("LOCALHOST")).toBe(true);
    expect(isLoopbackAddress("app.localhost")).toBe(true);
    expect(isLoopbackAddress("evil.example")).toBe(false);
    expect(isLoopbackAddress("128.0.0.1")).toBe(false);
  });
});

describe("requests on a loopback server", () => {
  it("serves same-host reads", async () => {
    expect(await checkRequest(get({}), loopback)).toEqual({ ok: true });
    expect(await checkRequest(get({ host: "localhost:3000" }), loopback)).toEqual({ ok: true });
  });

  it("rejects a foreign Host header (DNS rebinding)", async () => {
    const verdict = await checkRequest(get({ host: "evil.example:3000" }), loopback);
    expect(verdict).toMatchObject({ ok: false, status: 403 });
  });

  it("rejects mutations from another origin", async () => {
    expect(await checkRequest(post({ origin: "http://evil.example" }), loopback)).toMatchObject({ ok: false, status: 403 });
    expect(await checkRequest(post({ origin: "null" }), loopback)).toMatchObject({ ok: false, status: 403 });
    expect(await checkRequest(post({ "sec-fetch-site": "cross-site" }), loopback)).toMatchObject({ ok: false, status: 403 });
    expect(await checkRequest(post({ origin: "http://127.0.0.1:3001" }), loopback)).toMatchObject({ ok: false, status: 403 });
  });

  it("accepts same-origin mutations and clients that send no Origin (CLI, hooks)", async () => {
    expect(await checkRequest(post({ origin: "http://127.0.0.1:3000" }), loopback)).toEqual({ ok: true });
    expect(await checkRequest(post({}), loopback)).toEqual({ ok: true });
  });

  it("rejects bodies over the limit by Content-Length", async () => {
    expect(await checkRequest(post({ "content-length": "1001" }), loopback)).toMatchObject({ ok: false, status: 413 });
    expect(await checkRequest(post({ "content-length": "1000" }), loopback)).toEqual({ ok: true });
  });
});

describe("requests when a token is set", () => {
  const opts = { bindHost: "0.0.0.0", token: "s3cret-token-of-length", maxBodyBytes: 1000 };

  it("requires the token as a bearer", async () => {
    expect(await checkRequest(get({ host: "10.0.0.5:3000" }, "/api/trpc/openspec.listChanges"), opts)).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(await checkRequest(get({ host: "10.0.0.5:3000", authorization: "Bearer s3cret-token-of-length" }), opts)).toEqual({ ok: true });
    expect(await checkRequest(get({ host: "10.0.0.5:3000", authorization: "Bearer wrong" }), opts)).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it("sends browsers to the login page and leaves it reachable", async () => {
    expect(await checkRequest(get({ host: "10.0.0.5:3000", accept: "text/html" }), opts)).toMatchObject({
      ok: false,
      redirectToLogin: true,
    });
    expect(await checkRequest(get({ host: "10.0.0.5:3000" }, "/login"), opts)).toEqual({ ok: true });
    expect(await checkRequest(post({ host: "10.0.0.5:3000" }, "/api/login"), opts)).toEqual({ ok: true });
  });

  it("compares tokens in constant time and exactly", () => {
    expect(tokensEqual("abc", "abc")).toBe(true);
    expect(tokensEqual("abc", "abcd")).toBe(false);
  });
});

describe("issued credentials (login sessions, agent tokens)", () => {
  // The lookups the server backs with the database (auth-sessions.ts); here, fixed sets.
  const credentials: Credentials = {
    loginSession: async (id) => id === "live-session-id",
    agentToken: async (token) => token === "wda_live-agent-token",
  };
  const opts = { bindHost: "0.0.0.0", token: "s3cret-token-of-length", maxBodyBytes: 1000, credentials };
  const at = (headers: Record<string, string>) => ({ host: "10.0.0.5:3000", ...headers });

  it("a browser is let in by a live login session id, never by the raw token in a cookie", async () => {
    expect(await checkRequest(get(at({ cookie: "a=b; workdeck_session=live-session-id" })), opts)).toEqual({ ok: true });
    expect(await checkRequest(get(at({ cookie: "workdeck_session=ended-or-unknown", accept: "text/html" })), opts)).toMatchObject({
      ok: false,
      status: 401,
      redirectToLogin: true,
    });
    expect(await checkRequest(get(at({ cookie: "workdeck_token=s3cret-token-of-length" })), opts)).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(await checkRequest(get(at({ cookie: "workdeck_session=s3cret-token-of-length" })), opts)).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it("an agent token posts hook events and reaches nothing else", async () => {
    const agent = { authorization: "Bearer wda_live-agent-token" };
    expect(await checkRequest(post(at(agent), "/api/hooks"), opts)).toEqual({ ok: true });
    expect(await checkRequest(post(at(agent), "/api/mcp"), opts)).toEqual({ ok: true });
    for (const [method, path] of [
      ["GET", "/api/trpc/projects.list"],
      ["POST", "/api/trpc/sessions.start"],
      ["POST", "/api/reports"],
      ["GET", "/api/hooks"],
      ["GET", "/specs"],
    ]) {
      expect(await checkRequest({ method, pathname: path, headers: at(agent) }, opts), `${method} ${path}`).toMatchObject({
        ok: false,
        status: 403,
        message: expect.stringMatching(/agent token/),
      });
    }
    // Revoked (its run ended) or made up: not a credential at all.
    expect(await checkRequest(post(at({ authorization: "Bearer wda_revoked" }), "/api/hooks"), opts)).toMatchObject({
      ok: false,
      status: 401,
    });
    // Only as a bearer: a cookie holding it is not a login.
    expect(await checkRequest(get(at({ cookie: "workdeck_session=wda_live-agent-token" })), opts)).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it("a malformed cookie is refused, not thrown (the edge handler must not crash the server)", async () => {
    const malformed = get(at({ cookie: "workdeck_token=%E0%A4%A; workdeck_session=%E0%A4%A" }));
    await expect(checkRequest(malformed, opts)).resolves.toBeDefined();
    expect(await checkRequest(malformed, opts)).toMatchObject({ ok: false, status: 401 });
  });

  it("logout is reachable without a live session (it only ends what its cookie names)", async () => {
    expect(await checkRequest(post(at({}), "/api/logout"), opts)).toEqual({ ok: true });
  });

  it("the client address header is the edge's own, whatever the client sent", () => {
    const headers: Record<string, string | string[] | undefined> = { [CLIENT_ADDRESS_HEADER]: "1.2.3.4" };
    stampClientAddress(headers, "10.0.0.9");
    expect(headers[CLIENT_ADDRESS_HEADER]).toBe("10.0.0.9");
  });
});
