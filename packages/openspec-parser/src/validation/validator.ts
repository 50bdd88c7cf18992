// Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/core/validation/validator.js
//
// Differences from the original: reads an in-memory tree instead of the file system, and the
// archive dry-run ("Archive would refuse this delta") is delegated to ../archive/dry-run.js.
import { posix } from 'node:path';
import type { z } from 'zod';
import { archiveDryRun } from '../archive/dry-run';
import { discoverSpecFiles, findUnreadDeltaFiles, hasAnyFileUnder } from '../discovery';
import { MarkdownParser } from '../parsers/markdown-parser';
import {
  describeScenarioBalance,
  diffScenarioNames,
  extractRequirementsSection,
  foldRequirementName,
  normalizeRequirementName,
  parseDeltaSpec,
  type RenamePair,
  type RequirementBlock,
} from '../parsers/requirement-blocks';
import {
  containsShallOrMust as containsShallOrMustShared,
  countEmptyScenarios,
  countScenarios as countScenariosShared,
  extractRequirementBody,
} from '../parsers/requirement-text';
import { findMainSpecStructureIssues } from '../parsers/spec-structure';
import { METADATA_FILENAME, readSkipSpecsMarker, resolveTaskFilesForChange, usesBuiltInSpecDrivenSchema } from '../schemas';
import { CHANGES_DIR, SPECS_DIR, join, type OpenSpecTree } from '../tree';
import { SpecSchema, type Spec, type ValidationIssue, type ValidationReport } from '../types';
import { MAX_REQUIREMENT_TEXT_LENGTH, MIN_PURPOSE_LENGTH, VALIDATION_MESSAGES } from './constants';
import { findPurposePlaceholderIssue } from './purpose-placeholder';
import { findMissingTaskCheckboxIssues, type TaskDocument } from './task-checkboxes';
import { findTaskNumberingIssues } from './task-numbering';

export interface ValidatorOptions {
  strict?: boolean;
  /**
   * Absolute project root. Only used where the CLI puts an absolute path into a message
   * (a missing spec file's ENOENT text, an unreadable main spec).
   */
  rootPath?: string;
}

export interface ChangeValidationOptions {
  /** Check MODIFIED blocks against the main specs (scenario loss, archive dry-run). Default true. */
  checkMainSpecs?: boolean;
  /** Lint the tracked task files. Default true. */
  checkTasks?: boolean;
}

export class Validator {
  private readonly strictMode: boolean;
  private readonly rootPath: string;

  constructor(private readonly tree: OpenSpecTree, options: ValidatorOptions = {}) {
    this.strictMode = options.strict ?? false;
    this.rootPath = options.rootPath ?? '';
  }

  private absolute(treePath: string): string {
    return this.rootPath ? posix.join(this.rootPath, treePath) : treePath;
  }

  /** `validate <spec>`: the tree path of a main `spec.md`. */
  validateSpec(specFile: string): ValidationReport {
    const specName = extractNameFromPath(specFile);
    const content = this.tree.readFile(specFile);
    if (content === null) {
      // The CLI reports the raw fs error of readFileSync, absolute path included.
      const code = this.tree.isDir(specFile) ? 'EISDIR: illegal operation on a directory, read' : `ENOENT: no such file or directory, open '${this.absolute(specFile)}'`;
      return this.createReport([{ level: 'ERROR', path: 'file', message: this.enrichTopLevelError(specName, code) }]);
    }
    return this.validateSpecContent(specName, content);
  }

  /** Validate spec content from a string (archive validates rebuilt specs this way). */
  validateSpecContent(specName: string, content: string): ValidationReport {
    const issues: ValidationIssue[] = [];
    try {
      const spec = new MarkdownParser(content).parseSpec(specName);
      const result = SpecSchema.safeParse(spec);
      if (!result.success) issues.push(...this.convertZodErrors(result.error));
      issues.push(...this.applySpecRules(spec, content));
    } catch (error) {
      const baseMessage = error instanceof Error ? error.message : 'Unknown error';
      issues.push({ level: 'ERROR', path: 'file', message: this.enrichTopLevelError(specName, baseMessage) });
    }
    return this.createReport(issues);
  }

