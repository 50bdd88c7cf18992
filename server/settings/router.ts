import { getSettings, notificationService } from "../notifications/settings";
import { SendTestInputSchema } from "@/lib/schemas/notifications";
import { SendTestHookInputSchema } from "@/lib/schemas/agents";
import { sendTestHookEvent } from "../agents/hook-test";
import { createTRPCRouter, publicProcedure } from "../trpc/init";

export const settingsRouter = createTRPCRouter({
  /** Effective configuration (secrets as env var names), hooks per project, notification targets, recent deliveries. */
  get: publicProcedure.query(({ ctx }) => getSettings(ctx.runtime)),

  /** Runs the project's installed hook command with a test event; says whether it reached this server. */
  sendTestHookEvent: publicProcedure.input(SendTestHookInputSchema).mutation(({ ctx, input }) => sendTestHookEvent(ctx.runtime, input)),

  /** Sends a test message to one target (or every target) now and returns the recorded deliveries. */
  sendTestNotification: publicProcedure
    .input(SendTestInputSchema.optional())
    .mutation(({ ctx, input }) => notificationService(ctx.runtime).sendTest(input ?? {})),
});
