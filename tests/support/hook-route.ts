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
