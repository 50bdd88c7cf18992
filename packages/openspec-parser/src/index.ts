/**
 * @workdeck/openspec-parser — pure API (no file-system access): parse, list, show and validate an
 * OpenSpec root held in an in-memory OpenSpecTree, answering exactly like @fission-ai/openspec
 * 1.13.2. Read a folder into a tree with `@workdeck/openspec-parser/fs`.
 */
export * from './types.js';
export { OpenSpecTree, join as treeJoin, type TreeEntry, type TreeSnapshot, type TreeStat } from './tree.js';
export { MarkdownParser, type Section } from './parsers/markdown-parser.js';
export { ChangeParser, type DeltaSpecFile } from './parsers/change-parser.js';
export * from './parsers/requirement-blocks.js';
export { containsShallOrMust, extractRequirementBody, extractRequirementText } from './parsers/requirement-text.js';
export { findMainSpecStructureIssues } from './parsers/spec-structure.js';
export { buildCodeFenceMask } from './parsers/code-fence.js';
export {
  describeNestedChange,
  discoverSpecFiles,
  findNestedChangesIn,
  getActiveChangeIds,
  getArchivedChangeIds,
  getSpecIds,
  nearestMatches,
} from './discovery.js';
export { listChanges, listSpecs, type ChangeList, type ChangeSort } from './list.js';
export { countTasksFromContent, formatTaskStatus, getTaskProgressForChange, getTasksForChange, parseTaskLines } from './tasks.js';
export { extractChangeTitle, ShowError, showChange, showSpec, type ShownChange, type ShownSpec } from './show.js';
export { Validator } from './validation/validator.js';
export { VALIDATION_MESSAGES } from './validation/constants.js';
export {
  projectValidationFindings,
  runValidate,
  validateArchived,
  validateBulk,
  validateChangeReport,
  validateItem,
  validateSpecReport,
  type ValidationEnvelope,
  type ValidationFindingsEnvelope,
} from './validate.js';
export {
  getChangeDetailsFromTree,
  getSpecDetailsFromTree,
  readChangeTitlesFromTree,
  type ChangeDetails,
  type SpecDetails,
} from './details.js';
export * from './archive/index.js';
export * from './write/index.js';
