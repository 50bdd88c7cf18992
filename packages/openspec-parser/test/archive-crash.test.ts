/**
 * Crash safety of the archive executor: a failure injected at every step
 * must leave — after recovery — exactly the old tree or exactly the new one.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveChange, recoverInterruptedArchive, SimulatedCrash, withOpenSpecLock } from '../src/archive/fs';
import { dumpTree, makeTempDir, writeTree } from './archive-helpers';

const NOW = new Date(2025, 5, 1, 12, 0, 0);
const REQ = (name: string, body = 'The system SHALL do it.') =>
  `### Requirement: ${name}\n${body}\n\n#### Scenario: Works\n- **WHEN** used\n- **THEN** it works\n`;

const fixture: Record<string, string> = {
  'openspec/config.yaml': 'schema: spec-driven\n',
  'openspec/specs/auth/spec.md': `# auth Specification\r\n\r\n## Purpose\r\nAuthentication for every user of the product, across all clients.\r\n\r\n## Requirements\r\n${REQ('Login').replace(/\n/g, '\r\n')}`,
  'openspec/specs/legacy/spec.md': `# legacy Specification\n\n## Purpose\nThe legacy export path that every integration used to rely on.\n\n## Requirements\n${REQ('Export')}`,
  'openspec/changes/add-2fa/.openspec.yaml': 'schema: spec-driven\ncreated: 2025-05-01\nretire_capabilities: true\n',
  'openspec/changes/add-2fa/proposal.md': '# Add 2FA\n\n## Why\nBecause.\n\n## What Changes\n- stuff\n',
  'openspec/changes/add-2fa/tasks.md': '## 1. Do\n- [x] 1.1 Done\n',
  'openspec/changes/add-2fa/specs/auth/spec.md': `## ADDED Requirements\n${REQ('Two factor')}\n## MODIFIED Requirements\n${REQ('Login', 'The system SHALL log users in with a password.')}`,
  'openspec/changes/add-2fa/specs/totp/spec.md': `## Purpose\nTime-based one-time passwords as a second authentication factor.\n\n## ADDED Requirements\n${REQ('Codes')}`,
  'openspec/changes/add-2fa/specs/legacy/spec.md':
    '## REMOVED Requirements\n### Requirement: Export\n**Reason**: gone\n**Migration**: none\n',
  'openspec/changes/other/proposal.md': '# Other\n\n## Why\nx\n\n## What Changes\n- y\n',
};

const ignoreLock = (rel: string) => rel === 'openspec/.workdeck.lock';
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

function freshRoot(): string {
  const root = makeTempDir('wd-crash-');
  temps.push(root);
  writeTree(root, fixture);
  return root;
}

async function expectedTrees(forceCopyMove: boolean) {
  const root = freshRoot();
  const oldTree = dumpTree(root, ignoreLock);
  const steps: string[] = [];
  const outcome = await archiveChange(root, 'add-2fa', { yes: true, now: NOW, forceCopyMove, faultHook: (s) => void steps.push(s) });
  expect(outcome.ok).toBe(true);
  return { oldTree, newTree: dumpTree(root, ignoreLock), steps, outcome };
}

describe('archive executor crash safety', () => {
  it('a clean run merges, creates, retires and moves, and leaves no scaffolding behind', async () => {
    const { oldTree, newTree, steps, outcome } = await expectedTrees(false);
    expect(outcome.ok && outcome.result.totals).toEqual({ added: 2, modified: 1, removed: 1, renamed: 0 });
    expect(newTree['openspec/specs/auth/spec.md']).toContain('\r\n### Requirement: Two factor\r\n');
    expect(newTree['openspec/specs/auth/spec.md']).not.toMatch(/[^\r]\n/);
    expect(newTree['openspec/specs/totp/spec.md']).toContain('Time-based one-time passwords');
    expect('openspec/specs/legacy/spec.md' in newTree).toBe(false);
    expect(Object.keys(newTree).some((k) => k.startsWith('openspec/specs/legacy'))).toBe(false);
    expect(Object.keys(newTree).filter((k) => k.startsWith('openspec/changes/archive/2025-06-01-add-2fa/'))).toHaveLength(6);
    expect(Object.keys(newTree).some((k) => /workdeck/.test(k))).toBe(false);
    expect(oldTree).not.toEqual(newTree);
    expect(steps).toEqual([
      'journal-prepare',
      'mkdir:openspec/specs/totp',
      'mkdir:openspec/changes/archive',
      'temp:openspec/specs/auth/spec.md',
      'backup:openspec/specs/auth/spec.md',
      'temp:openspec/specs/totp/spec.md',
      'backup:openspec/specs/legacy/spec.md',
      'journal-commit',
      'rename:openspec/specs/auth/spec.md',
      'rename:openspec/specs/totp/spec.md',
      'delete:openspec/specs/legacy/spec.md',
      'move',
      'cleanup',
      'journal-remove',
    ]);
  });

  for (const forceCopyMove of [false, true]) {
    const label = forceCopyMove ? 'copy+delete move' : 'rename move';
    it(`${label}: a crash at any step recovers to the old or the new tree`, async () => {
      const { oldTree, newTree, steps } = await expectedTrees(forceCopyMove);
      const outcomes: string[] = [];
      for (const step of steps) {
        const root = freshRoot();
        await expect(
          archiveChange(root, 'add-2fa', {
            yes: true,
            now: NOW,
            forceCopyMove,
            faultHook: (s) => {
              if (s === step) throw new SimulatedCrash(s);
            },
          }),
        ).rejects.toBeInstanceOf(SimulatedCrash);
        const recovered = await recoverInterruptedArchive(root);
        const tree = dumpTree(root, ignoreLock);
        const same =
          JSON.stringify(tree) === JSON.stringify(oldTree) ? 'old' : JSON.stringify(tree) === JSON.stringify(newTree) ? 'new' : 'neither';
        expect(
          same,
          `crash at ${step} (${recovered}) left ${JSON.stringify(Object.keys(tree).filter((k) => !(k in oldTree) && !(k in newTree)))}`,
        ).not.toBe('neither');
        outcomes.push(`${step}=${same}`);
        // Recovery is idempotent and the next archive starts clean.
        expect(await recoverInterruptedArchive(root)).toBeNull();
      }
      // Everything before the change dir reaches its destination rolls back; after, forward.
      const firstNew = outcomes.findIndex((o) => o.endsWith('=new'));
      expect(outcomes.slice(0, firstNew).every((o) => o.endsWith('=old'))).toBe(true);
      expect(outcomes.slice(firstNew).every((o) => o.endsWith('=new'))).toBe(true);
      expect(outcomes[firstNew]).toMatch(forceCopyMove ? /^move-remove-source=/ : /^cleanup=/);
    });

    it(`${label}: an ordinary error at any step is rolled back (or finished) in-process`, async () => {
      const { oldTree, newTree, steps } = await expectedTrees(forceCopyMove);
      for (const step of steps) {
        const root = freshRoot();
        let threw = false;
        try {
          await archiveChange(root, 'add-2fa', {
            yes: true,
            now: NOW,
            forceCopyMove,
            faultHook: (s) => {
              if (s === step) throw new Error(`EIO at ${s}`);
            },
          });
        } catch (error) {
          threw = true;
          expect(String(error)).toContain(`EIO at ${step}`);
        }
        const tree = dumpTree(root, ignoreLock);
        expect(tree, `error at ${step}`).toEqual(threw ? oldTree : newTree);
      }
    });
  }

  it('the next archive recovers an interrupted one before planning', async () => {
    const root = freshRoot();
    const crash = (s: string) => {
      if (s === 'rename:openspec/specs/totp/spec.md') throw new SimulatedCrash(s);
    };
    await expect(archiveChange(root, 'add-2fa', { yes: true, now: NOW, faultHook: crash })).rejects.toThrow(SimulatedCrash);
    expect(fs.existsSync(path.join(root, 'openspec/.workdeck-archive-journal.json'))).toBe(true);
    const outcome = await archiveChange(root, 'add-2fa', { yes: true, now: NOW });
    expect(outcome.ok).toBe(true);
    expect(fs.existsSync(path.join(root, 'openspec/.workdeck-archive-journal.json'))).toBe(false);
  });

  it('two archives of one root never interleave: the second waits for the lock', async () => {
    const root = freshRoot();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const held = new Promise<void>((r) => (releaseFirst = r));
    const first = withOpenSpecLock(root, async () => {
      order.push('first-start');
      await held;
      order.push('first-end');
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = archiveChange(root, 'add-2fa', { yes: true, now: NOW }).then((o) => {
      order.push('archive-done');
      return o;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(order).toEqual(['first-start']);
    releaseFirst();
    await first;
    expect((await second).ok).toBe(true);
    expect(order).toEqual(['first-start', 'first-end', 'archive-done']);
    expect(fs.existsSync(path.join(root, 'openspec/.workdeck.lock'))).toBe(false);
  });

  it('refuses to overwrite a spec edited after planning', async () => {
    const root = freshRoot();
    const outcome = archiveChange(root, 'add-2fa', {
      yes: true,
      now: NOW,
      afterRead: () => {
        // Simulate an editor saving the spec between the snapshot and the writes.
        fs.appendFileSync(path.join(root, 'openspec/specs/auth/spec.md'), '\r\n');
      },
    });
    await expect(outcome).rejects.toThrow(/Main spec 'auth' changed while archive was preparing it/);
    expect(fs.existsSync(path.join(root, 'openspec/changes/add-2fa'))).toBe(true);
  });
});
