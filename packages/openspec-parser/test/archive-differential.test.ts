/**
 * Differential tests: every fixture in fixtures-archive/cases.ts is archived
 * by the REAL official CLI and by ours, each in its own copy of the root; the
 * resulting file trees (every file's content) and the JSON must be identical.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveChange } from '../src/archive/fs';
import { archiveEnvelope } from '../src/archive/fs';
import { base, cases } from './fixtures-archive/cases';
import { dumpTree, makeTempDir, pinMtimes, runOfficial, writeTree } from './archive-helpers';

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

function materialise(c: (typeof cases)[number]): string {
  const root = makeTempDir('wd-diff-');
  temps.push(root);
  writeTree(root, { ...base, ...c.files }, c.symlinks ?? {});
  for (const d of c.dirs ?? []) fs.mkdirSync(path.join(root, d), { recursive: true });
  pinMtimes(root);
  return root;
}

const ignore = (rel: string) => rel === 'openspec/.workdeck.lock';

describe('archive agrees with the official CLI on tricky fixtures', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const official = materialise(c);
      const ours = materialise(c);
      const flags = (c.args ?? []).filter((a) => a !== '--no-yes');
      const yes = !(c.args ?? []).includes('--no-yes');
      const run = await runOfficial(official, ['archive', c.change, '--json', ...(yes ? ['--yes'] : []), ...flags]);
      const officialJson = JSON.parse(run.stdout.split(official).join('<ROOT>'));

      const outcome = await archiveChange(ours, c.change, {
        yes,
        skipSpecs: flags.includes('--skip-specs'),
        noValidate: flags.includes('--no-validate'),
      });
      const ourJson = JSON.parse(
        JSON.stringify(archiveEnvelope(outcome, { path: ours, source: 'nearest' }))
          .split(ours)
          .join('<ROOT>'),
      );
      expect(ourJson).toEqual(officialJson);
      expect(outcome.ok ? 0 : 1).toBe(run.code);
      expect(dumpTree(ours, ignore)).toEqual(dumpTree(official, ignore));
    });
  }
});
