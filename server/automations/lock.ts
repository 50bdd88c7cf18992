/**
 * The automations' lock (issue 15) became the general leader lock of issue 14 (server/leader.ts):
 * the runtime passes its election's lock to startBackground, so the Railway poller and the
 * automations run in the one process that runs every other background job.
 */
export { LeaderLock as IntegrationLock } from "../leader";
