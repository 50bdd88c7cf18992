import { transformer } from "@/lib/trpc/transformer";

/**
 * The worker's calls to its server (issue 14): tRPC mutations over plain HTTP with the bearer
 * token, with the same transformer the server uses. A failure says in one line what a person
 * can act on (unreachable, refused token, a procedure's own error) and whether retrying helps.
 */
export class WorkerCallError extends Error {
  constructor(
    message: string,
    /** The tRPC code (`FORBIDDEN`, `CONFLICT`, …), or null when the server was not reached or answered oddly. */
    readonly code: string | null,
    /** Worth retrying: the server is down, restarting or overloaded, not refusing this call. */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

type TrpcError = { message?: string; data?: { code?: string; httpStatus?: number } };

export class WorkerClient {
  private readonly base: string;

  constructor(
    server: string,
    private readonly token: string | undefined,
  ) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new Error(`--server ${JSON.stringify(server)} is not a URL (e.g. http://workdeck.internal:3000)`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new Error(`--server must be an http:// or https:// URL, not ${url.protocol}`);
    this.base = url.origin + url.pathname.replace(/\/$/, "");
  }

  get url(): string {
    return this.base;
  }

  async call<T>(procedure: string, input: unknown, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/trpc/${procedure}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: JSON.stringify(transformer.serialize(input)),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new WorkerCallError(`cannot reach ${this.base} (${cause?.code ?? cause?.message ?? (err as Error).message})`, null, true);
    }
    if (res.status === 401)
      throw new WorkerCallError(
        `${this.base} refused the token (401): pass --token or set WORKDECK_TOKEN to the server's token`,
        "UNAUTHORIZED",
        true,
      );
    const text = await res.text();
    let body: { result?: { data: unknown }; error?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new WorkerCallError(`${this.base} answered ${res.status} without JSON: is it a Workdeck server?`, null, true);
    }
    if (res.ok && body.result) return transformer.deserialize<T>(body.result.data);
    const error = (transformer.deserialize<TrpcError | undefined>(body.error) ?? {}) as TrpcError;
    const code = error.data?.code ?? null;
    const transient = res.status >= 500 || res.status === 404 || res.status === 429;
    throw new WorkerCallError(`${procedure}: ${error.message ?? `HTTP ${res.status}`}`, code, transient);
  }
}
