/**
 * Proposal creation, pure half. Behaviour follows @fission-ai/openspec 1.13.2 (MIT),
 * dist/utils/change-utils.js (validateChangeName, createChange's metadata) and the
 * spec-driven schema's templates (schemas/spec-driven/templates/proposal.md, tasks.md).
 *
 * One deliberate difference from the template: the proposal's H1 is the title
 * itself, not the literal `# Proposal`, because `openspec show` reports the
 * H1 as the change's title (and `# Proposal` as the bare id).
 */
import { stringify as stringifyYaml } from 'yaml';
import { listSchemas, readProjectSchemaName } from '../schemas';
import { CHANGES_DIR, join, type OpenSpecTree } from '../tree';
import { formatLocalDate } from '../archive/plan';

export const DEFAULT_SCHEMA = 'spec-driven';
/** Longest id `deriveChangeId` produces; the CLI's own limit is 200. */
export const DERIVED_ID_MAX_LENGTH = 64;
const KEBAB_ID_REGEX = /^[a-z0-9]+(?:-[a-z0-9]+)*$/u;

export type ChangeNameValidation = { valid: true } | { valid: false; error: string };

/** The official `openspec new change <name>` name check, messages verbatim. */
export function validateChangeName(name: string): ChangeNameValidation {
  if (!name) return { valid: false, error: 'Change name cannot be empty' };
  // Directory components cap at 255 bytes and archive prepends a date prefix.
  if (name.length > 200) return { valid: false, error: 'Change name is too long (200 characters max)' };
  if (!KEBAB_ID_REGEX.test(name)) {
    if (/[A-Z]/.test(name)) return { valid: false, error: 'Change name must be lowercase (use kebab-case)' };
    if (/\s/.test(name)) return { valid: false, error: 'Change name cannot contain spaces (use hyphens instead)' };
    if (/_/.test(name)) return { valid: false, error: 'Change name cannot contain underscores (use hyphens instead)' };
    if (name.startsWith('-')) return { valid: false, error: 'Change name cannot start with a hyphen' };
    if (name.endsWith('-')) return { valid: false, error: 'Change name cannot end with a hyphen' };
    if (/--/.test(name)) return { valid: false, error: 'Change name cannot contain consecutive hyphens' };
    if (/[^a-z0-9-]/.test(name)) {
      return { valid: false, error: 'Change name can only contain lowercase letters, numbers, and hyphens' };
    }
    return { valid: false, error: 'Change name must follow kebab-case convention (e.g., add-auth, refactor-db)' };
  }
  return { valid: true };
}

/**
 * A kebab-case change id from a free-text title ("Add 2FA to Login!" →
 * `add-2fa-to-login`): accents folded, every other non-alphanumeric run
 * becomes one hyphen, cut at a word boundary to DERIVED_ID_MAX_LENGTH.
 * Always passes `validateChangeName`; a title with no usable character
 * yields `change`.
 */
export function deriveChangeId(title: string, maxLength = DERIVED_ID_MAX_LENGTH): string {
  const folded = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[æÆ]/g, 'ae')
    .replace(/[øØ]/g, 'o')
    .toLowerCase();
  let id = folded.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const limit = Math.max(1, Math.min(maxLength, 200));
  if (id.length > limit) {
    const cut = id.slice(0, limit + 1);
    const lastHyphen = cut.lastIndexOf('-');
    id = (lastHyphen > 0 ? cut.slice(0, lastHyphen) : id.slice(0, limit)).replace(/-+$/, '');
  }
  return id || 'change';
}

export interface CapabilityNote {
  /** Capability path under openspec/specs (e.g. `auth` or `platform/auth`). */
  id: string;
  description?: string;
}

