/**
 * Errors are values at the edges: services throw AppError with a code the
 * transport maps (tRPC code, HTTP status, CLI exit) and a message a person
 * can act on.
 */
export type AppErrorCode =
  "BAD_REQUEST" | "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "UNAUTHORIZED" | "PAYLOAD_TOO_LARGE" | "UNPROCESSABLE" | "INTERNAL";

/** A brand that survives module duplication: Next bundles route handlers
 * separately from the runtime loaded through tsx, so `instanceof AppError`
 * fails across the two copies of this class. Use isAppError instead. */
const APP_ERROR = Symbol.for("workdeck.AppError");

export class AppError extends Error {
  readonly [APP_ERROR] = true;

  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** Machine-readable reason, e.g. the official OpenSpec status code. */
    readonly reason?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const HTTP_STATUS: Record<AppErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNPROCESSABLE: 422,
  INTERNAL: 500,
};

export function isAppError(value: unknown): value is AppError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[APP_ERROR] === true;
}
