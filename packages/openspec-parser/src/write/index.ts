/** Proposal creation: pure rendering/planning here, the atomic disk write in `./fs.js`. */
export {
  DEFAULT_SCHEMA,
  DERIVED_ID_MAX_LENGTH,
  deriveChangeId,
  planCreateChange,
  renderChangeMetadata,
  renderProposal,
  renderTasks,
  validateChangeName,
  type CapabilityNote,
  type ChangeNameValidation,
  type CreateChangeCode,
  type CreateChangeInput,
  type CreateChangePlan,
  type ProposalInput,
  type TaskGroup,
} from './proposal';
