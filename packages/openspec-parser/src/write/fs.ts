/**
 * Proposal creation, disk half: write a new change directory atomically
 * (staged under openspec/.workdeck-staging, then one rename into
 * changes/<id>), under the same lock as archive, after recovering any
 * interrupted archive. A crash leaves at most a staging dir, which the next
 * write operation removes; `changes/` never sees a half-written change.
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readArchiveTree, recoverUnlocked, STAGING_DIR, withOpenSpecLock, type LockOptions } from '../archive/fs';
import { planCreateChange, type CreateChangeCode, type CreateChangeInput } from './proposal';

export type CreateChangeResult =
  | { ok: true; id: string; /** Absolute path of the new change dir. */ path: string; schema: string; files: string[] }
  | { ok: false; code: CreateChangeCode; message: string };

export interface CreateChangeOptions extends LockOptions {
  /** Creation date for `.openspec.yaml` (local time zone); defaults to now. */
  now?: Date;
  /** Test hook, called before each step; throwing there simulates a crash. */
  faultHook?: (step: string) => void | Promise<void>;
}

async function writeSynced(file: string, content: string): Promise<void> {
  const handle = await fsp.open(file, 'wx');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Create `openspec/changes/<id>/` with .openspec.yaml, proposal.md and (when given) tasks.md. */
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
      const staging = path.join(rootPath, ...STAGING_DIR.split('/'), `${plan.id}-${randomUUID().slice(0, 8)}`);
      const target = path.join(rootPath, ...plan.dir.split('/'));
      try {
        await fsp.mkdir(staging, { recursive: true });
        for (const [name, content] of Object.entries(plan.files)) {
          await hook(`write:${name}`);
          await writeSynced(path.join(staging, name), content);
        }
        // Like `openspec new change`, never leave a half root: specs/ and changes/archive/ exist afterwards.
        await fsp.mkdir(path.join(rootPath, 'openspec', 'changes', 'archive'), { recursive: true });
        await fsp.mkdir(path.join(rootPath, 'openspec', 'specs'), { recursive: true });
        await hook('publish');
        try {
          await fsp.rename(staging, target);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EEXIST' || code === 'ENOTEMPTY') {
            return { ok: false, code: 'change_exists', message: `Change '${plan.id}' already exists at openspec/changes/${plan.id}` } as const;
          }
          throw error;
        }
      } finally {
        await fsp.rm(path.join(rootPath, ...STAGING_DIR.split('/')), { recursive: true, force: true });
      }
      return { ok: true, id: plan.id, path: target, schema: plan.schema, files: Object.keys(plan.files) };
    },
    options,
  );
}
