/**
 * Our own tricky fixtures (CRLF + BOM, fences, nested and dot folders, namespace folders, rename and
 * removal edge cases, empty bodies, task checkbox variants, unknown and ambiguous ids), each
 * command run through the REAL official CLI and through runOpenSpecJson, the JSON compared.
 * One temp copy per fixture; the official CLI is batched (~0.5-1 s per call).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOpenSpecJson } from '../src/cli-json';
import { copyRoot, normalise, officialBin, officialEnv, packageRoot } from './helpers';

interface Answer {
  json: unknown;
  exitCode: number;
}

function runOfficial(argv: string[], cwd: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [officialBin, ...argv], {
      cwd,
      env: officialEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf-8')));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = { unparsedStdout: stdout };
      }
      resolve({ json, exitCode: code ?? -1 });
    });
  });
}

const TRICKY: string[][] = [
  ['list', '--json', '--sort', 'name'],
  ['list', '--specs', '--json'],
  ['change', 'list', '--json'],
  ['spec', 'list', '--json'],
  ['validate', '--all', '--json', '--no-interactive'],
  ['validate', '--all', '--strict', '--json', '--no-interactive'],
  ['validate', '--archived', '--json', '--no-interactive'],
  ['validate', '--changes', '--json', '--report', 'findings', '--no-interactive'],
  ['validate', '--specs', '--strict', '--json', '--report', 'findings', '--no-interactive'],
  ['validate', '--archived', '--json', '--report', 'findings', '--no-interactive'],
  ['validate', '--json', '--report', 'findings', '--no-interactive'],
  ['validate', 'auth', '--json', '--report', 'full', '--no-interactive'],
  ['validate', 'shared', '--json', '--no-interactive'],
  ['validate', 'shared', '--type', 'spec', '--strict', '--json', '--no-interactive'],
  ['validate', 'nope', '--json', '--no-interactive'],
  ['validate', '..', '--type', 'change', '--json', '--no-interactive'],
  ['validate', 'ns', '--json', '--no-interactive'],
  ['validate', 'crlf-change', '--json', '--no-interactive'],
  ['validate', 'missing-spec', '--type', 'spec', '--json', '--no-interactive'],
  ['show', 'add-feature', '--json', '--no-interactive'],
  ['show', 'add-feature', '--json', '--diff', '--no-interactive'],
  ['show', 'add-feature', '--json', '--deltas-only', '--no-interactive'],
  ['show', 'rename-edge', '--type', 'change', '--json', '--diff', '--no-interactive'],
  ['show', 'empty-bodies', '--type', 'change', '--json', '--diff', '--no-interactive'],
  ['show', 'crlf-change', '--json', '--diff', '--no-interactive'],
  ['show', 'legacy', '--json', '--no-interactive'],
  ['show', 'bad-proposal', '--json', '--no-interactive'],
  ['show', 'no-proposal', '--json', '--no-interactive'],
  ['show', 'ns', '--type', 'change', '--json', '--no-interactive'],
  ['show', '.dotchange', '--type', 'change', '--json', '--no-interactive'],
  ['show', 'shared', '--json', '--no-interactive'],
  ['show', 'nope', '--json', '--no-interactive'],
  ['show', 'auth', '--json', '--no-interactive'],
  ['show', 'auth', '--json', '--requirements', '--no-interactive'],
  ['show', 'auth', '--json', '--no-scenarios', '--no-interactive'],
  ['show', 'auth', '--json', '-r', '2', '--no-interactive'],
  ['show', 'auth', '--json', '-r', '9', '--no-interactive'],
  ['show', 'auth', '--json', '--requirements', '-r', '1', '--no-interactive'],
  ['show', 'platform/auth-core', '--json', '--no-interactive'],
  ['show', 'broken', '--type', 'spec', '--json', '--no-interactive'],
  ['show', 'fenced', '--json', '--no-interactive'],
  ['show', 'dup', '--type', 'spec', '--json', '--no-interactive'],
];

const fixtures: Record<string, string[][]> = { tricky: TRICKY };

// Loud, not skipped: without the official CLI this suite proves nothing.
describe('the official CLI', () => {
  it('is installed', () => {
    expect(existsSync(officialBin), `${officialBin} is missing: run npm install`).toBe(true);
  });
});

for (const [fixture, commands] of Object.entries(fixtures)) {
  describe(`fixture "${fixture}" vs the official CLI`, () => {
    let root = '';
    const official = new Map<string, Answer>();

    beforeAll(async () => {
      root = await copyRoot(path.join(packageRoot, 'test/fixtures', fixture), fixture);
      // Two at a time: the machine has two cores shared with other work.
      const queue = [...commands];
      const worker = async (): Promise<void> => {
        for (let argv = queue.shift(); argv; argv = queue.shift()) official.set(argv.join(' '), await runOfficial(argv, root));
      };
      await Promise.all([worker(), worker()]);
    }, 180_000);

    afterAll(async () => {
      if (root) await rm(root, { recursive: true, force: true });
    });

    for (const argv of commands) {
      it(`openspec ${argv.join(' ')}`, async () => {
        const expected = official.get(argv.join(' '));
        const ours = await runOpenSpecJson(argv, root);
        expect(normalise(ours.json, root)).toEqual(normalise(expected?.json, root));
        expect(ours.exitCode).toBe(expected?.exitCode);
      });
    }
  });
}
