import { AppError } from "../app-error";

/**
 * A request body as it arrives, chunk by chunk, counted as it goes: past the limit the upload is
 * cancelled and PAYLOAD_TOO_LARGE thrown, with or without a Content-Length, and nothing ever holds
 * the whole body. A consumer that stops early (an error downstream) cancels the upload too.
 */
export async function* streamBodyWithLimit(request: Request, limitBytes: number): AsyncGenerator<Uint8Array, void, undefined> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  if (!request.body) return;
  const reader = request.body.getReader();
  let total = 0;
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      total += value.byteLength;
      if (total > limitBytes) throw tooLarge(limitBytes);
      yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
}

/** The whole body, for small payloads (hooks): the same limit, counted as bytes arrive. */
export async function readBodyWithLimit(request: Request, limitBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of streamBodyWithLimit(request, limitBytes)) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    body.set(c, offset);
    offset += c.byteLength;
  }
  return body;
}

function tooLarge(limit: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds the limit of ${limit} bytes`);
}
