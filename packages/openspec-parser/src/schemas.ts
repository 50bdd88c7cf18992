/**
 * Workflow-schema and change-metadata resolution, reduced to what reading and validating needs:
 * which files hold a change's tasks, whether `skip_specs` is honoured, whether the built-in
 * `spec-driven` schema applies.
 *
 * Behaviour follows @fission-ai/openspec 1.13.2 (MIT), dist/utils/change-metadata.js,
 * dist/core/artifact-graph/resolver.js and outputs.js, dist/core/project-config.js.
 * Known gap: user-global schemas (`$XDG_DATA_HOME/openspec/schemas`) are not consulted, and
 * project-local schema files are only checked for the fields used here.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ChangeMetadataSchema, type ChangeMetadata } from './types';
import { OPENSPEC_DIR, join, type OpenSpecTree } from './tree';

export const METADATA_FILENAME = '.openspec.yaml';
export const BUILT_IN_SCHEMA = 'spec-driven';
const PROJECT_SCHEMAS_DIR = 'openspec/schemas';

export interface SchemaArtifact {
  id: string;
  generates: string;
}

export interface WorkflowSchema {
  name: string;
  artifacts: SchemaArtifact[];
  apply?: { tracks?: string | null };
  /** `builtin` for the package's own schema, else the tree path of the schema folder. */
  source: 'builtin' | string;
}

/** The package's `schemas/spec-driven/schema.yaml`, reduced to the fields used here. */
const SPEC_DRIVEN: WorkflowSchema = {
  name: 'spec-driven',
  artifacts: [
    { id: 'proposal', generates: 'proposal.md' },
    { id: 'specs', generates: 'specs/**/*.md' },
    { id: 'design', generates: 'design.md' },
    { id: 'tasks', generates: 'tasks.md' },
  ],
  apply: { tracks: 'tasks.md' },
  source: 'builtin',
};

const ProjectSchemaFileSchema = z.object({
  name: z.string().min(1),
  artifacts: z.array(z.object({ id: z.string().min(1), generates: z.string().min(1) })).min(1),
  apply: z.object({ tracks: z.string().nullable().optional() }).optional(),
});

function isValidSchemaName(name: string): boolean {
  return !(name.length === 0 || name === '.' || name === '..' || /[\\/]/u.test(name) || /^[A-Za-z]:/u.test(name));
}

/** Folder of a schema: project-local first, then the built-in one. */
export function getSchemaDir(tree: OpenSpecTree, name: string): 'builtin' | string | null {
  if (!isValidSchemaName(name)) return null;
  const projectDir = join(PROJECT_SCHEMAS_DIR, name);
  if (tree.isFile(join(projectDir, 'schema.yaml'))) return projectDir;
  return name === BUILT_IN_SCHEMA ? 'builtin' : null;
}

export function listSchemas(tree: OpenSpecTree): string[] {
  const names = new Set<string>([BUILT_IN_SCHEMA]);
  for (const entry of tree.readdir(PROJECT_SCHEMAS_DIR) ?? []) {
    if (entry.kind === 'file' || entry.kind === 'other') continue;
    if (tree.isFile(join(PROJECT_SCHEMAS_DIR, entry.name, 'schema.yaml'))) names.add(entry.name);
  }
  return [...names].sort();
}

export function resolveSchema(tree: OpenSpecTree, name: string): WorkflowSchema {
  const normalizedName = name.replace(/\.ya?ml$/, '');
  const dir = getSchemaDir(tree, normalizedName);
  if (dir === null) {
    throw new Error(`Schema '${normalizedName}' not found. Available schemas: ${listSchemas(tree).join(', ')}`);
  }
  if (dir === 'builtin') return SPEC_DRIVEN;
  const schemaPath = join(dir, 'schema.yaml');
  const parsed = ProjectSchemaFileSchema.safeParse(parseYaml(tree.readFile(schemaPath) ?? ''));
  if (!parsed.success) {
    const errors = parsed.error.issues.map((e) => `${e.path.join('.')}: ${e.message}`).join(', ');
    throw new Error(`Invalid schema at '${schemaPath}': Invalid schema: ${errors}`);
  }
  return { ...parsed.data, source: dir };
}

