/**
 * Proposal creation, pure half: the change-name rules `openspec new change`
 * applies (observed on the binary: same order, same messages), id derivation
 * from a title (Workdeck's own), the files a new change gets, and the plan.
 */
import type { OpenSpecTree } from '../tree';
import type { ValidationIssue } from '../schemas';
import { changeIssues } from '../validate';
import { overlayTree } from './delta';

export const DEFAULT_SCHEMA = 'spec-driven';
/** Derived ids stay short enough to read in a list; explicit ids may go to the CLI's 200. */
export const DERIVED_ID_MAX_LENGTH = 64;
const NAME_MAX_LENGTH = 200;

export type ChangeNameValidation = { valid: true } | { valid: false; error: string };

// First failing rule wins, in the order the CLI checks them (e.g. `a b_` is a spaces error, `a.-` an end-hyphen one).
const NAME_RULES: Array<[(name: string) => boolean, string]> = [
  [(n) => n.length > NAME_MAX_LENGTH, `Change name is too long (${NAME_MAX_LENGTH} characters max)`],
  [(n) => /[A-Z]/.test(n), 'Change name must be lowercase (use kebab-case)'],
  [(n) => /\s/.test(n), 'Change name cannot contain spaces (use hyphens instead)'],
  [(n) => n.includes('_'), 'Change name cannot contain underscores (use hyphens instead)'],
  [(n) => n.startsWith('-'), 'Change name cannot start with a hyphen'],
  [(n) => n.endsWith('-'), 'Change name cannot end with a hyphen'],
  [(n) => n.includes('--'), 'Change name cannot contain consecutive hyphens'],
  [(n) => !/^[a-z0-9-]+$/.test(n), 'Change name can only contain lowercase letters, numbers, and hyphens'],
];

export function validateChangeName(name: string): ChangeNameValidation {
  if (name.length === 0) return { valid: false, error: 'Change name cannot be empty' };
  for (const [fails, error] of NAME_RULES) if (fails(name)) return { valid: false, error };
  return { valid: true };
}

/** A kebab-case id from a free title: accents dropped, anything else non-alphanumeric becomes one hyphen. */
export function deriveChangeId(title: string, maxLength = DERIVED_ID_MAX_LENGTH): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug === '') return 'change';
  if (slug.length <= maxLength) return slug;
  const cut = slug.slice(0, maxLength + 1);
  // Cut at the last whole word that fits; a single over-long word is cut hard.
  const boundary = cut.lastIndexOf('-');
  return (boundary > 0 ? cut.slice(0, boundary) : slug.slice(0, maxLength)).replace(/-+$/, '');
}

export interface CapabilityNote {
  id: string;
  description?: string;
}

export interface ProposalInput {
  title: string;
  why: string;
  whatChanges?: string;
  capabilities?: { new?: CapabilityNote[]; modified?: CapabilityNote[] };
  impact?: string;
}

const capabilityLines = (notes: CapabilityNote[]): string =>
  notes.map((c) => (c.description ? `- \`${c.id}\`: ${c.description}` : `- \`${c.id}\``)).join('\n');

/** proposal.md: title, Why, What Changes, Capabilities, Impact; empty optional sections are left out. */
export function renderProposal(input: ProposalInput): string {
  const sections: string[] = [`# ${input.title.trim()}`, `## Why\n\n${input.why.trim()}`];
  if (input.whatChanges?.trim()) sections.push(`## What Changes\n\n${input.whatChanges.trim()}`);
  const caps = input.capabilities;
  if (caps && (caps.new?.length || caps.modified?.length)) {
    const parts = ['## Capabilities'];
    if (caps.new?.length) parts.push(`### New Capabilities\n\n${capabilityLines(caps.new)}`);
    if (caps.modified?.length) parts.push(`### Modified Capabilities\n\n${capabilityLines(caps.modified)}`);
    sections.push(parts.join('\n\n'));
  }
  if (input.impact?.trim()) sections.push(`## Impact\n\n${input.impact.trim()}`);
  return sections.join('\n\n') + '\n';
}

