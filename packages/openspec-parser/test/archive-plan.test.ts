/**
 * The archive plan against every recorded `archive <id> --json --yes` of the
 * oracle corpus: the same result (date normalised) or the same refusal.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planArchive } from '../src/archive/plan';
import { readTree } from '../src/read';
import { normalise, oracleDir } from './helpers';

const corpora = fs.existsSync(path.join(oracleDir, 'corpus')) ? fs.readdirSync(path.join(oracleDir, 'corpus')) : [];
const NOW = new Date(2026, 0, 15);

describe('archive plan vs the recorded official archives', () => {
  it('finds the oracle corpus', () => expect(corpora.length, `${oracleDir}/corpus is missing`).toBeGreaterThan(0));
  for (const name of corpora) {
    const dir = path.join(oracleDir, 'expected', name, 'archive');
    for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      it(`${name}: archive ${id} --json --yes`, () => {
        const expected = JSON.parse(fs.readFileSync(path.join(dir, id, 'result.json'), 'utf8')) as { archive: unknown; status?: unknown[] };
        const root = path.join(oracleDir, 'corpus', name);
        const plan = planArchive(readTree(root), id, { yes: true }, NOW, root);
        const json = plan.ok ? { archive: plan.result } : { archive: null, status: [plan.status] };
        const text = JSON.stringify(normalise(json, root)).replaceAll('2026-01-15-', '<DATE>-');
        // The recorded file also carries `root`, which the envelope (not the plan) adds.
        expect(JSON.parse(text)).toEqual({ archive: expected.archive, ...(expected.status ? { status: expected.status } : {}) });
      });
    }
  }
});