/** `.openspec.yaml`, validated; `null` when absent; throws when present but unusable. */
export function readChangeMetadata(tree: OpenSpecTree, changeDir: string): ChangeMetadata | null {
  const raw = tree.readFile(join(changeDir, METADATA_FILENAME));
  if (raw === null) return null;
  let parsed: unknown;
  try {
    parsed = parseYaml(raw);
  } catch (err) {
    throw new Error(`Invalid YAML in metadata file: ${err instanceof Error ? err.message : String(err)}`);
  }
  const result = ChangeMetadataSchema.safeParse(parsed);
  if (!result.success) throw new Error(`Invalid metadata: ${result.error.message}`);
  const available = listSchemas(tree);
  if (!available.includes(result.data.schema)) {
    throw new Error(`Unknown schema '${result.data.schema}'. Available: ${available.join(', ')}`);
  }
  return result.data;
}

/** `schema` from `openspec/config.yaml` (or `.yml`) when it is a non-empty string. */
export function readProjectSchemaName(tree: OpenSpecTree): string | undefined {
  const content = tree.readFile(join(OPENSPEC_DIR, 'config.yaml')) ?? tree.readFile(join(OPENSPEC_DIR, 'config.yml'));
  if (content === null) return undefined;
  try {
    const raw: unknown = parseYaml(content);
    if (!raw || typeof raw !== 'object') return undefined;
    const schema = (raw as Record<string, unknown>).schema;
    return typeof schema === 'string' && schema.length > 0 ? schema : undefined;
  } catch {
    return undefined;
  }
}

/** Metadata schema, then project config, then `spec-driven`. Throws on unusable metadata. */
export function resolveSchemaForChange(tree: OpenSpecTree, changeDir: string): string {
  const metadata = readChangeMetadata(tree, changeDir);
  if (metadata?.schema) return metadata.schema;
  return readProjectSchemaName(tree) ?? BUILT_IN_SCHEMA;
}

export interface BooleanMarker {
  declared: boolean;
  invalidReason?: string;
}

function unhonorable(reason: string): BooleanMarker {
  // Control characters never reach a terminal: the reason quotes author-written text.
  // eslint-disable-next-line no-control-regex
  return { declared: false, invalidReason: reason.replace(/[\u0000-\u001f\u007f]/g, '?') };
}

/** `skip_specs` / `retire_capabilities`: only honoured when the metadata would load everywhere else. */
export function readBooleanMarker(tree: OpenSpecTree, changeDir: string, key: 'skip_specs' | 'retire_capabilities'): BooleanMarker {
  const raw = tree.readFile(join(changeDir, METADATA_FILENAME));
  if (raw === null) {
    // A directory named .openspec.yaml reads as EISDIR in the CLI: fail closed like it does.
    if (tree.isDir(join(changeDir, METADATA_FILENAME))) {
      return unhonorable('the metadata file cannot be read (EISDIR: illegal operation on a directory, read)');
    }
    return { declared: false };
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(raw);
  } catch {
    const mentioned = new RegExp(`^\\s*(['"]?)${key}\\1\\s*:`, 'm').test(raw);
    return mentioned ? unhonorable('the file is not valid YAML') : { declared: false };
  }
  const result = ChangeMetadataSchema.safeParse(parsed);
  if (result.success) {
    if (result.data[key] !== true) return { declared: false };
    try {
      if (!listSchemas(tree).includes(result.data.schema)) {
        return unhonorable(`schema: unknown schema '${result.data.schema}'`);
      }
      resolveSchema(tree, result.data.schema);
    } catch (err) {
      return unhonorable(err instanceof Error ? err.message : String(err));
    }
    return { declared: true };
  }
  // Key presence, not value: `skip_specs: "yes"` must surface; an explicit `false` must not.
  const markerMentioned =
    typeof parsed === 'object' && parsed !== null && key in parsed && (parsed as Record<string, unknown>)[key] !== false;
  if (markerMentioned) {
    const first = result.error.issues[0];
    const where = first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    return unhonorable(`${where}${first.message}`);
  }
  return { declared: false };
}

