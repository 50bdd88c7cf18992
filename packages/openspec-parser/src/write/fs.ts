/**
 * Proposal creation, disk half: the new change is staged under
 * openspec/.workdeck-staging and published with one rename into
 * changes/<id>, under the same lock as archive and after recovering any
 * interrupted archive. A crash leaves at most a staging dir (removed by the
 * next write); `changes/` never sees a half-written change.
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readArchiveTree, recoverUnlocked, STAGING_DIR, withOpenSpecLock, type LockOptions } from '../archive/fs';
import { DEFAULT_SCHEMA, planCreateChange, type CreateChangeCode, type CreateChangeInput } from './proposal';

export type CreateChangeResult =
  | { ok: true; id: string; /** Absolute path of the new change dir. */ path: string; schema: string; files: string[] }
  | { ok: false; code: CreateChangeCode; message: string };

export interface CreateChangeOptions extends LockOptions {
  /** Creation date for `.openspec.yaml` (local calendar day); defaults to now. */
  now?: Date;
  /** Test hook, called before each step; throwing there simulates a crash. */
  faultHook?: (step: string) => void | Promise<void>;
}

async function writeSynced(file: string, content: string, flag: 'wx' = 'wx'): Promise<void> {
  const handle = await fsp.open(file, flag);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `openspec new change` leaves a whole root behind: config.yaml (when missing), specs/ and changes/archive/. */
async function completeRoot(rootPath: string): Promise<void> {
  await fsp.mkdir(path.join(rootPath, 'openspec', 'changes', 'archive'), { recursive: true });
  await fsp.mkdir(path.join(rootPath, 'openspec', 'specs'), { recursive: true });
  try {
    await writeSynced(path.join(rootPath, 'openspec', 'config.yaml'), `schema: ${DEFAULT_SCHEMA}\n`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Create `openspec/changes/<id>/` with .openspec.yaml, proposal.md and (when tasks are given) tasks.md. */
export async function createChange(root: string, input: CreateChangeInput, options: CreateChangeOptions = {}): Promise<CreateChangeResult> {
  const rootPath = path.resolve(root);
  await fsp.mkdir(path.join(rootPath, 'openspec'), { recursive: true });
  const hook = options.faultHook ?? (() => undefined);
  return withOpenSpecLock(
    rootPath,
    async () => {
      await recoverUnlocked(rootPath);
      const plan = planCreateChange(readArchiveTree(rootPath, ''), input, options.now ?? new Date());
      if (!plan.ok) return plan;
      const stagingRoot = path.join(rootPath, ...STAGING_DIR.split('/'));
      const staging = path.join(stagingRoot, `${plan.id}-${randomUUID().slice(0, 8)}`);
      const target = path.join(rootPath, ...plan.dir.split('/'));
      try {
        await fsp.mkdir(staging, { recursive: true });
        for (const [name, content] of Object.entries(plan.files)) {
          await hook(`write:${name}`);
          // Delta specs sit in specs/<capability>/ inside the change.
          await fsp.mkdir(path.dirname(path.join(staging, name)), { recursive: true });
          await writeSynced(path.join(staging, name), content);
        }
        await hook('publish');
        await completeRoot(rootPath);
        try {
          await fsp.rename(staging, target);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          // Someone outside the lock (the CLI, an editor) created it since the read.
          if (code === 'EEXIST' || code === 'ENOTEMPTY') {
            return { ok: false, code: 'change_exists', message: `Change '${plan.id}' already exists at ${plan.dir}` } as const;
          }
          throw error;
        }
      } finally {
        await fsp.rm(stagingRoot, { recursive: true, force: true });
      }
      return { ok: true, id: plan.id, path: target, schema: plan.schema, files: Object.keys(plan.files) };
    },
    options,
  );
}
