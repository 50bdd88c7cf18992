import fs from "node:fs";
import type { DiffFile, DiffFileStatus, SessionDiff } from "@/lib/schemas/session-land";
import { git, gitResult, repositoryTop, resolveCommit, worktreeTree } from "./worktree";

/**
 * What a session changed, per file, for the review on its page. Every file is listed with
 * its counts; the patch text is sent only within a budget, so a generated lockfile, a binary
 * or a thousand-file rewrite is summarised instead of dumped into the browser.
 */

/** A file with more changed lines than this, or bigger blobs than FILE_BYTES, is summarised. */
export const FILE_LINES = 3_000;
export const FILE_BYTES = 1024 * 1024;
/** What the whole review shows as patches; later files are summarised. */
export const TOTAL_LINES = 20_000;
export const TOTAL_BYTES = 4 * 1024 * 1024;
/** Files shown with their patch; a rewrite of thousands of files lists the rest with their counts. */
export const TOTAL_FILES = 300;

const STATUS: Record<string, DiffFileStatus> = { A: "added", M: "modified", D: "deleted", R: "renamed", C: "copied", T: "type_changed" };
const NULL_OID = /^0+$/;

type RawEntry = { path: string; oldPath: string | null; status: DiffFileStatus; oids: string[] };

/** `git diff --raw -z`: modes, blob ids and status per file, renames and copies with both paths. */
function rawEntries(repo: string, from: string, to: string): RawEntry[] {
  const tokens = git(repo, ["diff", "--raw", "-z", "-M", "--abbrev=40", "--no-ext-diff", from, to]).split("\0");
  const out: RawEntry[] = [];
  for (let i = 0; i < tokens.length;) {
    const meta = tokens[i];
    if (!meta?.startsWith(":")) {
      i++;
      continue;
    }
    const [, , oldOid, newOid, code] = meta.slice(1).split(" ");
    const letter = code?.[0] ?? "M";
    const two = letter === "R" || letter === "C";
    const oldPath = two ? tokens[i + 1]! : null;
    const p = two ? tokens[i + 2]! : tokens[i + 1]!;
    out.push({
      path: p,
      oldPath,
      status: STATUS[letter] ?? "modified",
      oids: [oldOid ?? "", newOid ?? ""].filter((o) => o && !NULL_OID.test(o)),
    });
    i += two ? 3 : 2;
  }
  return out;
}

/** `git diff --numstat -z`: added/removed lines per file ("-" for binary), keyed by the new path. */
function numstat(repo: string, from: string, to: string): Map<string, { added: number; removed: number; binary: boolean }> {
  const tokens = git(repo, ["diff", "--numstat", "-z", "-M", "--no-ext-diff", from, to]).split("\0");
  const out = new Map<string, { added: number; removed: number; binary: boolean }>();
  for (let i = 0; i < tokens.length;) {
    const rec = tokens[i]!;
    if (!rec) {
      i++;
      continue;
    }
    const [a, r, ...rest] = rec.split("\t");
    const renamed = rest.join("\t") === "";
    const p = renamed ? tokens[i + 2]! : rest.join("\t");
    out.set(p, { added: a === "-" ? 0 : Number(a), removed: r === "-" ? 0 : Number(r), binary: a === "-" && r === "-" });
    i += renamed ? 3 : 1;
  }
  return out;
}

/** Blob sizes in one `cat-file --batch-check`, so a huge file is summarised before its patch is ever produced. */
function blobSizes(repo: string, oids: string[]): Map<string, number> {
  const sizes = new Map<string, number>();
  if (!oids.length) return sizes;
  const r = gitResult(repo, ["cat-file", "--batch-check=%(objectname) %(objectsize)"], {}, `${oids.join("\n")}\n`);
  for (const line of r.stdout.split("\n")) {
    const [oid, size] = line.split(" ");
    if (oid && size && /^\d+$/.test(size)) sizes.set(oid, Number(size));
  }
  return sizes;
}