  /** `validate <change>`: delta specs and tracked task files (proposal.md is never read). */
  validateChangeDeltaSpecs(changeDir: string, options: ChangeValidationOptions = {}): ValidationReport {
    const checkMainSpecs = options.checkMainSpecs ?? true;
    const checkTasks = options.checkTasks ?? true;
    const tree = this.tree;
    const issues: ValidationIssue[] = [];
    const specsDir = join(changeDir, 'specs');
    let totalDeltas = 0;
    const missingHeaderSpecs: string[] = [];
    const emptySectionSpecs: Array<{ path: string; sections: string[] }> = [];

    const discoveredSpecs = discoverSpecFiles(tree, specsDir);
    // A spec.md at the specs/ root has no capability folder, so the merge path drops it (#1385).
    const hasRootLevelSpec = tree.isFile(join(specsDir, 'spec.md'));
    if (hasRootLevelSpec) {
      issues.push({
        level: 'ERROR',
        path: 'spec.md',
        message:
          'Delta spec found at specs/spec.md. Delta specs must live under a capability path (e.g. specs/<capability-path>/spec.md) — a file at the specs/ root is ignored when the change is applied or archived.',
      });
    }

    for (const { id: specId, specFile } of discoveredSpecs) {
      const content = tree.readFile(specFile);
      if (content === null) continue;
      const plan = parseDeltaSpec(content);
      const entryPath = specFile.slice(specsDir.length + 1);

      for (const stray of plan.skippedHeaders) {
        const nameless = /^requirement:?$/i.test(stray.header);
        issues.push({
          level: 'INFO',
          path: entryPath,
          line: stray.line,
          message: nameless
            ? `Header "### ${stray.header}" in ${stray.section} is missing a requirement name and is ignored by validation. Add a name, e.g. "### Requirement: <name>".`
            : `Header "### ${stray.header}" in ${stray.section} is not a "### Requirement:" header and is ignored by validation. Use "### Requirement: ${stray.header}" if it should be validated as a requirement.`,
        });
      }
      for (const unpaired of plan.unpairedRenames) {
        const missing = unpaired.side === 'FROM' ? 'TO' : 'FROM';
        issues.push({
          level: 'ERROR',
          path: entryPath,
          line: unpaired.line,
          message: `RENAMED ${unpaired.side}: "${unpaired.name}" has no matching ${missing}: line. Write each rename as a FROM: line followed immediately by its TO: line.`,
        });
      }
      for (const orphan of plan.orphanedRequirements) {
        const where = orphan.section ? `under "## ${orphan.section}"` : 'above the first "## " section';
        issues.push({
          level: 'WARNING',
          path: entryPath,
          line: orphan.line,
          message: `Requirement "${orphan.name}" is ${where}, which is not a delta section, so it is ignored. Move it under "## ADDED Requirements", "## MODIFIED Requirements", "## REMOVED Requirements", or "## RENAMED Requirements".`,
        });
      }

      const sectionNames: string[] = [];
      if (plan.sectionPresence.added) sectionNames.push('## ADDED Requirements');
      if (plan.sectionPresence.modified) sectionNames.push('## MODIFIED Requirements');
      if (plan.sectionPresence.removed) sectionNames.push('## REMOVED Requirements');
      if (plan.sectionPresence.renamed) sectionNames.push('## RENAMED Requirements');
      const hasEntries = plan.added.length + plan.modified.length + plan.removed.length + plan.renamed.length > 0;
      if (!hasEntries) {
        if (sectionNames.length > 0) emptySectionSpecs.push({ path: entryPath, sections: sectionNames });
        else missingHeaderSpecs.push(entryPath);
      }

      const addedNames = new Set<string>();
      const modifiedNames = new Set<string>();
      const removedNames = new Set<string>();
      const renamedFrom = new Set<string>();
      const renamedTo = new Set<string>();

      const checkBlock = (block: RequirementBlock, op: 'ADDED' | 'MODIFIED', names: Set<string>): void => {
        const key = normalizeRequirementName(block.name);
        totalDeltas++;
        if (names.has(key)) issues.push({ level: 'ERROR', path: entryPath, message: `Duplicate requirement in ${op}: "${block.name}"` });
        else names.add(key);
        const requirementText = this.extractRequirementText(block.raw);
        if (!requirementText) {
          issues.push({
            level: 'ERROR',
            path: entryPath,
            message: containsShallOrMustShared(block.name)
              ? this.buildMissingShallOrMustMessage(`${op} "${block.name}"`, block.name)
              : `${op} "${block.name}" is missing requirement text`,
          });
        } else if (!containsShallOrMustShared(requirementText)) {
          issues.push({ level: 'WARNING', path: entryPath, message: this.buildMissingShallOrMustMessage(`${op} "${block.name}"`, block.name, true) });
        }
        if (this.countScenarios(block.raw) < 1) {
          issues.push({ level: 'ERROR', path: entryPath, message: `${op} "${block.name}" must include at least one scenario${this.emptyScenarioHint(block.raw)}` });
        }
      };
      for (const block of plan.added) checkBlock(block, 'ADDED', addedNames);
      for (const block of plan.modified) checkBlock(block, 'MODIFIED', modifiedNames);

      // Archive's scenario-loss guard, run at authoring time (#1477).
      if (checkMainSpecs && plan.modified.length > 0) {
        issues.push(...this.findScenarioLossIssues(plan.modified, plan.renamed, join(SPECS_DIR, specId, 'spec.md'), entryPath));
      }

      for (const name of plan.removed) {
        const key = normalizeRequirementName(name);
        totalDeltas++;
        if (removedNames.has(key)) issues.push({ level: 'ERROR', path: entryPath, message: `Duplicate requirement in REMOVED: "${name}"` });
        else removedNames.add(key);
      }
      for (const { from, to } of plan.renamed) {
        const fromKey = normalizeRequirementName(from);
        const toKey = normalizeRequirementName(to);
        totalDeltas++;
        if (renamedFrom.has(fromKey)) issues.push({ level: 'ERROR', path: entryPath, message: `Duplicate FROM in RENAMED: "${from}"` });
        else renamedFrom.add(fromKey);
        if (renamedTo.has(toKey)) issues.push({ level: 'ERROR', path: entryPath, message: `Duplicate TO in RENAMED: "${to}"` });
        else renamedTo.add(toKey);
      }

      for (const n of modifiedNames) {
        if (removedNames.has(n)) issues.push({ level: 'ERROR', path: entryPath, message: `Requirement present in both MODIFIED and REMOVED: "${n}"` });
        if (addedNames.has(n)) issues.push({ level: 'ERROR', path: entryPath, message: `Requirement present in both MODIFIED and ADDED: "${n}"` });
      }
      for (const n of addedNames) {
        if (removedNames.has(n)) issues.push({ level: 'ERROR', path: entryPath, message: `Requirement present in both ADDED and REMOVED: "${n}"` });
      }
      for (const { from, to } of plan.renamed) {
        const fromKey = normalizeRequirementName(from);
        const toKey = normalizeRequirementName(to);
        if (modifiedNames.has(fromKey)) {
          issues.push({ level: 'ERROR', path: entryPath, message: `MODIFIED references old name from RENAMED. Use new header for "${to}"` });
        }
        if (addedNames.has(toKey)) issues.push({ level: 'ERROR', path: entryPath, message: `RENAMED TO collides with ADDED for "${to}"` });
        // Folded: a case/whitespace variant in REMOVED is the same contradiction.
        const removedFoldMatch = [...removedNames].find((r) => foldRequirementName(r) === foldRequirementName(fromKey));
        if (removedFoldMatch !== undefined) {
          issues.push({
            level: 'ERROR',
            path: entryPath,
            message:
              `Requirement present in both RENAMED and REMOVED: "${from}"` +
              (removedFoldMatch === fromKey ? '' : ` (REMOVED spells it "${removedFoldMatch}")`),
          });
        }
      }
    }

    // Archive dry run: INFO only, and never for a delta already rejected above.
    if (checkMainSpecs && changeDir.startsWith(`${CHANGES_DIR}/`)) {
      const alreadyReportedPaths = [
        ...issues.filter((i) => i.level === 'ERROR').map((i) => i.path),
        ...missingHeaderSpecs,
        ...emptySectionSpecs.map((s) => s.path),
      ];
      issues.push(...archiveDryRun(tree, changeDir.slice(CHANGES_DIR.length + 1), { alreadyReportedPaths, rootPath: this.rootPath }));
    }

    const unreadDeltaFiles = findUnreadDeltaFiles(tree, specsDir);
    for (const file of unreadDeltaFiles) {
      issues.push({
        level: 'ERROR',
        path: file.path,
        message: `Delta spec found at specs/${file.path}. Delta specs must be a spec.md inside a capability folder — this file is ignored when the change is applied or archived. Move its requirements into specs/${file.expected}.`,
      });
    }
    for (const { path, sections } of emptySectionSpecs) {
      issues.push({
        level: 'ERROR',
        path,
        message: `Delta sections ${formatSectionList(sections)} were found, but no requirement entries parsed. Ensure each section includes at least one "### Requirement:" block (REMOVED may use bullet list syntax).`,
      });
    }
    for (const path of missingHeaderSpecs) {
      issues.push({
        level: 'ERROR',
        path,
        message: 'No delta sections found. Add headers such as "## ADDED Requirements" or move non-delta notes outside specs/.',
      });
    }

    const marker = readSkipSpecsMarker(tree, changeDir);
    if (marker.invalidReason) {
      issues.push({ level: 'ERROR', path: METADATA_FILENAME, message: formatInvalidMarkerMessage(marker.invalidReason) });
    }
    // ANY file under specs/ contradicts the marker, not just parsed deltas.
    const skipSpecs = marker.declared;
    const specsDirHasFiles = skipSpecs ? hasAnyFileUnder(tree, specsDir) || (tree.exists(specsDir) && !tree.isDir(specsDir)) : false;
    if (skipSpecs && specsDirHasFiles) {
      issues.push({ level: 'ERROR', path: 'file', message: VALIDATION_MESSAGES.CHANGE_SKIP_SPECS_CONFLICT });
    }
    // The root-level and unread-file errors already name the file; "no deltas" would contradict them.
    if (totalDeltas === 0 && !hasRootLevelSpec && unreadDeltaFiles.length === 0) {
      if (skipSpecs && !specsDirHasFiles) {
        issues.push({ level: 'INFO', path: 'file', message: VALIDATION_MESSAGES.CHANGE_SKIP_SPECS_ACCEPTED });
      } else if (!skipSpecs) {
        issues.push({ level: 'ERROR', path: 'file', message: this.enrichTopLevelError('change', VALIDATION_MESSAGES.CHANGE_NO_DELTAS) });
      }
    }
    if (checkTasks) issues.push(...this.collectTaskFileIssues(changeDir));
    return this.createReport(issues);
  }

