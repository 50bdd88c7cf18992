/**
 * The pure merge against the official CLI's recorded archives: for every
 * change of the corpus that archived, each main spec it wrote, byte for byte.
 * Fails loudly when the corpus is missing.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeSpec } from '../src/archive/merge';
import { parsedDelta } from '../src/model/change';
import { deltaSpecFiles, specPath } from '../src/model/discovery';
import { readTree } from '../src/read';
import { oracleDir } from './helpers';

const corpora = fs.existsSync(path.join(oracleDir, 'corpus')) ? fs.readdirSync(path.join(oracleDir, 'corpus')) : [];

describe('archive merge vs the recorded official archives', () => {
  it('finds the oracle corpus', () => expect(corpora.length, `${oracleDir}/corpus is missing`).toBeGreaterThan(0));
  for (const name of corpora) {
    const dir = path.join(oracleDir, 'expected', name, 'archive');
    for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const result = JSON.parse(fs.readFileSync(path.join(dir, id, 'result.json'), 'utf8')) as {
        archive: { totals?: Record<string, number> } | null;
        status?: Array<{ code: string; message: string }>;
      };
      if (result.status?.[0]?.code === 'archive_spec_update_failed') {
        it(`${name}: ${id} is refused with the CLI's message`, () => {
          const tree = readTree(path.join(oracleDir, 'corpus', name));
          const failures = deltaSpecFiles(tree, id).flatMap((f) => {
            const merged = mergeSpec(tree.read(specPath(f.spec)), parsedDelta(tree, f.path), f.spec, id);
            return merged.ok ? [] : [merged.message];
          });
          expect(failures[0]).toBe(result.status![0]!.message);
        });
        continue;
      }
      if (!result.archive?.totals) continue;
      it(`${name}: ${id}`, () => {
        const tree = readTree(path.join(oracleDir, 'corpus', name));
        const totals = { added: 0, modified: 0, removed: 0, renamed: 0 };
        for (const f of deltaSpecFiles(tree, id)) {
          const merged = mergeSpec(tree.read(specPath(f.spec)), parsedDelta(tree, f.path), f.spec, id);
          if (!merged.ok) throw new Error(merged.message);
          for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += merged.counts[k];
          const expectedFile = path.join(dir, id, 'specs', f.spec, 'spec.md');
          expect(merged.content, f.spec).toBe(fs.readFileSync(expectedFile, 'utf8'));
        }
        expect(totals).toEqual(result.archive!.totals);
      });
    }
  }
});