/** Per-file review of `from`..`to` (commits or trees) in `repo`. */
export function diffFiles(repo: string, from: string, to: string): DiffFile[] {
  const raw = rawEntries(repo, from, to);
  const counts = numstat(repo, from, to);
  const sizes = blobSizes(repo, [...new Set(raw.flatMap((e) => e.oids))]);
  let lines = 0;
  let bytes = 0;
  let shownFiles = 0;
  const files: DiffFile[] = raw.map((e) => {
    const c = counts.get(e.path) ?? { added: 0, removed: 0, binary: false };
    const size = e.oids.reduce((sum, oid) => sum + (sizes.get(oid) ?? 0), 0);
    const changed = c.added + c.removed;
    let omitted: DiffFile["omitted"] = null;
    if (c.binary) omitted = "binary";
    else if (changed > FILE_LINES || size > FILE_BYTES) omitted = "too_large";
    else if (lines + changed > TOTAL_LINES || bytes + size > TOTAL_BYTES || shownFiles >= TOTAL_FILES) omitted = "budget";
    else {
      lines += changed;
      bytes += size;
      shownFiles++;
    }
    return {
      path: e.path,
      oldPath: e.oldPath,
      status: e.status,
      added: c.added,
      removed: c.removed,
      binary: c.binary,
      patch: null,
      omitted,
    };
  });
  const shown = files.filter((f) => !f.omitted);
  if (!shown.length) return files;

  // One `git diff` for every shown file; both paths of a rename, so it is still seen as one.
  const specs = [...new Set(shown.flatMap((f) => (f.oldPath ? [f.oldPath, f.path] : [f.path])))].map((p) => `:(literal)${p}`);
  const text = git(repo, ["diff", "-M", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/", from, to, "--", ...specs]);
  const byHeader = new Map(shown.map((f) => [`diff --git a/${f.oldPath ?? f.path} b/${f.path}`, f]));
  const chunks = text.split(/\n(?=diff --git )/).filter((c) => c.startsWith("diff --git "));
  chunks.forEach((chunk, i) => {
    const header = chunk.slice(0, chunk.indexOf("\n") === -1 ? undefined : chunk.indexOf("\n"));
    // Paths git had to quote do not match their header: those fall back to git's order, which is ours.
    const file = byHeader.get(header) ?? (chunks.length === shown.length ? shown[i] : undefined);
    if (file && file.patch === null) file.patch = chunk;
  });
  for (const f of shown) if (f.patch === null) f.omitted = "budget";
  return files;
}

export type DiffSource = {
  worktreePath: string | null;
  worktreeRemovedAt: Date | null;
  baseCommit: string;
  branch: string | null;
  branchCommit: string | null;
  /** The project folder (where the repository is once the worktree is gone). */
  projectPath: string | null;
};

/**
 * The session's diff against the commit it started from: the live worktree while it exists
 * (committed and uncommitted work), else the kept branch (after retention), else the commit
 * recorded when it landed.
 */
export function sessionDiff(s: DiffSource): SessionDiff {
  const result = (source: SessionDiff["source"], files: DiffFile[], branch: string | null): SessionDiff => ({
    baseCommit: s.baseCommit,
    branch,
    source,
    files,
    totals: { files: files.length, added: files.reduce((n, f) => n + f.added, 0), removed: files.reduce((n, f) => n + f.removed, 0) },
  });
  if (s.worktreePath && !s.worktreeRemovedAt && fs.existsSync(s.worktreePath)) {
    const branch = gitResult(s.worktreePath, ["symbolic-ref", "--short", "-q", "HEAD"]).stdout.trim() || null;
    return result("worktree", diffFiles(s.worktreePath, s.baseCommit, worktreeTree(s.worktreePath)), branch);
  }
  let repo: string | null = null;
  try {
    repo = s.projectPath && fs.existsSync(s.projectPath) ? repositoryTop(s.projectPath) : null;
  } catch {
    repo = null;
  }
  if (!repo) return result("none", [], null);
  const onBranch = s.branch ? resolveCommit(repo, `refs/heads/${s.branch}`) : null;
  if (onBranch) return result("branch", diffFiles(repo, s.baseCommit, onBranch), s.branch);
  const recorded = s.branchCommit ? resolveCommit(repo, s.branchCommit) : null;
  if (recorded) return result("landed", diffFiles(repo, s.baseCommit, recorded), null);
  return result("none", [], null);
}
