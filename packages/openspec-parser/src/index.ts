/**
 * @workdeck/openspec-parser — pure API (no file-system access): parse, list, show and validate an
 * OpenSpec root held in an in-memory OpenSpecTree, answering exactly like @fission-ai/openspec
 * 1.13.2. Read a folder into a tree with `@workdeck/openspec-parser/fs`.
 */
export * from './types';
export { OpenSpecTree, join as treeJoin, type TreeEntry, type TreeSnapshot, type TreeStat } from './tree';
export { MarkdownParser, type Section } from './parsers/markdown-parser';
export { ChangeParser, type DeltaSpecFile } from './parsers/change-parser';
export * from './parsers/requirement-blocks';
export { containsShallOrMust, extractRequirementBody, extractRequirementText } from './parsers/requirement-text';
export { findMainSpecStructureIssues } from './parsers/spec-structure';
export { buildCodeFenceMask } from './parsers/code-fence';
export {
  describeNestedChange,
  discoverSpecFiles,
  findNestedChangesIn,
  getActiveChangeIds,
  getArchivedChangeIds,
  getSpecIds,
  nearestMatches,
} from './discovery';
export { listChanges, listSpecs, type ChangeList, type ChangeSort } from './list';
export { countTasksFromContent, formatTaskStatus, getTaskProgressForChange, getTasksForChange, parseTaskLines } from './tasks';
export { extractChangeTitle, ShowError, showChange, showSpec, type ShownChange, type ShownSpec } from './show';
export { Validator } from './validation/validator';
export { VALIDATION_MESSAGES } from './validation/constants';
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
} from './validate';
export {
  getChangeDetailsFromTree,
  getSpecDetailsFromTree,
  readChangeTitlesFromTree,
  type ChangeDetails,
  type SpecDetails,
} from './details';
export * from './archive/index';
export * from './write/index';
