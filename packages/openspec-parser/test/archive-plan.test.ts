/** The pure planner, the dry-run the validator uses, the preview and the CLI handler. */
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli-json';
import { runArchiveCommand } from '../src/archive/cli';
import { archiveDryRun } from '../src/archive/dry-run';
import { previewArchive } from '../src/archive/fs';
import { planArchive } from '../src/archive/plan';
import { OpenSpecTree } from '../src/tree';
import { base } from './fixtures-archive/cases';
import { dumpTree, makeTempDir, writeTree } from './archive-helpers';

const NOW = new Date(2025, 5, 1, 9, 30);
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

const withChange = (files: Record<string, string>) =>
  OpenSpecTree.fromFiles({ ...base, ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`openspec/changes/c/${k}`, v])) });

describe('planArchive (pure)', () => {
  it('plans writes and the move without touching anything', async () => {
    const tree = withChange({
      'tasks.md': '- [x] 1.1 done\n',
      'specs/auth/spec.md': '## ADDED Requirements\n### Requirement: Captcha\nThe system SHALL show a captcha.\n\n#### Scenario: Bot\n- **WHEN** a bot\n- **THEN** blocked\n',
    });
    const plan = await planArchive(tree, 'c', { yes: true }, NOW, { rootPath: '/p' });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.operations.map((o) => o.kind)).toEqual(['write-spec', 'move-change']);
    expect(plan.operations[1]).toEqual({ kind: 'move-change', from: 'openspec/changes/c', to: 'openspec/changes/archive/2025-06-01-c' });
    expect(plan.result).toEqual({
      change: 'c',
      archivedAs: '2025-06-01-c',
      path: '/p/openspec/changes/archive/2025-06-01-c',
      specsUpdated: true,
      totals: { added: 1, modified: 0, removed: 0, renamed: 0 },
    });
    expect(plan.specUpdates).toEqual([{ spec: 'auth', added: 1, modified: 0, removed: 0, renamed: 0, created: false, outcome: 'write' }]);
  });

  it('asks for --yes before merging specs, in JSON mode', async () => {
    const tree = withChange({ 'specs/auth/spec.md': '## REMOVED Requirements\n### Requirement: Logout\n' });
    expect(await planArchive(tree, 'c', {}, NOW, { rootPath: '/p' })).toMatchObject({
      ok: false,
      status: { code: 'archive_confirmation_required', message: 'Updating 1 spec(s) requires confirmation: rerun with --yes.' },
    });
  });

  it('refuses invalid names before touching the tree', async () => {
    const tree = OpenSpecTree.fromFiles(base);
    expect(await planArchive(tree, '../x', { yes: true }, NOW, { rootPath: '/p' })).toMatchObject({
      ok: false,
      status: { code: 'archive_change_name_invalid', message: 'Change name must not contain path separators' },
    });
    expect(await planArchive(tree, '', { yes: true }, NOW, { rootPath: '/p' })).toMatchObject({
      ok: false,
      status: { code: 'archive_change_name_required' },
    });
  });
});

describe('symlinked capabilities', () => {
  it('refuses to write through a linked capability dir instead of replacing what it cannot read', async () => {
    const tree = new OpenSpecTree({
      dirs: {
        '': { mtimeMs: 0, entries: [{ name: 'openspec', kind: 'dir' }] },
        openspec: { mtimeMs: 0, entries: [{ name: 'specs', kind: 'dir' }, { name: 'changes', kind: 'dir' }] },
        'openspec/specs': { mtimeMs: 0, entries: [{ name: 'shared', kind: 'symlink' }] },
        'openspec/changes': { mtimeMs: 0, entries: [{ name: 'c', kind: 'dir' }] },
        'openspec/changes/c': { mtimeMs: 0, entries: [{ name: 'specs', kind: 'dir' }] },
        'openspec/changes/c/specs': { mtimeMs: 0, entries: [{ name: 'shared', kind: 'dir' }] },
        'openspec/changes/c/specs/shared': { mtimeMs: 0, entries: [{ name: 'spec.md', kind: 'file' }] },
      },
      files: {
        'openspec/changes/c/specs/shared/spec.md': {
          content: '## ADDED Requirements\n### Requirement: X\nThe system SHALL x.\n\n#### Scenario: s\n- x\n',
          mtimeMs: 0,
        },
      },
      links: { 'openspec/specs/shared': { kind: 'dir', mtimeMs: 0 } },
    });
    expect(await planArchive(tree, 'c', { yes: true }, NOW, { rootPath: '/p' })).toMatchObject({
      ok: false,
      status: { code: 'archive_error', message: expect.stringContaining("Capability 'shared' is reached through a symbolic link") },
    });
  });
});

describe('archiveDryRun', () => {
  it('reports each refused delta as INFO, skipping paths already reported', () => {
    const tree = OpenSpecTree.fromFiles({
      ...base,
      'openspec/changes/c/specs/auth/spec.md': '## MODIFIED Requirements\n### Requirement: Nope\nThe system SHALL.\n\n#### Scenario: s\n- x\n',
      'openspec/changes/c/specs/newcap/spec.md': '## MODIFIED Requirements\n### Requirement: X\nThe system SHALL.\n\n#### Scenario: s\n- x\n',
      'openspec/changes/c/specs/billing/spec.md': '## ADDED Requirements\n### Requirement: Refunds\nThe system SHALL refund.\n\n#### Scenario: s\n- x\n',
    });
    expect(archiveDryRun(tree, 'c', { alreadyReportedPaths: ['billing/spec.md'] })).toEqual([
      { level: 'INFO', path: 'auth/spec.md', message: 'Archive would refuse this delta: auth MODIFIED failed for header "### Requirement: Nope" - not found' },
      {
        level: 'INFO',
        path: 'newcap/spec.md',
        message:
          'Archive would refuse this delta: newcap: target spec does not exist; only ADDED requirements are allowed for new specs. MODIFIED and RENAMED operations require an existing spec.',
      },
    ]);
  });
});

describe('previewArchive and the CLI handler', () => {
  function root(files: Record<string, string>): string {
    const dir = makeTempDir('wd-plan-');
    temps.push(dir);
    writeTree(dir, { ...base, ...files });
    return dir;
  }

  it('previews without writing, then the handler archives with the CLI envelope', async () => {
    const dir = root({
      'openspec/changes/c/tasks.md': '- [x] a\n- [ ] b\n',
      'openspec/changes/c/specs/auth/spec.md': '## REMOVED Requirements\n### Requirement: Logout\n',
    });
    const before = dumpTree(dir);
    const preview = await previewArchive(dir, 'c', { now: NOW });
    expect(preview).toEqual({
      archivedAs: '2025-06-01-c',
      incompleteTasks: 1,
      specUpdates: [{ spec: 'auth', added: 0, modified: 0, removed: 1, renamed: 0, created: false, outcome: 'write' }],
      warnings: [],
      refusal: null,
    });
    expect(dumpTree(dir)).toEqual(before);

    const ctx = { rootDir: dir, root: { path: dir, source: 'nearest' }, tree: OpenSpecTree.fromFiles({}) };
    const refused = await runArchiveCommand(parseArgs(['c', '--json']), ctx);
    expect(refused).toMatchObject({ exitCode: 1, json: { archive: null, status: [{ code: 'archive_tasks_incomplete' }] } });
    const done = await runArchiveCommand(parseArgs(['c', '--json', '-y', '--no-validate']), ctx);
    expect(done.exitCode).toBe(0);
    expect(done.json).toMatchObject({ archive: { change: 'c', specsUpdated: true }, root: { path: dir, source: 'nearest' } });
  });
});
