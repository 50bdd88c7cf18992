import type http from "node:http";
import { POST } from "@/app/api/hooks/route";

/** POST /api/hooks through the Next route handler, in-process: a JSON body as Claude Code's http hook sends it. */
export function postHookRoute(body: BodyInit | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return POST(
    new Request("http://127.0.0.1/api/hooks", {
      method: "POST",
      body: body as BodyInit,
      headers: { "content-type": "application/json", ...headers },
      duplex: "half",
    } as RequestInit),
  );
}

/** A Node listener handing every request to the hooks route handler, as Next would: for tests whose hooks arrive over real HTTP. */
export const hookRouteListener: http.RequestListener = async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([, v]) => typeof v === "string")) as Record<string, string>;
  const response = await POST(new Request(`http://127.0.0.1${req.url}`, { method: "POST", headers, body: Buffer.concat(chunks) }));
  res.writeHead(response.status, { "content-type": "application/json" }).end(await response.text());
};
