import fs from "node:fs";
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";
import type { Logger } from "../logger";
import { openspecRel, projectRoot } from "./links";
import type { OpenSpecService } from "./service";
import { isWithin } from "../projects/paths";
import type { Project } from "@/lib/schemas/project";

/** Bursts (an editor's save, git checkout, our own archive) settle into one refresh. */
const DEBOUNCE_MS = 60;

/** Our own lock and journal files change on every write; they are not content. */
const IGNORED = /(^|[\\/])(\.workdeck[^\\/]*|[^\\/]*\.lock|node_modules|\.git)([\\/]|$)|~$|\.sw[px]$/;

/**
 * Bounds on one project's watch (issue 10 item 2: a link to /usr took the
 * server to 1.7 GB). The deepest real path is
 * changes/archive/<id>/specs/<8 nested segments>/spec.md; an openspec/
 * folder of a few thousand changes is well under the count.
 */
const MAX_DEPTH = 16;
const MAX_ENTRIES = 50_000;

export type WatchLimits = { maxDepth?: number; maxEntries?: number };

type Entry = { root: string; watcher: FSWatcher };

/**
 * One chokidar watcher per project's `openspec/` folder. chokidar v4+ has no
 * globs: we watch the folder and filter paths ourselves. Links that stay in
 * the project are followed; links that leave it are never entered, and each
 * is logged once by its path relative to the project.
 */
export class OpenSpecWatcher {
  private readonly watchers = new Map<string, Entry>();
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; paths: Set<string> }>();
  private readonly limits: Required<WatchLimits>;

  constructor(
    private readonly openspec: OpenSpecService,
    private readonly log: Logger,
    limits: WatchLimits = {},
  ) {
    this.limits = { maxDepth: limits.maxDepth ?? MAX_DEPTH, maxEntries: limits.maxEntries ?? MAX_ENTRIES };
  }

  async watch(projects: Project[]): Promise<void> {
    const wanted = new Map(projects.filter((p) => !p.problem).map((p) => [p.slug, p]));
    for (const [slug, entry] of this.watchers) {
      const p = wanted.get(slug);
      if (!p || path.join(p.openspecRoot, "openspec") !== entry.root) {
        await entry.watcher.close();
        this.watchers.delete(slug);
      }
    }
    const ready: Promise<void>[] = [];
    for (const [slug, project] of wanted) {
      if (this.watchers.has(slug)) continue;
      const started = this.start(slug, project);
      if (!started) continue;
      ready.push(new Promise((resolve) => started.watcher.once("ready", () => resolve())));
      this.watchers.set(slug, started);
    }
    await Promise.all(ready);
  }

  private start(slug: string, project: Project): Entry | null {
    const root = path.join(project.openspecRoot, "openspec");
    const realProject = projectRoot(project);
    const base = openspecRel(project);
    const guard = new LinkGuard(realProject, root, base, this.limits.maxEntries, (what, rel) => {
      if (what === "link") this.log.warn({ project: slug, link: rel }, "openspec watcher: skipped a link that leaves the project");
      else
        this.log.warn(
          { project: slug, limit: this.limits.maxEntries },
          "openspec watcher: entry limit reached; further files are not watched",
        );
    });
    // openspec/ itself may be the link (discovery flags it; a link made since is caught here).
    if (guard.leaves(root)) {
      guard.report(base);
      return null;
    }
    const watcher = watch(root, {
      ignoreInitial: true,
      ignored: (p, stats) => IGNORED.test(path.relative(root, p)) || guard.refuses(p, stats),
      depth: this.limits.maxDepth,
      // Atomic saves (write temp + rename) would otherwise show as unlink + add.
      atomic: true,
    });
    watcher.on("all", (event, changedPath) => {
      if (event === "unlink" || event === "unlinkDir") guard.forget(changedPath);
      this.schedule(slug, path.relative(root, changedPath));
    });
    watcher.on("error", (err) => this.log.warn({ err, slug }, "openspec watcher error"));
    return { root, watcher };
  }

  /** What one project's watch holds, relative to its openspec/ (for diagnostics and tests). */
  watchedPaths(slug: string): string[] {
    const entry = this.watchers.get(slug);
    if (!entry) return [];
    const out = new Set<string>();
    for (const [dir, names] of Object.entries(entry.watcher.getWatched())) {
      for (const name of names) {
        const rel = path.relative(entry.root, path.join(dir, name));
        if (rel && !rel.startsWith("..")) out.add(rel.split(path.sep).join("/"));
      }
    }
    return [...out].sort();
  }

  private schedule(slug: string, relPath: string): void {
    const entry = this.pending.get(slug) ?? { timer: undefined as unknown as NodeJS.Timeout, paths: new Set<string>() };
    clearTimeout(entry.timer);
    entry.paths.add(relPath.split(path.sep).join("/"));
    entry.timer = setTimeout(() => {
      this.pending.delete(slug);
      this.openspec
        .onFilesChanged(slug, [...entry.paths])
        .catch((err: unknown) => this.log.warn({ err, project: slug }, "could not announce a change on disk"));
    }, DEBOUNCE_MS);
    this.pending.set(slug, entry);
  }

  async close(): Promise<void> {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    await Promise.all([...this.watchers.values()].map((w) => w.watcher.close()));
    this.watchers.clear();
  }
}

/**
 * chokidar's `ignored` hook for one project: refuses links whose real target
 * leaves the project (checked on the link itself, so /usr is never listed)
 * and anything past the entry budget. Only links need a realpath: a plain
 * entry under an admitted folder is inside by construction.
 */
class LinkGuard {
  private readonly admitted = new Set<string>();
  private readonly reported = new Set<string>();
  private full = false;

  constructor(
    private readonly realProject: string,
    private readonly watchRoot: string,
    private readonly base: string,
    private readonly maxEntries: number,
    private readonly onSkip: (what: "link" | "limit", rel: string) => void,
  ) {}

  refuses(p: string, stats?: fs.Stats): boolean {
    // Asked again on every re-read, and chokidar sometimes passes stat() results that hide
    // the link: lstat each time, so a folder replaced by a link to /usr is caught too.
    let isLink = stats?.isSymbolicLink() ?? false;
    if (!isLink) {
      try {
        isLink = fs.lstatSync(p).isSymbolicLink();
      } catch {
        return false;
      }
    }
    if (isLink && this.leaves(p)) {
      this.report(`${this.base}/${path.relative(this.watchRoot, p).split(path.sep).join("/")}`);
      return true;
    }
    if (this.admitted.has(p)) return false;
    if (this.admitted.size >= this.maxEntries) {
      if (!this.full) this.onSkip("limit", "");
      this.full = true;
      return true;
    }
    this.admitted.add(p);
    return false;
  }

  /** Whether the real target of `p` lies outside the project (a dangling link does not: there is nothing to follow). */
  leaves(p: string): boolean {
    try {
      return !isWithin(this.realProject, fs.realpathSync(p));
    } catch {
      return false;
    }
  }

  report(rel: string): void {
    if (this.reported.has(rel) || this.reported.size >= 10_000) return;
    this.reported.add(rel);
    this.onSkip("link", rel);
  }

  forget(p: string): void {
    this.admitted.delete(p);
    const prefix = `${p}${path.sep}`;
    for (const q of this.admitted) if (q.startsWith(prefix)) this.admitted.delete(q);
  }
}
