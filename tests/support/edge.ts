import http from "node:http";
import type { AddressInfo } from "node:net";
import { authCredentials } from "@/server/auth/credentials";
import { edgeHandler, type EdgeOptions } from "@/server/http/edge";
import type { Runtime } from "@/server/runtime";

/**
 * `workdeck serve`'s edge over a test's runtime, Next never prepared: bound to 127.0.0.1 with the
 * runtime's token (or `token`), hooks always, and whichever other doors the test opens.
 */
export function testEdge(
  runtime: Runtime,
  doors: Pick<EdgeOptions, "reports" | "mcp" | "webhooks"> = {},
  token: string | undefined = runtime.env.token,
): http.RequestListener {
  return edgeHandler({
    bindHost: "127.0.0.1",
    token,
    credentials: authCredentials(runtime.sqlStore),
    hooks: runtime,
    ...doors,
    next: () => null,
  });
}

/** `handler` on a free loopback port: its base URL and a close that drops open connections. */
export async function listenLoopback(handler: http.RequestListener): Promise<{ url: string; server: http.Server; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