export interface ProposalInput {
  title: string;
  why: string;
  /** Markdown; a placeholder comment is written when empty (show needs a non-empty section). */
  whatChanges?: string;
  capabilities?: { new?: CapabilityNote[]; modified?: CapabilityNote[] };
  impact?: string;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const block = (text: string) => text.replace(/\r\n?/g, '\n').trim();

function capabilityLines(list: CapabilityNote[] | undefined, empty: string): string {
  if (!list || list.length === 0) return empty;
  return list.map((c) => `- \`${oneLine(c.id)}\`${c.description ? `: ${oneLine(c.description)}` : ''}`).join('\n');
}

/** proposal.md in the spec-driven 1.x layout (Why, What Changes, Capabilities, Impact). */
export function renderProposal(input: ProposalInput): string {
  const title = oneLine(input.title);
  const whatChanges = block(input.whatChanges ?? '') || '<!-- Describe what will change. Be specific about new capabilities, modifications, or removals. -->';
  const parts = [`# ${title}`, '## Why', block(input.why), '## What Changes', whatChanges];
  if (input.capabilities && ((input.capabilities.new?.length ?? 0) > 0 || (input.capabilities.modified?.length ?? 0) > 0)) {
    parts.push(
      '## Capabilities',
      '### New Capabilities',
      capabilityLines(input.capabilities.new, '<!-- None. -->'),
      '### Modified Capabilities',
      capabilityLines(input.capabilities.modified, '<!-- None. -->'),
    );
  }
  parts.push('## Impact', block(input.impact ?? '') || '<!-- Affected code, APIs, dependencies, systems -->');
  return parts.join('\n\n') + '\n';
}

export interface TaskGroup {
  title: string;
  tasks: string[];
}

/**
 * tasks.md in the template layout: `## N. Group` and `- [ ] N.M Task`
 * (numbering the CLI's task-numbering lint accepts). A flat list becomes one
 * group called "Implementation".
 */
export function renderTasks(tasks: string[] | TaskGroup[]): string {
  const groups: TaskGroup[] =
    tasks.length > 0 && typeof tasks[0] === 'string'
      ? [{ title: 'Implementation', tasks: tasks as string[] }]
      : (tasks as TaskGroup[]);
  const sections = groups
    .filter((g) => g.tasks.length > 0)
    .map((g, gi) => {
      const lines = g.tasks.map((t, ti) => `- [ ] ${gi + 1}.${ti + 1} ${oneLine(t)}`);
      return `## ${gi + 1}. ${oneLine(g.title)}\n\n${lines.join('\n')}`;
    });
  return ['# Tasks', ...sections].join('\n\n') + '\n';
}

/** `.openspec.yaml` as `openspec new change` writes it (yaml.stringify of {schema, created}). */
export function renderChangeMetadata(schema: string, created: string): string {
  return stringifyYaml({ schema, created });
}

export interface CreateChangeInput extends ProposalInput {
  /** Explicit id; derived from the title when absent. */
  id?: string;
  tasks?: string[] | TaskGroup[];
}

export type CreateChangeCode = 'change_exists' | 'change_name_invalid';

export type CreateChangePlan =
  | { ok: false; code: CreateChangeCode; message: string }
  | {
      ok: true;
      id: string;
      /** Tree path of the new change directory. */
      dir: string;
      schema: string;
      /** File name (relative to the change dir) → content. */
      files: Record<string, string>;
    };

/**
 * Decide the files of a new change. Refuses an invalid id (official
 * messages) and an id already present under `changes/` (any entry kind).
 */
export function planCreateChange(tree: OpenSpecTree, input: CreateChangeInput, now: Date): CreateChangePlan {
  const explicit = input.id?.trim();
  const id = explicit ? explicit : deriveChangeId(input.title);
  const validation = validateChangeName(id);
  if (!validation.valid) return { ok: false, code: 'change_name_invalid', message: validation.error };
  if (id === 'archive') {
    return { ok: false, code: 'change_name_invalid', message: "Change name 'archive' is reserved for archived changes" };
  }
  const dir = join(CHANGES_DIR, id);
  if ((tree.readdir(CHANGES_DIR) ?? []).some((e) => e.name === id)) {
    return { ok: false, code: 'change_exists', message: `Change '${id}' already exists at openspec/changes/${id}` };
  }
  // The project's configured schema when it resolves, like `openspec new change`.
  const configured = readProjectSchemaName(tree);
  const schema = configured && listSchemas(tree).includes(configured) ? configured : DEFAULT_SCHEMA;
  const files: Record<string, string> = {
    '.openspec.yaml': renderChangeMetadata(schema, formatLocalDate(now)),
    'proposal.md': renderProposal(input),
  };
  if (input.tasks && input.tasks.length > 0) files['tasks.md'] = renderTasks(input.tasks);
  return { ok: true, id, dir, schema, files };
}
