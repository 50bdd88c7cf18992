/** The dashboard read models: requirement names present, broken content reported, never a throw. */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getChangeDetails, getSpecDetails, readChangeTitles } from '../src/fs';
import { copyRoot, packageRoot } from './helpers';

describe('change and spec details', () => {
  let root = '';
  beforeAll(async () => {
    root = await copyRoot(path.join(packageRoot, 'test/fixtures/tricky'), 'details');
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('names every delta requirement and parses tasks with their lines', async () => {
    const details = await getChangeDetails(root, 'add-feature');
    expect(details.title).toBe('Add feature');
    expect(details.deltas.map((d) => [d.operation, d.name])).toEqual([
      ['ADDED', 'Remember me'],
      ['MODIFIED', 'Login'],
      ['REMOVED', 'Legacy tokens'],
      ['RENAMED', 'Sign out'],
    ]);
    expect(details.deltas[0].requirement?.scenarios[0].name).toBe('Checkbox ticked');
    expect(details.tasks[0]).toMatchObject({ text: '1.1 Done lower', done: true, line: 4 });
    // Same counting as `openspec list` (which the fixture suite checks against the official CLI).
    expect(details.progress).toEqual({ total: 11, completed: 4 });
    expect(details.validation.valid).toBe(false);
    expect(details.files).toContain('specs/auth/spec.md');
  });

  it('reports a broken proposal instead of throwing', async () => {
    const details = await getChangeDetails(root, 'bad-proposal');
    expect(details.parseError).toBe('Change must have a Why section');
    const missing = await getChangeDetails(root, 'does-not-exist');
    expect(missing.exists).toBe(false);
  });

  it('keeps requirement names of main specs and flags unparsable ones', async () => {
    const auth = await getSpecDetails(root, 'auth');
    expect(auth.requirements.map((r) => r.name)).toEqual(['Login', 'Logout', 'Legacy tokens']);
    expect(auth.title).toBe('auth Specification');
    const broken = await getSpecDetails(root, 'broken');
    expect(broken.parseError).toBe('Spec must have a Purpose section');
    expect(broken.validation.valid).toBe(false);
  });

  it('reads proposal titles for every active change', async () => {
    const titles = await readChangeTitles(root);
    // A BOM hides the first-line H1 from the CLI's title regex, so the id stands in (matched as-is).
    expect(titles.get('crlf-change')).toBe('crlf-change');
    expect(titles.get('add-feature')).toBe('Add feature');
    expect(titles.get('no-proposal')).toBe('no-proposal');
  });
});
