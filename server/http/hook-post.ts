import type http from "node:http";
import { AppError, HTTP_STATUS, isAppError } from "../app-error";
import type { Logger } from "../logger";
import type { HookCommitter } from "../agents/hook-ingest";

/** What the hook endpoint needs of the runtime: its hook committer (one per process, so batches never interleave). */
export type HookPostDeps = { hookCommitter: Pick<HookCommitter, "submit">; env: { maxHookBytes: number }; log: Pick<Logger, "error"> };

/** A request as the endpoint sees it, whichever server carries it (the edge's Node request, or Next's web Request). */
export type HookRequest = {
  /** The body, refused with PAYLOAD_TOO_LARGE past the limit (declared or counted). */
  readBody(limitBytes: number): Promise<Uint8Array>;
  header(name: string): string | undefined;
};

/**
 * `POST /api/hooks`, once: the edge (`workdeck serve`, before Next) and the Next route handler
 * (`next dev`, tests) both answer through this, so status codes, `warnings` and validation are
 * the same on both. 201 with what was stored, after it is committed (group commit: HookCommitter);
 * 4xx `{ error: { code, message } }` for a body that is not JSON, too large, or has no
 * session_id, and nothing is stored. The caller has already checked token, Origin and Host.
 *
 * Optional headers: `x-workdeck-fired-at` (epoch ms; the spool's late deliveries keep their time)
 * and `x-workdeck-session-id` (the Workdeck session that launched the agent, issue 4).
 */
export async function hookPost(deps: HookPostDeps, req: HookRequest): Promise<{ status: number; body: unknown }> {
  try {
    const body = await req.readBody(deps.env.maxHookBytes);
    const result = await deps.hookCommitter.submit({
      body,
      firedAt: positiveInt(req.header("x-workdeck-fired-at")),
      workdeckSessionId: positiveInt(req.header("x-workdeck-session-id")),
    });
    return { status: 201, body: result };
  } catch (err) {
    return hookError(deps, err);
  }
}

/** The answer to a hook that was refused (AppError) or failed. */
function hookError(deps: HookPostDeps, err: unknown): { status: number; body: unknown } {
  if (isAppError(err)) {
    const message = err.code === "PAYLOAD_TOO_LARGE" ? `${err.message} (hooks: WORKDECK_MAX_HOOK_BYTES)` : err.message;
    return { status: HTTP_STATUS[err.code], body: { error: { code: err.code, message } } };
  }
  deps.log.error({ err }, "hook ingest failed");
  return { status: 500, body: { error: { code: "INTERNAL", message: "Hook ingest failed; see the server log." } } };
}

/**
 * The edge's side: a Node request and response, no web streams in between. The same steps and
 * answers as hookPost, chained directly: every tool call of every agent comes through here, and
 * each layer of async wrapping cost a promise per request (issue 12).
 */
export function serveHookPost(deps: HookPostDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let refused = false;
  return readNodeBody(req, deps.env.maxHookBytes)
    .then(
      (body) =>
        deps.hookCommitter.submit({
          body,
          firedAt: positiveInt(headerOf(req, "x-workdeck-fired-at")),
          workdeckSessionId: positiveInt(headerOf(req, "x-workdeck-session-id")),
        }),
      (err: unknown) => {
        refused = true;
        throw err;
      },
    )
    .then(
      (result) => sendJson(res, 201, result, false),
      (err: unknown) => {
        const { status, body } = hookError(deps, err);
        sendJson(res, status, body, refused);
      },
    );
}

/**
 * Answers one JSON POST on the edge's Node request and response, for every endpoint that takes a
 * `HookRequest` (hooks, webhooks). A refused upload is not read to its end: the connection closes
 * rather than drain it; `closeAfter` names other answers that leave the body unread.
 */
export async function serveNodePost(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  answer: (io: HookRequest) => Promise<{ status: number; body: unknown }>,
  closeAfter: (status: number) => boolean = () => false,
): Promise<void> {
  let refused = false;
  const { status, body } = await answer({
    readBody: (limit) =>
      readNodeBody(req, limit).catch((err: unknown) => {
        refused = true;
        throw err;
      }),
    header: (name) => headerOf(req, name),
  });
  sendJson(res, status, body, refused || closeAfter(status));
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `close`: the body was left unread, so the connection cannot carry another request. */
function sendJson(res: http.ServerResponse, status: number, body: unknown, close: boolean): void {
  const json = JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = { "content-type": "application/json", "content-length": Buffer.byteLength(json) };
  if (close) headers.connection = "close";
  res.writeHead(status, headers).end(json);
}

function positiveInt(value: string | undefined): number | undefined {
  if (!value || !/^\d{1,16}$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** The whole body of a small upload, counted as it arrives; past the limit, reading stops and PAYLOAD_TOO_LARGE is thrown. */
export function readNodeBody(req: http.IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.reject(tooLarge(limitBytes));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limitBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new AppError("BAD_REQUEST", `The upload failed: ${err.message}`));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

function tooLarge(limit: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds the limit of ${limit} bytes`);
}
