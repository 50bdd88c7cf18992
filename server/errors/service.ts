/**
 * The errors domain's reads and human actions (the errors router, MCP and `workdeck errors`):
 * listing.ts (list SQL, one group, stats), triage.ts (decisions, sessions, re-classification),
 * proposal.ts (spec proposals from failures). Ingest lives in ./ingest.ts.
 */
export { listFailures, getFailure, stats, failureSummaries, type FailureSummary } from "./listing";
export { triageFailure, assignSession, classifyFailure, type ClassifyFailureResult } from "./triage";
export { proposalDraft, createSpecProposal, linkProposal, type ProposalDeps } from "./proposal";