  /**
   * Checkbox formatting over the schema's tracked task files (never a bare fallback tasks.md);
   * numbering only for the built-in spec-driven schema.
   */
  private collectTaskFileIssues(changeDir: string): ValidationIssue[] {
    const trackedFiles = resolveTaskFilesForChange(this.tree, changeDir);
    const files = trackedFiles.length > 0 ? trackedFiles : [join(changeDir, 'tasks.md')];
    const documents: TaskDocument[] = [];
    let unreadable = 0;
    for (const file of files) {
      const content = this.tree.readFile(file);
      if (content === null) {
        if (this.tree.exists(file)) unreadable++;
        continue;
      }
      documents.push({ path: file.slice(changeDir.length + 1), content });
    }
    documents.sort((a, b) => a.path.localeCompare(b.path));
    const issues: ValidationIssue[] = [];
    const toWarning = (f: { path: string; line?: number; message: string }): ValidationIssue => ({
      level: 'WARNING',
      path: f.path,
      line: f.line,
      message: f.message,
    });
    if (trackedFiles.length > 0 && unreadable === 0) issues.push(...findMissingTaskCheckboxIssues(documents).map(toWarning));
    if (usesBuiltInSpecDrivenSchema(this.tree, changeDir)) issues.push(...findTaskNumberingIssues(documents).map(toWarning));
    return issues;
  }

