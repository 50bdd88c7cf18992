import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { SqlStore } from "../db/sql-store";
import { resolveConfigPath, type LoadedConfig } from "../config";
import { AppError } from "../app-error";
import { openspecLeaves, openspecRel } from "../specs/links";
import type { Project } from "@/lib/schemas/project";

export const DEMO_WORKSPACE = path.join("examples", "demo-workspace");

/**
 * Works out the project list from the config: explicit projects first (they
 * win a slug clash), then every child of a scan folder that has `openspec/`.
 * With neither configured, the demo workspace is scanned: `demoRoot`, the
 * server's copy of it (demo-workspace.ts), else the bundled one.
 */
export function discoverProjects(loaded: LoadedConfig, appRoot: string, demoRoot?: string): { projects: Project[]; warnings: string[] } {
  const warnings: string[] = [];
  const found = new Map<string, Project>();
  const { config, baseDir } = loaded;

  for (const p of config.projects ?? []) {
    const root = resolveConfigPath(p.path, baseDir);
    const openspecRoot = p.openspecPath ? resolveConfigPath(p.openspecPath, root) : root;
    if (found.has(p.slug)) {
      warnings.push(`Project slug "${p.slug}" is listed twice in the config; the first entry is used.`);
      continue;
    }
    found.set(p.slug, makeProject(p.slug, p.name ?? p.slug, root, openspecRoot, "config"));
  }

  const useDemo = !config.projects?.length && !config.scan?.length;
  // Warnings reach the browser (projects.list): they name a scan folder as the config wrote it.
  const scanRoots = useDemo
    ? [{ dir: demoRoot ?? path.join(appRoot, DEMO_WORKSPACE), label: DEMO_WORKSPACE }]
    : (config.scan ?? []).map((s) => ({ dir: resolveConfigPath(s, baseDir), label: s }));
  for (const { dir: scanRoot, label } of scanRoots) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(scanRoot, { withFileTypes: true });
    } catch (err) {
      warnings.push(`Cannot scan ${label}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith(".")) continue;
      // A linked folder may lead anywhere (/usr, a whole disk): scanning never follows one.
      if (entry.isSymbolicLink()) {
        warnings.push(
          `Skipped ${label}/${entry.name}: it is a link, and scanning does not follow links. List it under "projects" in the config to use it.`,
        );
        continue;
      }
      if (!entry.isDirectory()) continue;
      const root = path.join(scanRoot, entry.name);
      if (!fs.existsSync(path.join(root, "openspec"))) continue;
      const slug = slugify(entry.name);
      if (!slug) continue;
      if (found.has(slug)) {
        if (found.get(slug)!.path !== root)
          warnings.push(`Scanned folder ${label}/${entry.name} has the same slug "${slug}" as another project; skipped.`);
        continue;
      }
      found.set(slug, makeProject(slug, titleCase(entry.name), root, root, useDemo ? "demo" : "scan"));
    }
  }
  return { projects: [...found.values()], warnings };
}

function makeProject(slug: string, name: string, root: string, openspecRoot: string, source: Project["source"]): Project {
  const exists = fs.existsSync(root);
  const hasOpenspec = fs.existsSync(path.join(openspecRoot, "openspec"));
  const project: Project = { slug, name, path: root, openspecRoot, source, problem: null };
  project.problem = !exists
    ? `Project folder does not exist: ${root}`
    : !hasOpenspec
      ? `No openspec/ folder in ${openspecRoot}`
      : openspecLeaves(project)
        ? `${openspecRel(project)}/ links outside the project, so Workdeck does not read or watch it. Move it into the project, or list the project in the config with openspecPath set to the folder that holds it.`
        : null;
  return project;
}

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
}

/** Words that read as acronyms in a folder name ("billing-api" → "Billing API"). */
const ACRONYMS = new Set([
  "api",
  "ui",
  "ux",
  "ci",
  "cd",
  "cli",
  "db",
  "sdk",
  "id",
  "io",
  "ios",
  "ml",
  "ai",
  "qa",
  "sso",
  "http",
  "grpc",
  "sql",
]);

function titleCase(folder: string): string {
  return folder
    .split(/[-_\s]+/)
    .filter(Boolean)
    .map((w) => (ACRONYMS.has(w.toLowerCase()) ? w.toUpperCase() : w[0]!.toUpperCase() + w.slice(1)))
    .join(" ");
}

/**
 * Keeps the in-memory project list and mirrors it into the `projects` table, through the SQL port
 * (issue 14: either store). Nothing reads the table back; it keeps gone projects' names beside their history.
 */
export class ProjectRegistry {
  private list: Project[] = [];
  private bySlug = new Map<string, Project>();

  constructor(private readonly store: SqlStore) {}

  /** Swaps the list in memory and says which slugs came and went; mirror() then writes it down. */
  replace(next: Project[]): { added: string[]; removed: string[] } {
    const before = new Set(this.bySlug.keys());
    this.list = next;
    this.bySlug = new Map(next.map((p) => [p.slug, p]));
    return {
      added: next.filter((p) => !before.has(p.slug)).map((p) => p.slug),
      removed: [...before].filter((s) => !this.bySlug.has(s)),
    };
  }

  /** Writes the current list into the `projects` table: these present, every other one not. */
  async mirror(): Promise<void> {
    const list = this.list;
    const now = Date.now();
    await this.store.transaction(async (tx) => {
      for (const p of list)
        await tx.run(
          sql`INSERT INTO projects (slug, name, path, openspec_path, source, present, updated_at)
              VALUES (${p.slug}, ${p.name}, ${p.path}, ${p.openspecRoot}, ${p.source}, 1, ${now})
              ON CONFLICT (slug) DO UPDATE SET name = excluded.name, path = excluded.path,
                openspec_path = excluded.openspec_path, source = excluded.source, present = 1, updated_at = excluded.updated_at`,
        );
      const slugs = list.map((p) => sql`${p.slug}`);
      const gone = slugs.length ? sql`slug NOT IN (${sql.join(slugs, sql`, `)})` : sql`present = 1`;
      await tx.run(sql`UPDATE projects SET present = 0, updated_at = ${now} WHERE ${gone}`);
    });
  }

  all(): Project[] {
    return this.list;
  }

  find(slug: string): Project | undefined {
    return this.bySlug.get(slug);
  }

  /** The project or a NOT_FOUND error naming the known slugs. */
  get(slug: string): Project {
    const project = this.bySlug.get(slug);
    if (!project) {
      const known = this.list.map((p) => p.slug).join(", ") || "none";
      throw new AppError("NOT_FOUND", `Unknown project "${slug.slice(0, 80)}". Known projects: ${known}`);
    }
    return project;
  }
}
