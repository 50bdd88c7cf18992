/** `archive` through runOpenSpecJson against the real CLI on two copies of the tricky fixture: same JSON, same tree. */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runOpenSpecJson } from '../src/cli-json';
import { dumpTree, runOfficial } from './archive-helpers';
import { copyRoot, normalise, packageRoot } from './helpers';

const temps: string[] = [];
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

describe('cli-json archive vs the official CLI', () => {
  for (const argv of [
    ['archive', 'legacy', '--json'],
    ['archive', 'add-feature', '--json', '--yes', '--no-validate'],
    ['archive', 'add-feature', '--json'],
  ]) {
    it(`openspec ${argv.join(' ')}`, async () => {
      const official = await copyRoot(path.join(packageRoot, 'test/fixtures/tricky'), 'cli-arch-off');
      const ours = await copyRoot(path.join(packageRoot, 'test/fixtures/tricky'), 'cli-arch-ours');
      temps.push(official, ours);
      const run = await runOfficial(official, argv);
      const mine = await runOpenSpecJson(argv, ours);
      expect(normalise(mine.json, ours)).toEqual(normalise(JSON.parse(run.stdout), official));
      expect(mine.exitCode).toBe(run.code);
      const ignore = (rel: string) => rel === 'openspec/.workdeck.lock';
      expect(dumpTree(ours, ignore)).toEqual(dumpTree(official, ignore));
    });
  }
});