  /**
   * MODIFIED blocks that omit a scenario the main spec still has. Silent when the main spec or the
   * header is absent (archive is the gate for that).
   */
  private findScenarioLossIssues(modified: RequirementBlock[], renamed: RenamePair[], mainSpecFile: string, entryPath: string): ValidationIssue[] {
    const mainContent = this.tree.readFile(mainSpecFile);
    if (mainContent === null) {
      if (!this.tree.isDir(mainSpecFile)) return [];
      return [
        {
          level: 'ERROR',
          path: entryPath,
          message:
            `Could not read ${this.absolute(mainSpecFile)} to check the MODIFIED requirements against it ` +
            '(EISDIR). Archive reads the same file, so fix the file before archiving.',
        },
      ];
    }
    const currentBlocks = new Map<string, RequirementBlock>();
    for (const block of extractRequirementsSection(mainContent).bodyBlocks) currentBlocks.set(normalizeRequirementName(block.name), block);
    // Archive applies RENAMED first; walk rename chains back to the block a MODIFIED replaces.
    const renamedFrom = new Map(renamed.map(({ from, to }) => [normalizeRequirementName(to), normalizeRequirementName(from)]));
    const currentBlockFor = (name: string): RequirementBlock | undefined => {
      const visited = new Set<string>();
      let key: string | undefined = name;
      while (key !== undefined && !visited.has(key)) {
        const block = currentBlocks.get(key);
        if (block) return block;
        visited.add(key);
        key = renamedFrom.get(key);
      }
      return undefined;
    };
    const renamedAway = new Set(renamed.map(({ from }) => normalizeRequirementName(from)));
    const issues: ValidationIssue[] = [];
    for (const block of modified) {
      const key = normalizeRequirementName(block.name);
      if (renamedAway.has(key)) continue;
      const current = currentBlockFor(key);
      if (!current) continue;
      const diff = diffScenarioNames(current, block);
      if (diff.missing.length === 0) continue;
      issues.push({
        level: 'ERROR',
        path: entryPath,
        message:
          `MODIFIED "${block.name}" omits scenario(s) the current spec still has: ` +
          `${diff.missing.map((name) => `"${name}"`).join(', ')}. ` +
          `${describeScenarioBalance(diff)} ` +
          'Copy the omitted scenarios into the MODIFIED block (a MODIFIED requirement replaces the whole block, so archive refuses to drop them).',
      });
    }
    return issues;
  }