export const readSkipSpecsMarker = (tree: OpenSpecTree, changeDir: string): BooleanMarker =>
  readBooleanMarker(tree, changeDir, 'skip_specs');
export const readRetireCapabilitiesMarker = (tree: OpenSpecTree, changeDir: string): BooleanMarker =>
  readBooleanMarker(tree, changeDir, 'retire_capabilities');

// ---------------------------------------------------------------------------
// Artifact outputs (a small glob matcher in place of fast-glob)
// ---------------------------------------------------------------------------

export function isGlobPattern(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?') || pattern.includes('[') || pattern.includes('{');
}

/** fast-glob semantics for the subset schemas use: `**`, `*`, `?`, `[...]`; dot entries never match. */
function globToRegExp(pattern: string): RegExp {
  const segments = pattern.split('/');
  let out = '^';
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '**') {
      out += last ? '(?!\\.)[^/]*(?:/(?!\\.)[^/]*)*' : '(?:(?!\\.)[^/]*/)*';
      return;
    }
    let seg = segment.startsWith('.') ? '' : '(?!\\.)';
    for (let i = 0; i < segment.length; i++) {
      const c = segment[i];
      if (c === '*') seg += '[^/]*';
      else if (c === '?') seg += '[^/]';
      else if (c === '[') {
        const close = segment.indexOf(']', i + 1);
        if (close === -1) seg += '\\[';
        else {
          seg += `[${segment.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
          i = close;
        }
      } else seg += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
    out += seg + (last ? '' : '/');
  });
  return new RegExp(out + '$');
}

function listFilesUnder(tree: OpenSpecTree, dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of tree.readdir(dir) ?? []) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = join(dir, entry.name);
    if (entry.kind === 'dir') out.push(...listFilesUnder(tree, full, rel));
    else if (tree.isFile(full)) out.push(rel);
  }
  return out;
}

/** Existing files an artifact generates, as tree paths, sorted. */
export function resolveArtifactOutputs(tree: OpenSpecTree, changeDir: string, generates: string): string[] {
  const pattern = generates.replace(/\\/g, '/');
  if (!isGlobPattern(pattern)) {
    const file = join(changeDir, pattern);
    return tree.isFile(file) ? [file] : [];
  }
  const re = globToRegExp(pattern.replace(/^\.\//, ''));
  return listFilesUnder(tree, changeDir)
    .filter((rel) => re.test(rel))
    .map((rel) => join(changeDir, rel))
    .sort();
}

export function artifactOutputExists(tree: OpenSpecTree, changeDir: string, generates: string): boolean {
  return resolveArtifactOutputs(tree, changeDir, generates).length > 0;
}

/** Files selected by the schema's `apply.tracks` rule ([] when the schema cannot be resolved). */
export function resolveTaskFilesForChange(tree: OpenSpecTree, changeDir: string): string[] {
  let generates: string | undefined;
  try {
    const schema = resolveSchema(tree, resolveSchemaForChange(tree, changeDir));
    const tracks = schema.apply?.tracks;
    const artifact =
      tracks != null ? schema.artifacts.find((a) => a.generates === tracks) : schema.artifacts.find((a) => a.id === 'tasks');
    generates = artifact?.generates;
  } catch {
    generates = undefined;
  }
  return generates ? resolveArtifactOutputs(tree, changeDir, generates) : [];
}

/** True only for the package's own `spec-driven` (a project schema reusing the name is not it). */
export function usesBuiltInSpecDrivenSchema(tree: OpenSpecTree, changeDir: string): boolean {
  try {
    const name = resolveSchemaForChange(tree, changeDir).replace(/\.ya?ml$/, '');
    return name === BUILT_IN_SCHEMA && getSchemaDir(tree, name) === 'builtin';
  } catch {
    return false;
  }
}
