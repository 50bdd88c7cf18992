import fs from "node:fs";
import path from "node:path";
import type { LoadedConfig } from "../config";
import { DEMO_WORKSPACE } from "./service";
import { git, identityEnv } from "../sessions/worktree";

/**
 * With no projects configured Workdeck serves the demo workspace. It serves a copy in the data
 * folder, never `examples/` itself: proposals, archives and sessions write to the projects they
 * show, and those writes must not edit the Workdeck checkout. The copy is a git repository with
 * one commit, so sessions on it get worktrees and can be merged like on any project.
 */

/** Where the copy lives: beside the database (`data/demo-workspace`). */
export function demoWorkspaceDir(dataDir: string): string {
  return path.join(dataDir, "demo-workspace");
}

/** The demo root to serve when the config names no projects and no scan folders (copied on first use), else undefined. */
export function servedDemoRoot(env: { appRoot: string; dbPath: string }, loaded: LoadedConfig): string | undefined {
  if (loaded.config.projects?.length || loaded.config.scan?.length) return undefined;
  const dataDir = env.dbPath === ":memory:" ? path.join(env.appRoot, "data") : path.dirname(env.dbPath);
  return prepareDemoWorkspace({ appRoot: env.appRoot, target: demoWorkspaceDir(dataDir) }).path;
}

/**
 * Copies `examples/demo-workspace` to `target` once. A copy already there is served as it is,
 * with the user's edits. The copy is built beside the target and renamed into place, so a start
 * that dies halfway leaves no half-copy that later starts would take for the real one.
 */
export function prepareDemoWorkspace(opts: { appRoot: string; target: string }): { path: string; created: boolean } {
  if (fs.existsSync(opts.target)) return { path: opts.target, created: false };
  const source = path.join(opts.appRoot, DEMO_WORKSPACE);
  const building = `${opts.target}.partial-${process.pid}`;
  fs.rmSync(building, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(opts.target), { recursive: true });
  try {
    fs.cpSync(source, building, { recursive: true });
    try {
      git(building, ["init", "-q", "-b", "main"]);
      git(building, ["add", "-A"]);
      git(
        building,
        ["commit", "-q", "--no-verify", "--no-gpg-sign", "-m", "Demo workspace (copied from examples/demo-workspace by Workdeck)"],
        identityEnv(building),
      );
    } catch {
      // No usable git: the demo is still served, its sessions just run without worktrees.
      fs.rmSync(path.join(building, ".git"), { recursive: true, force: true });
    }
    fs.renameSync(building, opts.target);
  } catch (err) {
    fs.rmSync(building, { recursive: true, force: true });
    // Another process starting at the same moment won the rename: its copy is as good as ours.
    if (fs.existsSync(opts.target)) return { path: opts.target, created: false };
    throw err;
  }
  return { path: opts.target, created: true };
}
