import { z } from "zod";

/** Review and land (issue 11): what a session changed, and how its branch reaches the project. */

export const LandInputSchema = z.object({
  id: z.number().int().positive(),
  /** merge: onto the branch the project had checked out at launch; discard: drop the work. */
  mode: z.enum(["merge", "discard"]),
});
export type LandInput = z.infer<typeof LandInputSchema>;

export type LandedMode = "merged" | "discarded";

export const LandResultSchema = z.object({
  id: z.number().int(),
  landed: z.enum(["merged", "discarded"]),
  /** Merged: the commit of the base branch that now holds the work (null when it was already there). */
  landedCommit: z.string().nullable(),
  /** The session's last commit, uncommitted work included (a discarded one stays reachable until git gc). */
  branchCommit: z.string().nullable(),
  baseBranch: z.string().nullable(),
  /** How the base branch moved: a fast-forward, a merge commit, or not at all (nothing new). */
  how: z.enum(["fast_forward", "merge_commit", "up_to_date"]).nullable(),
});
export type LandResult = z.infer<typeof LandResultSchema>;

export const DIFF_FILE_STATUSES = ["added", "modified", "deleted", "renamed", "copied", "type_changed"] as const;
export type DiffFileStatus = (typeof DIFF_FILE_STATUSES)[number];

export type DiffFile = {
  path: string;
  /** The path before a rename or copy. */
  oldPath: string | null;
  status: DiffFileStatus;
  added: number;
  removed: number;
  binary: boolean;
  /** git's unified diff of this file (headers included); null when it is summarised instead. */
  patch: string | null;
  /** Why the patch is left out: a binary file, a file too big to show, or the whole diff's budget spent. */
  omitted: "binary" | "too_large" | "budget" | null;
};

export type SessionDiff = {
  baseCommit: string;
  /** The session branch (null when there is none any more). */
  branch: string | null;
  /** What was compared: the live worktree (uncommitted work included), the kept branch, the landed commit, or nothing. */
  source: "worktree" | "branch" | "landed" | "none";
  files: DiffFile[];
  totals: { files: number; added: number; removed: number };
};
