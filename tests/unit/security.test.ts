import { describe, expect, it } from "vitest";
import { assertListenAllowed, checkRequest, isLoopbackAddress, tokensEqual } from "@/server/http/security";

const loopback = { bindHost: "127.0.0.1", token: undefined, maxBodyBytes: 1000 };
const get = (headers: Record<string, string>, pathname = "/specs") => ({ method: "GET", pathname, headers: { host: "127.0.0.1:3000", ...headers } });
const post = (headers: Record<string, string>, pathname = "/api/trpc/openspec.createProposal") => ({ method: "POST", pathname, headers: { host: "127.0.0.1:3000", ...headers } });

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
  it("serves same-host reads", () => {
    expect(checkRequest(get({}), loopback)).toEqual({ ok: true });
    expect(checkRequest(get({ host: "localhost:3000" }), loopback)).toEqual({ ok: true });
  });

  it("rejects a foreign Host header (DNS rebinding)", () => {
    const verdict = checkRequest(get({ host: "evil.example:3000" }), loopback);
    expect(verdict).toMatchObject({ ok: false, status: 403 });
  });

  it("rejects mutations from another origin", () => {
    expect(checkRequest(post({ origin: "http://evil.example" }), loopback)).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest(post({ origin: "null" }), loopback)).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest(post({ "sec-fetch-site": "cross-site" }), loopback)).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest(post({ origin: "http://127.0.0.1:3001" }), loopback)).toMatchObject({ ok: false, status: 403 });
  });

  it("accepts same-origin mutations and clients that send no Origin (CLI, hooks)", () => {
    expect(checkRequest(post({ origin: "http://127.0.0.1:3000" }), loopback)).toEqual({ ok: true });
    expect(checkRequest(post({}), loopback)).toEqual({ ok: true });
  });

  it("rejects bodies over the limit by Content-Length", () => {
    expect(checkRequest(post({ "content-length": "1001" }), loopback)).toMatchObject({ ok: false, status: 413 });
    expect(checkRequest(post({ "content-length": "1000" }), loopback)).toEqual({ ok: true });
  });
});

describe("requests when a token is set", () => {
  const opts = { bindHost: "0.0.0.0", token: "s3cret-token-of-length", maxBodyBytes: 1000 };

  it("requires the token as a bearer or a cookie", () => {
    expect(checkRequest(get({ host: "10.0.0.5:3000" }, "/api/trpc/openspec.listChanges"), opts)).toMatchObject({ ok: false, status: 401 });
    expect(checkRequest(get({ host: "10.0.0.5:3000", authorization: "Bearer s3cret-token-of-length" }), opts)).toEqual({ ok: true });
    expect(checkRequest(get({ host: "10.0.0.5:3000", cookie: "a=b; workdeck_token=s3cret-token-of-length" }), opts)).toEqual({ ok: true });
    expect(checkRequest(get({ host: "10.0.0.5:3000", authorization: "Bearer wrong" }), opts)).toMatchObject({ ok: false, status: 401 });
  });

  it("sends browsers to the login page and leaves it reachable", () => {
    expect(checkRequest(get({ host: "10.0.0.5:3000", accept: "text/html" }), opts)).toMatchObject({ ok: false, redirectToLogin: true });
    expect(checkRequest(get({ host: "10.0.0.5:3000" }, "/login"), opts)).toEqual({ ok: true });
    expect(checkRequest(post({ host: "10.0.0.5:3000" }, "/api/login"), opts)).toEqual({ ok: true });
  });

  it("compares tokens in constant time and exactly", () => {
    expect(tokensEqual("abc", "abc")).toBe(true);
    expect(tokensEqual("abc", "abcd")).toBe(false);
  });
});
