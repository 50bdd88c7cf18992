/**
 * The change editor (issue 13 item 1): proposal.md, design.md, tasks.md and the delta specs of an
 * existing change, read with a version token and written back under the OpenSpec lock (the one
 * archive and proposal creation hold). A file changed on disk since the editor opened it (another
 * tab, an agent, the CLI) is never overwritten blindly: the write is refused with a 409 naming it.
 */
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as parser from "@workdeck/openspec-parser/fs";
import { AppError } from "../app-error";
import { assertChangeId, resolveInsideProject } from "../projects/paths";
import type { ProjectRegistry } from "../projects/service";
import { assertChangeStaysInside, openspecRel, projectRoot } from "./links";
import {
  ReadChangeFileInputSchema,
  SetTaskDoneInputSchema,
  WriteChangeFileInputSchema,
  type ChangeFileContent,
  type ReadChangeFileInput,
  type SetTaskDoneInput,
  type WriteChangeFileInput,
} from "@/lib/schemas/openspec";
import type { Project } from "@/lib/schemas/project";

type EditorDeps = {
  projects: ProjectRegistry;
  openspec: {
    showChange(input: { projectId: string; changeId: string }): Promise<unknown>;
    onFilesChanged(slug: string, relPaths: string[]): Promise<void>;
  };
};

const ABSENT = "absent";

/** mtime + content hash: the hash catches a same-millisecond rewrite, the mtime a rewrite to equal bytes is harmless. */
function versionOf(content: string, mtimeMs: number): string {
  return `${Math.floor(mtimeMs)}-${createHash("sha256").update(content).digest("hex").slice(0, 16)}`;
}

type Located = { project: Project; changeId: string; file: string; abs: string; rel: string };

async function locate(deps: EditorDeps, input: ReadChangeFileInput): Promise<Located> {
  const project = deps.projects.get(input.projectId);
  if (project.problem) throw new AppError("UNPROCESSABLE", project.problem);
  const changeId = assertChangeId(input.changeId);
  assertChangeStaysInside(project, changeId, { specs: true });
  // NOT_FOUND for a change that is not there (or is archived).
  await deps.openspec.showChange({ projectId: project.slug, changeId });
  const rel = `changes/${changeId}/${input.file}`;
  const abs = resolveInsideProject(projectRoot(project), `${openspecRel(project)}/${rel}`);
  return { project, changeId, file: input.file, abs, rel };
}

function readCurrent(abs: string): ChangeFileContent & { file: string } {
  try {
    const content = fs.readFileSync(abs, "utf8");
    return { file: "", content, version: versionOf(content, fs.statSync(abs).mtimeMs), exists: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { file: "", content: "", version: ABSENT, exists: false };
    if ((err as NodeJS.ErrnoException).code === "EISDIR") throw new AppError("UNPROCESSABLE", "That name is a folder, not a file.");
    throw err;
  }
}

/** `openspec.readChangeFile`: the text and its version (`absent` for a design.md or delta not written yet). */
export async function readChangeFile(deps: EditorDeps, raw: ReadChangeFileInput): Promise<ChangeFileContent> {
  const at = await locate(deps, ReadChangeFileInputSchema.parse(raw));
  return { ...readCurrent(at.abs), file: at.file };
}

/** Temp file beside it, fsync, rename: a crash leaves the old file or the new one, never half of one. */
function writeAtomic(abs: string, content: string): void {
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${randomUUID().slice(0, 8)}.tmp`);
  const fd = fs.openSync(tmp, "wx");
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, abs);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

async function underLock<T>(project: Project, fn: () => Promise<T>): Promise<T> {
  try {
    return await parser.withOpenSpecLock(project.openspecRoot, fn, { waitMs: 5000 });
  } catch (err) {
    // The parser's message names the folder; ours does not.
    if (err instanceof parser.LockBusyError)
      throw new AppError(
        "CONFLICT",
        "Another Workdeck operation is writing to this project's OpenSpec files; try again in a moment.",
        "openspec_locked",
      );
    throw err;
  }
}

function changedOnDisk(file: string): AppError {
  return new AppError(
    "CONFLICT",
    `${file} changed on disk since you opened it; reload it (your text is kept in the editor) and apply your edit again.`,
    "file_changed",
  );
}

/** `openspec.writeChangeFile`: refused with 409 when the file is not at the version the editor read. */
export async function writeChangeFile(deps: EditorDeps, raw: WriteChangeFileInput): Promise<ChangeFileContent> {
  const input = WriteChangeFileInputSchema.parse(raw);
  const at = await locate(deps, input);
  const written = await underLock(at.project, async () => {
    const current = readCurrent(at.abs);
    if (current.version !== input.version) throw changedOnDisk(at.file);
    writeAtomic(at.abs, input.content);
    return { ...readCurrent(at.abs), file: at.file };
  });
  await deps.openspec.onFilesChanged(at.project.slug, [at.rel]);
  return written;
}

const CHECKBOX = /^(\s*(?:[-*+]|\d{1,9}[.)])\s*\[)[^\]]*(\])/;

/**
 * `openspec.setTaskDone`: ticks or unticks one checkbox of tasks.md, found by the line and text the
 * page showed (a tasks.md edited meanwhile so that line holds another task is a 409, not a wrong tick).
 */
export async function setTaskDone(deps: EditorDeps, raw: SetTaskDoneInput): Promise<{ completedTasks: number; totalTasks: number }> {
  const input = SetTaskDoneInputSchema.parse(raw);
  const at = await locate(deps, { projectId: input.projectId, changeId: input.changeId, file: "tasks.md" });
  const result = await underLock(at.project, async () => {
    const current = readCurrent(at.abs);
    if (!current.exists) throw new AppError("NOT_FOUND", `The change "${at.changeId}" has no tasks.md`);
    const task = parser.parseTaskLines(current.content).find((t) => t.line === input.line);
    if (!task || task.text !== input.text.trim()) throw changedOnDisk("tasks.md");
    const lines = current.content.split("\n");
    if (task.done !== input.done) {
      lines[input.line - 1] = lines[input.line - 1]!.replace(CHECKBOX, `$1${input.done ? "x" : " "}$2`);
      writeAtomic(at.abs, lines.join("\n"));
    }
    const tasks = parser.parseTaskLines(lines.join("\n"));
    return { completedTasks: tasks.filter((t) => t.done).length, totalTasks: tasks.length };
  });
  await deps.openspec.onFilesChanged(at.project.slug, [at.rel]);
  return result;
}