  private convertZodErrors(error: z.ZodError): ValidationIssue[] {
    return error.issues.map((err) => {
      let message = err.message;
      if (message === VALIDATION_MESSAGES.CHANGE_NO_DELTAS) message = `${message}. ${VALIDATION_MESSAGES.GUIDE_NO_DELTAS}`;
      return { level: 'ERROR', path: err.path.map(String).join('.'), message };
    });
  }

  private applySpecRules(spec: Spec, content: string): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    for (const s of findMainSpecStructureIssues(content)) issues.push({ level: 'ERROR', path: 'file', line: s.line, message: s.message });
    // The placeholder is longer than MIN_PURPOSE_LENGTH, so it is reported on its own terms.
    const placeholder = findPurposePlaceholderIssue(spec.overview, content);
    if (placeholder) {
      issues.push({ level: 'WARNING', path: 'overview', line: placeholder.line, message: VALIDATION_MESSAGES.PURPOSE_IS_PLACEHOLDER });
    } else if (spec.overview.length < MIN_PURPOSE_LENGTH) {
      issues.push({ level: 'WARNING', path: 'overview', message: VALIDATION_MESSAGES.PURPOSE_TOO_BRIEF });
    }
    spec.requirements.forEach((req, index) => {
      if (req.text.length > MAX_REQUIREMENT_TEXT_LENGTH) {
        issues.push({ level: 'INFO', path: `requirements[${index}]`, message: VALIDATION_MESSAGES.REQUIREMENT_TOO_LONG });
      }
      if (req.scenarios.length === 0) {
        issues.push({
          level: 'WARNING',
          path: `requirements[${index}].scenarios`,
          message: `${VALIDATION_MESSAGES.REQUIREMENT_NO_SCENARIOS}. ${VALIDATION_MESSAGES.GUIDE_SCENARIO_FORMAT}`,
        });
      }
    });
    // SHALL/MUST body check over the strict reader's blocks; indices are that reader's, not the
    // section parser's (the two can disagree — matched as-is).
    extractRequirementsSection(content).bodyBlocks.forEach((block, index) => {
      const requirementText = this.extractRequirementText(block.raw);
      if (!requirementText) {
        issues.push({ level: 'ERROR', path: `requirements[${index}]`, message: this.buildMissingShallOrMustMessage(`Requirement "${block.name}"`, block.name) });
      } else if (!containsShallOrMustShared(requirementText)) {
        issues.push({
          level: 'WARNING',
          path: `requirements[${index}]`,
          message: this.buildMissingShallOrMustMessage(`Requirement "${block.name}"`, block.name, true),
        });
      }
    });
    return issues;
  }

  enrichTopLevelError(_itemId: string, baseMessage: string): string {
    const msg = baseMessage.trim();
    if (msg === VALIDATION_MESSAGES.CHANGE_NO_DELTAS) return `${msg}. ${VALIDATION_MESSAGES.GUIDE_NO_DELTAS}`;
    if (msg.includes('Spec must have a Purpose section') || msg.includes('Spec must have a Requirements section')) {
      return `${msg}. ${VALIDATION_MESSAGES.GUIDE_MISSING_SPEC_SECTIONS}`;
    }
    if (msg.includes('Change must have a Why section') || msg.includes('Change must have a What Changes section')) {
      return `${msg}. ${VALIDATION_MESSAGES.GUIDE_MISSING_CHANGE_SECTIONS}`;
    }
    return msg;
  }

  createReport(issues: ValidationIssue[]): ValidationReport {
    const errors = issues.filter((i) => i.level === 'ERROR').length;
    const warnings = issues.filter((i) => i.level === 'WARNING').length;
    const info = issues.filter((i) => i.level === 'INFO').length;
    const valid = this.strictMode ? errors === 0 && warnings === 0 : errors === 0;
    return { valid, issues, summary: { errors, warnings, info } };
  }

  /** Body text without the header-title fallback, so a keyword only in the header gets the hint. */
  private extractRequirementText(blockRaw: string): string | undefined {
    const [, ...bodyLines] = blockRaw.split('\n');
    return extractRequirementBody(bodyLines) || undefined;
  }

  private buildMissingShallOrMustMessage(prefix: string, blockName: string, guidanceOnly = false): string {
    const base = `${prefix} ${guidanceOnly ? 'should' : 'must'} contain SHALL or MUST`;
    const suffix = guidanceOnly ? ' (RFC 2119 best practice for English specs)' : '';
    if (containsShallOrMustShared(blockName)) {
      return `${base} in the requirement body, not only in the header. Move the SHALL/MUST statement to the line immediately after the "### Requirement: ..." header.${suffix}`;
    }
    return `${base}${suffix}`;
  }

  private countScenarios(blockRaw: string): number {
    return countScenariosShared(blockRaw.split('\n').slice(1));
  }

  private emptyScenarioHint(blockRaw: string): string {
    if (countEmptyScenarios(blockRaw.split('\n').slice(1)) === 0) return '';
    return ' (a scenario header with no body under it does not count; add its steps, e.g. "- **WHEN** ..." and "- **THEN** ...")';
  }
}

function formatInvalidMarkerMessage(invalidReason: string): string {
  return `${VALIDATION_MESSAGES.CHANGE_SKIP_SPECS_INVALID_METADATA} (${invalidReason})`;
}

function formatSectionList(sections: string[]): string {
  if (sections.length === 0) return '';
  if (sections.length === 1) return sections[0];
  return `${sections.slice(0, -1).join(', ')} and ${sections[sections.length - 1]}`;
}

/** The folder after the last `specs`/`changes` segment (so a nested spec id yields its first segment). */
export function extractNameFromPath(filePath: string): string {
  const parts = filePath.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    if ((parts[i] === 'specs' || parts[i] === 'changes') && i < parts.length - 1) return parts[i + 1];
  }
  const fileName = parts[parts.length - 1] ?? '';
  const dotIndex = fileName.lastIndexOf('.');
  return dotIndex > 0 ? fileName.slice(0, dotIndex) : fileName;
}
