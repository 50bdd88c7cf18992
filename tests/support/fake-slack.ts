import http from "node:http";
import type { AddressInfo } from "node:net";
import type { KnownBlock } from "@slack/types";

export type SlackReceived = { path: string; auth: string | undefined; body: { text: string; blocks: KnownBlock[]; channel?: string } };

/** A local Slack: `/hooks/*` answers like an incoming webhook, `/api/chat.postMessage` like the Web API. */
export async function startFakeSlack(): Promise<{ url: string; received: SlackReceived[]; close(): Promise<void> }> {
  const received: SlackReceived[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", auth: req.headers.authorization, body: JSON.parse(raw) });
      if (req.url?.startsWith("/api/"))
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, ts: "1.2" }));
      else res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
