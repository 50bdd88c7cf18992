/**
 * Conformance against the recorded answers of the official CLI (@fission-ai/openspec 1.13.2) for the
 * shared corpus: every read command of `expected/<name>/exit-codes.tsv` must give the same JSON
 * and the same exit code through runOpenSpecJson.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOpenSpecJson, runOpenSpecJsonOnTree } from '../src/cli-json';
import { readTree } from '../src/read';
import type { OpenSpecTree } from '../src/tree';
import { copyRoot, normalise, oracleDir } from './helpers';

interface RecordedCase {
  argv: string[];
  exitCode: number;
  expectedFile: string;
}

/** The expected file the recorder wrote for a command, or null when out of scope. */
function expectedFileFor(argv: string[]): string | null {
  const has = (flag: string): boolean => argv.includes(flag);
  const [command, item] = argv;
  if (!has('--json')) return null;
  if (command === 'list') return has('--specs') ? 'list-specs.json' : 'list-changes.json';
  if (command === 'change' && item === 'list') return 'change-list-legacy.json';
  if (command === 'spec' && item === 'list') return 'spec-list-legacy.json';
  if (command === 'validate' && has('--all')) return has('--strict') ? 'validate-all-strict.json' : 'validate-all.json';
  if (command === 'validate' && has('--archived')) return 'validate-archived.json';
  const type = argv[argv.indexOf('--type') + 1];
  const file = `${type}/${item.replaceAll('/', '__')}.json`;
  if (command === 'show') return has('--diff') ? `show-diff/${file}` : `show/${file}`;
  if (command === 'validate') return has('--strict') ? `validate-strict/${file}` : `validate/${file}`;
  return null;
}

function recordedCases(name: string): RecordedCase[] {
  const tsv = readFileSync(path.join(oracleDir, 'expected', name, 'exit-codes.tsv'), 'utf-8');
  return tsv
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const [code, command] = line.split('\t');
      const argv = command.split(' ').slice(1);
      const expectedFile = expectedFileFor(argv);
      return expectedFile ? [{ argv, exitCode: Number(code), expectedFile }] : [];
    });
}

const corpora = existsSync(path.join(oracleDir, 'corpus')) ? readdirSync(path.join(oracleDir, 'corpus')) : [];

describe('official CLI conformance (shared oracle corpus)', () => {
  // Loud, not skipped: a missing corpus must fail the run.
  it('finds the oracle corpus', () => {
    expect(corpora.length, `${oracleDir}/corpus is missing or empty`).toBeGreaterThan(0);
  });
  for (const name of corpora) {
    describe(name, () => {
      let root = '';
      let tree: OpenSpecTree | undefined;
      beforeAll(async () => {
        root = await copyRoot(path.join(oracleDir, 'corpus', name), name);
        // Read once: every recorded command is read-only, so one snapshot serves them all.
        tree = readTree(root);
      });
      afterAll(async () => {
        if (root) await rm(root, { recursive: true, force: true });
      });

      recordedCases(name).forEach((c, index) => {
        it(`openspec ${c.argv.join(' ')}`, async () => {
          const expected: unknown = JSON.parse(readFileSync(path.join(oracleDir, 'expected', name, c.expectedFile), 'utf-8'));
          // The first case goes through the file-reading entry point, the rest reuse the snapshot.
          const { json, exitCode } =
            index === 0 || !tree ? await runOpenSpecJson(c.argv, root) : await runOpenSpecJsonOnTree(c.argv, root, tree);
          expect(normalise(json, root)).toEqual(expected);
          expect(exitCode).toBe(c.exitCode);
        });
      });
    });
  }
});
