import { webhookRouteHandler } from "@/server/webhooks/next-route";

export const dynamic = "force-dynamic";

/** `POST /api/webhooks/github` through Next (`next dev`, tests); `workdeck serve` answers it in its edge. See server/webhooks/ingest.ts. */
export const POST = webhookRouteHandler(() => ({ source: "github" }));
