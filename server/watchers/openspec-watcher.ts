import path from "node:path";
import { watch, type FSWatcher } from "chokidar";
import type { Logger } from "../logger";
import type { OpenSpecService } from "../services/openspec";
import type { Project } from "@/lib/schemas/project";

/** Bursts (an editor's save, git checkout, our own archive) settle into one refresh. */
const DEBOUNCE_MS = 60;

/** Our own lock and journal files change on every write; they are not content. */
const IGNORED = /(^|[\\/])(\.workdeck[^\\/]*|[^\\/]*\.lock|node_modules|\.git)([\\/]|$)|~$|\.sw[px]$/;

/**
 * One chokidar watcher per project's `openspec/` folder. chokidar v4+ has no
 * globs: we watch the folder and filter paths ourselves.
 */
export class OpenSpecWatcher {
  private readonly watchers = new Map<string, { root: string; watcher: FSWatcher }>();
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; paths: Set<string> }>();

  constructor(
    private readonly openspec: OpenSpecService,
    private readonly log: Logger,
  ) {}

  async watch(projects: Project[]): Promise<void> {
    const wanted = new Map(projects.filter((p) => !p.problem).map((p) => [p.slug, path.join(p.openspecRoot, "openspec")]));
    for (const [slug, entry] of this.watchers) {
      if (wanted.get(slug) !== entry.root) {
        await entry.watcher.close();
        this.watchers.delete(slug);
      }
    }
    const ready: Promise<void>[] = [];
    for (const [slug, root] of wanted) {
      if (this.watchers.has(slug)) continue;
      const watcher = watch(root, {
        ignoreInitial: true,
        ignored: (p) => IGNORED.test(path.relative(root, p)),
        // Atomic saves (write temp + rename) would otherwise show as unlink + add.
        atomic: true,
      });
      watcher.on("all", (_event, changedPath) => this.schedule(slug, path.relative(root, changedPath)));
      watcher.on("error", (err) => this.log.warn({ err, slug }, "openspec watcher error"));
      ready.push(new Promise((resolve) => watcher.once("ready", () => resolve())));
      this.watchers.set(slug, { root, watcher });
    }
    await Promise.all(ready);
  }

  private schedule(slug: string, relPath: string): void {
    const entry = this.pending.get(slug) ?? { timer: undefined as unknown as NodeJS.Timeout, paths: new Set<string>() };
    clearTimeout(entry.timer);
    entry.paths.add(relPath.split(path.sep).join("/"));
    entry.timer = setTimeout(() => {
      this.pending.delete(slug);
      this.openspec.onFilesChanged(slug, [...entry.paths]);
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
