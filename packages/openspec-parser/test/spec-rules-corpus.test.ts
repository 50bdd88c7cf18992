/**
 * The clean-room main-spec rules against the official CLI's recorded answers
 * (`validate <spec> --json` for every spec of the shared oracle corpus).
 * Fails loudly when the corpus is missing instead of skipping.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { specPath } from '../src/model/discovery';
import { readTree } from '../src/read';
import { validateSpecContent } from '../src/validate/spec-rules';

const oracle = path.resolve(import.meta.dirname, '../../../../shared/openspec-oracle');

describe('main-spec rules vs the recorded official answers', () => {
  it('finds the oracle corpus', () => {
    expect(fs.existsSync(path.join(oracle, 'corpus')), `${oracle}/corpus is missing`).toBe(true);
  });
  for (const name of fs.existsSync(path.join(oracle, 'corpus')) ? fs.readdirSync(path.join(oracle, 'corpus')) : []) {
    const dir = path.join(oracle, 'expected', name, 'validate', 'spec');
    it(`${name}: every spec's issues, in order`, () => {
      const tree = readTree(path.join(oracle, 'corpus', name));
      const files = fs.readdirSync(dir);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const expected = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { items: Array<{ issues: unknown }> };
        const id = f.replace(/\.json$/, '').replaceAll('__', '/');
        expect(validateSpecContent(tree.read(specPath(id)) ?? ''), id).toEqual(expected.items[0]!.issues);
      }
    });
  }
});
