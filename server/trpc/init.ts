/**
 * tRPC server setup.
 *
 * 1. CONTEXT: what every procedure can use (the runtime's services).
 * 2. INITIALISATION: transformer, error shape, SSE settings.
 * 3. ROUTERS AND PROCEDURES: the building blocks routers are made of.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { transformer } from "@/lib/trpc/transformer";
import { isAppError, type AppErrorCode } from "../app-error";
import type { Runtime } from "../runtime";

// 1. CONTEXT

export type TrpcContext = { runtime: Runtime };

export function createContext(runtime: Runtime): TrpcContext {
  return { runtime };
}

// 2. INITIALISATION

const TRPC_CODE: Record<AppErrorCode, TRPCError["code"]> = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNPROCESSABLE: "UNPROCESSABLE_CONTENT",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

const t = initTRPC.context<TrpcContext>().create({
  transformer,
  errorFormatter({ shape, error }) {
    const app = isAppError(error.cause) ? error.cause : null;
    // By name, not instanceof: the runtime and the route bundle may hold different copies of zod.
    const zod =
      error.cause?.name === "ZodError" ? (error.cause as unknown as { issues: { path: PropertyKey[]; message: string }[] }) : null;
    return {
      ...shape,
      data: {
        ...shape.data,
        // Stack traces stay on the server.
        stack: undefined,
        reason: app?.reason ?? null,
        details: app?.details ?? null,
        zodIssues: zod ? zod.issues.map((i) => ({ path: i.path.map(String), message: i.message })) : null,
      },
    };
  },
  sse: {
    // Proxies and the browser drop silent connections; a ping keeps them open
    // and lets the client notice a dead server and reconnect.
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
});

/** Turns service errors (AppError) into typed tRPC errors with the same message. */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isAppError(result.error.cause)) {
    const cause = result.error.cause;
    return { ...result, error: new TRPCError({ code: TRPC_CODE[cause.code], message: cause.message, cause }) };
  }
  return result;
});

// 3. ROUTERS AND PROCEDURES

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(appErrors);