export interface TaskGroup {
  title: string;
  tasks: string[];
}

/** tasks.md: numbered groups of `- [ ] n.m` items; a flat list is one "Implementation" group. */
export function renderTasks(tasks: string[] | TaskGroup[]): string {
  const groups: TaskGroup[] =
    tasks.length > 0 && typeof tasks[0] === 'string' ? [{ title: 'Implementation', tasks: tasks as string[] }] : (tasks as TaskGroup[]);
  const body = groups.map((g, gi) => `## ${gi + 1}. ${g.title}\n\n${g.tasks.map((t, ti) => `- [ ] ${gi + 1}.${ti + 1} ${t}`).join('\n')}`);
  return ['# Tasks', ...body].join('\n\n') + '\n';
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `.openspec.yaml` as `openspec new change` writes it; the date is the local calendar day. */
export function renderChangeMetadata(schema: string, created: Date): string {
  return `schema: ${schema}\ncreated: ${created.getFullYear()}-${pad(created.getMonth() + 1)}-${pad(created.getDate())}\n`;
}

export interface CreateChangeInput extends ProposalInput {
  /** Explicit id; otherwise derived from the title. */
  id?: string;
  tasks?: string[] | TaskGroup[];
  /** Delta specs by capability (`specs/<capability>/spec.md` inside the change), already rendered. */
  specs?: Record<string, string>;
}

export type CreateChangeCode = 'change_exists' | 'change_name_invalid';

export type CreateChangePlan =
  | { ok: true; id: string; dir: string; schema: string; files: Record<string, string> }
  | { ok: false; code: CreateChangeCode; message: string };

export function planCreateChange(tree: OpenSpecTree, input: CreateChangeInput, now: Date): CreateChangePlan {
  const id = input.id !== undefined ? input.id : deriveChangeId(input.title);
  const name = validateChangeName(id);
  if (!name.valid) return { ok: false, code: 'change_name_invalid', message: name.error };
  const dir = `openspec/changes/${id}`;
  // Any entry of that name refuses, like the CLI (`archive` included); the message names no absolute path.
  if (tree.lkind(dir) !== undefined) return { ok: false, code: 'change_exists', message: `Change '${id}' already exists at ${dir}` };
  const files: Record<string, string> = {
    '.openspec.yaml': renderChangeMetadata(DEFAULT_SCHEMA, now),
    'proposal.md': renderProposal(input),
  };
  if (input.tasks && input.tasks.length > 0) files['tasks.md'] = renderTasks(input.tasks);
  for (const [capability, content] of Object.entries(input.specs ?? {})) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(capability))
      return {
        ok: false,
        code: 'change_name_invalid',
        message: `Capability "${capability}" must be lowercase letters, digits and hyphens`,
      };
    files[`specs/${capability}/spec.md`] = content;
  }
  return { ok: true, id, dir, schema: DEFAULT_SCHEMA, files };
}

/**
 * The issues `validate <id>` would report for the change this input creates, read against the
 * real root (the main specs a MODIFIED delta names included). The plan's own refusal (a taken or
 * bad id) comes back as one ERROR on `id`.
 */
export function draftChangeIssues(tree: OpenSpecTree, input: CreateChangeInput, now: Date): { id: string; issues: ValidationIssue[] } {
  const plan = planCreateChange(tree, input, now);
  const id = input.id !== undefined ? input.id : deriveChangeId(input.title);
  if (!plan.ok) return { id, issues: [{ level: 'ERROR', path: 'id', message: plan.message }] };
  const files = Object.fromEntries(Object.entries(plan.files).map(([name, content]) => [`${plan.dir}/${name}`, content]));
  return { id, issues: changeIssues(overlayTree(tree, files), plan.id) };
}
