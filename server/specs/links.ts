import fs from "node:fs";
import path from "node:path";
import { AppError } from "../app-error";
import type { Logger } from "../logger";
import { findEscapingLinks, isWithin, realOrResolved, resolveInsideProject, staysInside } from "../projects/paths";
import type { ChangeSummary, SpecSummary, ValidationState } from "@/lib/schemas/openspec";
import type { Project } from "@/lib/schemas/project";

/**
 * The service's own guard against links that leave a project (issue 10 items
 * 2-3): a cloned repository may hold `spec.md -> /etc/passwd` or
 * `openspec/usr -> /usr`. The parser's reader is meant to skip such links
 * too; this side holds whichever parser is installed, and costs one
 * directory walk without reads per snapshot.
 */

/**
 * The folder a project's OpenSpec files must really live in: the project
 * folder, or the folder configured to hold openspec/ when that lies elsewhere.
 */
export function projectRoot(project: Project): string {
  const root = realOrResolved(project.path);
  const openspecRoot = realOrResolved(project.openspecRoot);
  return isWithin(root, openspecRoot) ? root : openspecRoot;
}

/** `openspec` under the project root (`docs/openspec` when configured so), with forward slashes. */
export function openspecRel(project: Project): string {
  return toPosix(path.relative(projectRoot(project), path.join(realOrResolved(project.openspecRoot), "openspec")));
}

/** Whether openspec/ itself (or a folder on the way to it) is a link that leaves the project. */
export function openspecLeaves(project: Project): boolean {
  return !staysInside([projectRoot(project)], path.join(project.openspecRoot, "openspec"));
}

/** Every link under openspec/ that leaves the project, relative to the project (`openspec/specs/x/spec.md`). */
export function leavingLinks(project: Project): string[] {
  const root = projectRoot(project);
  return findEscapingLinks([root], path.join(root, openspecRel(project)), root);
}

const WITHHELD_MESSAGE = "links outside the project, so Workdeck does not read it; replace the link with the file itself";

function withheldValidation(links: string[]): ValidationState {
  return {
    valid: false,
    errors: links.length,
    warnings: 0,
    issues: links.map((l) => ({ level: "ERROR" as const, path: l, message: `${l} ${WITHHELD_MESSAGE}` })),
  };
}

/**
 * Lists with what an item read through a leaving link blanked out: the
 * parser may already have read the target, so its title, task counts and
 * requirement count are dropped and the item says why.
 */
export function withholdLeaving(
  snapshot: { changes: ChangeSummary[]; specs: SpecSummary[] },
  links: string[],
  base: string,
): { changes: ChangeSummary[]; specs: SpecSummary[] } {
  if (!links.length) return snapshot;
  const under = (dir: string) => links.filter((l) => l === dir || l.startsWith(`${dir}/`));
  // A spec is its spec.md: a link on the way there (the file or a folder above it) is what counts.
  const above = (file: string) => links.filter((l) => file === l || file.startsWith(`${l}/`));
  return {
    changes: snapshot.changes.map((c) => {
      const hit = under(`${base}/changes/${c.id}`);
      return hit.length ? { ...c, title: c.id, group: "draft", completedTasks: 0, totalTasks: 0, validation: withheldValidation(hit) } : c;
    }),
    specs: snapshot.specs.map((s) => {
      const hit = above(`${base}/specs/${s.id}/spec.md`);
      return hit.length ? { ...s, requirementCount: 0, validation: withheldValidation(hit) } : s;
    }),
  };
}

/** Refuses a change whose folder holds a link that leaves the project; with `specs`, also the specs it merges into. */
export function assertChangeStaysInside(project: Project, changeId: string, opts: { specs?: boolean } = {}): void {
  const root = projectRoot(project);
  const rel = `${openspecRel(project)}/changes/${changeId}`;
  const dir = resolveInsideProject(root, rel);
  const links = findEscapingLinks([root], path.join(root, rel), root);
  if (links.length) throw leaving(`Change "${changeId}"`, links[0]!);
  if (!opts.specs) return;
  for (const capability of deltaCapabilities(path.join(dir, "specs"))) {
    assertSpecFileStaysInside(project, capability, `Change "${changeId}"`);
  }
}

/** Refuses a spec whose spec.md (or a folder on the way) links outside the project. */
export function assertSpecFileStaysInside(project: Project, specId: string, what = `Spec "${specId}"`): void {
  const rel = `${openspecRel(project)}/specs/${specId}/spec.md`;
  try {
    resolveInsideProject(projectRoot(project), rel);
  } catch (err) {
    if (err instanceof AppError && err.code === "FORBIDDEN") throw leaving(what, rel);
    throw err;
  }
}

function leaving(what: string, link: string): AppError {
  return new AppError("FORBIDDEN", `${what} is not served: ${link} ${WITHHELD_MESSAGE}.`, "link_leaves_project");
}

/** The capabilities a change has deltas for: every folder under its specs/ that holds a spec.md. */
function deltaCapabilities(specsDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string[], depth: number) => {
    if (depth > 8) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === "spec.md" && rel.length) out.push(rel.join("/"));
      else if (e.isDirectory()) walk(path.join(dir, e.name), [...rel, e.name], depth + 1);
    }
  };
  walk(specsDir, [], 0);
  return out;
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** Logs each leaving link once per project, by its project-relative path. */
export class LeavingLinkLog {
  private readonly seen = new Set<string>();

  constructor(private readonly log: Logger) {}

  note(slug: string, links: string[]): void {
    for (const link of links) {
      const key = `${slug}\0${link}`;
      if (this.seen.has(key)) continue;
      // Bounded: a pathological tree must not grow this for ever.
      if (this.seen.size < 10_000) this.seen.add(key);
      this.log.warn({ project: slug, link }, "openspec: skipped a link that leaves the project");
    }
  }
}
