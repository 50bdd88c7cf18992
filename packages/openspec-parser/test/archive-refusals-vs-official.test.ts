/**
 * Archive refusals on the tricky fixture, the real official CLI against the
 * plan. Every case here is refused (none passes --yes with spec updates), so
 * the CLI changes nothing; it still runs on a throwaway copy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planArchive, type ArchivePlanOptions } from '../src/archive/plan';
import { readTree } from '../src/read';
import { copyRoot, normalise, officialBin, officialEnv, packageRoot } from './helpers';

const CASES: Array<[string | undefined, ArchivePlanOptions]> = [
  [undefined, {}],
  ['a/b', {}],
  ['..', {}],
  ['nope', {}],
  ['ns', {}],
  ['add-feature', {}],
  ['crlf-change', {}],
  ['rename-edge', {}],
  ['empty-bodies', {}],
  ['bad-meta', {}],
  ['no-proposal', { noValidate: true }],
];

describe('archive refusals vs the official CLI (tricky fixture)', () => {
  let root = '';
  beforeAll(async () => {
    root = await copyRoot(path.join(packageRoot, 'test/fixtures/tricky'), 'archive-refusals');
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });
  it('has the official CLI', () => expect(existsSync(officialBin), `${officialBin} is missing: run npm install`).toBe(true));
  for (const [id, options] of CASES) {
    const argv = ['archive', ...(id ? [id] : []), '--json', ...(options.noValidate ? ['--no-validate'] : [])];
    it(`openspec ${argv.join(' ')}`, () => {
      const run = spawnSync(process.execPath, [officialBin, ...argv], {
        cwd: root,
        encoding: 'utf8',
        env: officialEnv,
      });
      const official = JSON.parse(run.stdout) as { status: unknown[] };
      const plan = planArchive(readTree(root), id, options, new Date(), root);
      expect(plan.ok).toBe(false);
      expect(normalise(plan.ok ? null : [plan.status], root)).toEqual(normalise(official.status, root));
    });
  }
});
