/**
 * Archive conformance against the recorded answers of the official CLI
 * (shared/openspec-oracle): for every `expected/<root>/archive/<id>/` case our
 * archive must print the same JSON and leave the same main spec files.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveEnvelope } from '../src/archive/fs';
import { archiveChange } from '../src/archive/fs';
import { copyRoot, dumpTree, makeTempDir, normaliseArchiveJson, oracleDir } from './archive-helpers';

const corpusRoots = fs.existsSync(path.join(oracleDir, 'expected'))
  ? fs.readdirSync(path.join(oracleDir, 'expected')).filter((n) => fs.existsSync(path.join(oracleDir, 'expected', n, 'archive')))
  : [];
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

const isSpecFile = (rel: string) => rel.startsWith('openspec/specs/');

describe('archive conformance with the oracle corpus', () => {
  // Loud, not skipped: a missing corpus must fail the run.
  it('finds the oracle corpus', () => expect(corpusRoots.length, `${oracleDir}/corpus is missing`).toBeGreaterThan(0));
  for (const name of corpusRoots) {
    const casesDir = path.join(oracleDir, 'expected', name, 'archive');
    const before = dumpTree(path.join(oracleDir, 'corpus', name));
    for (const id of fs.readdirSync(casesDir).sort()) {
      it(`${name}: archive ${id}`, async () => {
        const caseDir = path.join(casesDir, id);
        const root = makeTempDir();
        temps.push(root);
        copyRoot(path.join(oracleDir, 'corpus', name), root);

        const outcome = await archiveChange(root, id, { yes: true });
        const envelope = archiveEnvelope(outcome, { path: root, source: 'nearest' });
        const expected = JSON.parse(fs.readFileSync(path.join(caseDir, 'result.json'), 'utf-8'));
        expect(normaliseArchiveJson(envelope, root)).toEqual(expected);

        // Main specs: exactly the recorded files changed or appeared, byte for byte.
        const after = dumpTree(root, (rel) => rel === 'openspec/.workdeck.lock');
        const changed = Object.keys(after)
          .filter((rel) => isSpecFile(rel) && after[rel] !== before[rel])
          .sort();
        const expectedSpecsDir = path.join(caseDir, 'specs');
        const expectedSpecs = fs.existsSync(expectedSpecsDir) ? dumpTree(expectedSpecsDir) : {};
        expect(changed).toEqual(
          Object.keys(expectedSpecs)
            .map((rel) => `openspec/specs/${rel}`)
            .sort(),
        );
        for (const [rel, content] of Object.entries(expectedSpecs)) {
          expect(after[`openspec/specs/${rel}`], rel).toBe(content);
        }
        const deleted = Object.keys(before)
          .filter((rel) => isSpecFile(rel) && !(rel in after))
          .sort();
        const deletedFile = path.join(caseDir, 'deleted-specs.txt');
        const expectedDeleted = fs.existsSync(deletedFile)
          ? fs
              .readFileSync(deletedFile, 'utf-8')
              .split('\n')
              .map((l) => l.trim())
              .filter(Boolean)
              .sort()
          : [];
        expect(deleted).toEqual(expectedDeleted);

        // The change moved (or, refused, stayed) and nothing else under openspec/ moved.
        const changeStillThere = fs.existsSync(path.join(root, 'openspec/changes', id));
        expect(changeStillThere).toBe(expected.archive === null);
        expect(fs.existsSync(path.join(root, 'openspec/.workdeck-archive-journal.json'))).toBe(false);
      });
    }
  }
});
