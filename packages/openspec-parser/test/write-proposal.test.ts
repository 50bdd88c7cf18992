/**
 * Proposal creation: pure rendering and id rules, the atomic write, and proof
 * with the official CLI that what we write is what it reads and that it
 * accepts and refuses the same change names, with the same messages.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OpenSpecTree } from '../src/tree';
import { createChange } from '../src/write/fs';
import { deriveChangeId, planCreateChange, renderProposal, renderTasks, validateChangeName } from '../src/write/proposal';
import { dumpTree, makeTempDir, runOfficial, writeTree } from './archive-helpers';

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});
function freshRoot(files: Record<string, string> = { 'openspec/config.yaml': 'schema: spec-driven\n' }): string {
  const root = makeTempDir('wd-write-');
  temps.push(root);
  writeTree(root, files);
  fs.mkdirSync(path.join(root, 'openspec/changes/archive'), { recursive: true });
  fs.mkdirSync(path.join(root, 'openspec/specs'), { recursive: true });
  return root;
}

describe('change ids', () => {
  it.each([
    ['Add 2FA to Login!', 'add-2fa-to-login'],
    ['  Fix: crash in   CSV export (v2)  ', 'fix-crash-in-csv-export-v2'],
    ['Équipe café — résumé', 'equipe-cafe-resume'],
    ['snake_case and--double', 'snake-case-and-double'],
    ['日本語だけ', 'change'],
    ['2025 roadmap', '2025-roadmap'],
  ])('deriveChangeId(%j) = %j', (title, id) => {
    expect(deriveChangeId(title)).toBe(id);
    expect(validateChangeName(id)).toEqual({ valid: true });
  });

  it('cuts long titles at a word boundary', () => {
    const id = deriveChangeId('word '.repeat(40));
    expect(id.length).toBeLessThanOrEqual(64);
    expect(id).toMatch(/^word(-word)*$/);
  });

  it.each([
    ['', 'Change name cannot be empty'],
    ['Add-Auth', 'Change name must be lowercase (use kebab-case)'],
    ['add auth', 'Change name cannot contain spaces (use hyphens instead)'],
    ['add_auth', 'Change name cannot contain underscores (use hyphens instead)'],
    ['-add', 'Change name cannot start with a hyphen'],
    ['add-', 'Change name cannot end with a hyphen'],
    ['add--auth', 'Change name cannot contain consecutive hyphens'],
    ['add.auth', 'Change name can only contain lowercase letters, numbers, and hyphens'],
    ['a'.repeat(201), 'Change name is too long (200 characters max)'],
    // First failing rule wins, in the CLI's order.
    ['a b_', 'Change name cannot contain spaces (use hyphens instead)'],
    ['a.-', 'Change name cannot end with a hyphen'],
    ['a.--b', 'Change name cannot contain consecutive hyphens'],
    ['À', 'Change name can only contain lowercase letters, numbers, and hyphens'],
  ])('validateChangeName(%j) refuses with the official message', (name, error) => {
    expect(validateChangeName(name)).toEqual({ valid: false, error });
  });
});

describe('rendering', () => {
  it('renders the 1.x proposal layout', () => {
    expect(
      renderProposal({
        title: 'Add two-factor login',
        why: 'Accounts get taken over.',
        whatChanges: '- Ask for a TOTP code',
        capabilities: { new: [{ id: 'auth/totp', description: 'one-time codes' }], modified: [{ id: 'auth' }] },
        impact: 'auth service',
      }),
    ).toBe(
      '# Add two-factor login\n\n## Why\n\nAccounts get taken over.\n\n## What Changes\n\n- Ask for a TOTP code\n\n' +
        '## Capabilities\n\n### New Capabilities\n\n- `auth/totp`: one-time codes\n\n### Modified Capabilities\n\n- `auth`\n\n' +
        '## Impact\n\nauth service\n',
    );
  });

  it('renders numbered task groups', () => {
    expect(renderTasks(['Write code', 'Test it'])).toBe('# Tasks\n\n## 1. Implementation\n\n- [ ] 1.1 Write code\n- [ ] 1.2 Test it\n');
    expect(
      renderTasks([
        { title: 'A', tasks: ['x'] },
        { title: 'B', tasks: ['y', 'z'] },
      ]),
    ).toBe('# Tasks\n\n## 1. A\n\n- [ ] 1.1 x\n\n## 2. B\n\n- [ ] 2.1 y\n- [ ] 2.2 z\n');
  });

  it('refuses an existing id and an invalid explicit id', () => {
    const tree = OpenSpecTree.fromFiles({ 'openspec/changes/add-x/proposal.md': '# x\n' });
    expect(planCreateChange(tree, { title: 'Add X', why: 'because' }, new Date())).toMatchObject({ ok: false, code: 'change_exists' });
    expect(planCreateChange(tree, { id: 'Bad Id', title: 'x', why: 'y' }, new Date())).toEqual({
      ok: false,
      code: 'change_name_invalid',
      message: 'Change name must be lowercase (use kebab-case)',
    });
  });
});

describe('createChange on disk, checked by the official CLI', () => {
  it('writes a change the official show/list read back with the right title and tasks', async () => {
    const root = freshRoot();
    const created = await createChange(root, {
      title: 'Add two-factor login',
      why: 'Accounts get taken over by password reuse; a second factor stops that.',
      whatChanges: '- Ask for a TOTP code after the password',
      impact: 'auth service',
      tasks: ['Add TOTP secret storage', 'Verify codes at login', 'Document recovery'],
    });
    expect(created).toMatchObject({ ok: true, id: 'add-two-factor-login', schema: 'spec-driven' });
    expect(Object.keys(dumpTree(root)).some((k) => k.includes('workdeck'))).toBe(false);

    const show = await runOfficial(root, ['show', 'add-two-factor-login', '--type', 'change', '--json']);
    expect(show.code, show.stderr + show.stdout).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: 'add-two-factor-login', title: 'Add two-factor login' });

    const list = await runOfficial(root, ['list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).changes).toEqual([
      expect.objectContaining({ name: 'add-two-factor-login', completedTasks: 0, totalTasks: 3, status: 'in-progress' }),
    ]);

    // A second create with the same title is refused and changes nothing.
    const before = dumpTree(root);
    expect(await createChange(root, { title: 'Add two-factor login', why: 'again' })).toMatchObject({ ok: false, code: 'change_exists' });
    expect(dumpTree(root)).toEqual(before);
  });

  it('writes the same .openspec.yaml as `openspec new change`, and derived ids pass its name check', async () => {
    const root = freshRoot();
    const titles = ['Fix: crash in CSV export (v2)', 'Équipe café — résumé', 'snake_case and--double'];
    for (const title of titles) {
      const id = deriveChangeId(title);
      const official = await runOfficial(root, ['new', 'change', id, '--json']);
      expect(official.code, official.stdout + official.stderr).toBe(0);
      const officialMeta = fs.readFileSync(path.join(root, 'openspec/changes', id, '.openspec.yaml'), 'utf-8');
      fs.rmSync(path.join(root, 'openspec/changes', id), { recursive: true });
      const ours = await createChange(root, { title, why: 'A reason that is long enough to read.' });
      expect(ours).toMatchObject({ ok: true, id });
      expect(fs.readFileSync(path.join(root, 'openspec/changes', id, '.openspec.yaml'), 'utf-8')).toBe(officialMeta);
    }
  });

  it('on a bare folder, leaves the same root as `openspec new change` (config.yaml, specs/, changes/archive/)', async () => {
    const officialRoot = makeTempDir('wd-write-');
    const ourRoot = makeTempDir('wd-write-');
    temps.push(officialRoot, ourRoot);
    const official = await runOfficial(officialRoot, ['new', 'change', 'first-change']);
    expect(official.code, official.stdout + official.stderr).toBe(0);
    expect(
      await createChange(ourRoot, { id: 'first-change', title: 'First change', why: 'A reason that is long enough to read.' }),
    ).toMatchObject({ ok: true });
    const shape = (root: string) => {
      const tree = dumpTree(root);
      // Ours adds proposal.md (the CLI leaves it to the agent); everything else must match byte for byte.
      delete tree['openspec/changes/first-change/proposal.md'];
      return tree;
    };
    expect(shape(ourRoot)).toEqual(shape(officialRoot));
  });

  it('accepts and refuses the same change names as the official CLI, with its messages', async () => {
    const names = [
      'add-auth',
      '1abc',
      '0',
      'a'.repeat(200),
      'v2-api-3',
      'Add-Auth',
      'add auth',
      'add_auth',
      '-add',
      'add-',
      'add--auth',
      'add.auth',
      'a'.repeat(201),
      'A'.repeat(201),
      'a b_',
      'a_B',
      'a--',
      '-a-',
      'a.-',
      '_-a',
      ' -a',
      'a\tb',
      'a-.-b',
      'a.--b',
      'À',
      'é',
      'ß',
      '../x',
      'a/b',
    ];
    const officialRoot = freshRoot();
    const ourRoot = freshRoot();
    let accepted = 0;
    for (const name of names) {
      const official = await runOfficial(officialRoot, ['new', 'change', '--', name]);
      const officialOk = official.code === 0 && fs.existsSync(path.join(officialRoot, 'openspec/changes', name, '.openspec.yaml'));
      const ours = await createChange(ourRoot, { id: name, title: 'Name check', why: 'A reason that is long enough to read.' });
      expect({ name, ok: ours.ok }).toEqual({ name, ok: officialOk });
      const verdict = validateChangeName(name);
      expect(verdict.valid, name).toBe(officialOk);
      if (ours.ok) {
        accepted++;
        expect(fs.existsSync(path.join(ourRoot, 'openspec/changes', name, 'proposal.md'))).toBe(true);
      } else {
        expect(ours.code).toBe('change_name_invalid');
        expect(official.stdout + official.stderr, name).toContain(`Error: ${ours.message}`);
      }
    }
    expect(accepted).toBe(5);
    // Both refuse an existing name, and ours names no absolute path.
    const again = await runOfficial(officialRoot, ['new', 'change', 'add-auth']);
    expect(again.stdout + again.stderr).toContain("Change 'add-auth' already exists");
    expect(await createChange(ourRoot, { id: 'add-auth', title: 'x', why: 'y' })).toEqual({
      ok: false,
      code: 'change_exists',
      message: "Change 'add-auth' already exists at openspec/changes/add-auth",
    });
    expect(await createChange(ourRoot, { id: 'archive', title: 'x', why: 'y' })).toMatchObject({ ok: false, code: 'change_exists' });
  }, 120_000);

  it('a failure while staging leaves changes/ untouched and the next create succeeds', async () => {
    const root = freshRoot();
    const before = dumpTree(root);
    await expect(
      createChange(
        root,
        { title: 'Crashy', why: 'x', tasks: ['a'] },
        {
          faultHook: (s) => {
            if (s === 'publish') throw new Error('simulated failure');
          },
        },
      ),
    ).rejects.toThrow('simulated failure');
    expect(dumpTree(root)).toEqual(before);
    expect(await createChange(root, { title: 'Crashy', why: 'x' })).toMatchObject({ ok: true, id: 'crashy' });
  });
});
