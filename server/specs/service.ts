import path from "node:path";
import { LRUCache } from "lru-cache";
import * as parser from "@workdeck/openspec-parser/fs";
import type { EventBus } from "../events/bus";
import { AppError } from "../app-error";
import type { Logger } from "../logger";
import {
  assertChangeStaysInside,
  assertSpecFileStaysInside,
  leavingLinks,
  LeavingLinkLog,
  openspecRel,
  projectRoot,
  withholdLeaving,
} from "./links";
import { assertChangeId, assertSpecId, resolveInsideProject } from "../projects/paths";
import type { ProjectRegistry } from "../projects/service";
import { assertDraftValid, createChangeInput } from "./drafts";
import {
  CreateProposalInputSchema,
  type ArchivePreview,
  type ChangeDetail,
  type ChangeGroup,
  type ChangeSummary,
  type CreateProposalInput,
  type SpecDetail,
  type SpecSummary,
  type ValidationIssue,
  type ValidationState,
} from "@/lib/schemas/openspec";
import type { Project } from "@/lib/schemas/project";

/** What one read of a project's openspec tree yields for the lists. */
type ProjectSnapshot = { changes: ChangeSummary[]; specs: SpecSummary[] };

/**
 * Edits are pushed by the watcher, so the TTL only bounds how stale an entry
 * can get if an event is ever missed (a network file system, say).
 */
const CACHE_TTL_MS = 5 * 60_000;

/**
 * OpenSpec content of every project, read from disk through the parser
 * package and cached per project. The watcher calls `onFilesChanged`; writes
 * invalidate on their own so the next read sees them at once.
 */
export class OpenSpecService {
  private readonly snapshots = new LRUCache<string, Promise<ProjectSnapshot>>({ max: 512, ttl: CACHE_TTL_MS });
  private readonly details = new LRUCache<string, Promise<ChangeDetail | SpecDetail>>({ max: 2048, ttl: CACHE_TTL_MS });
  /** Bumped on invalidation so a read that started before it is not cached after it. */
  private readonly generation = new Map<string, number>();
  private readonly leaving: LeavingLinkLog;

  constructor(
    private readonly projects: ProjectRegistry,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {
    this.leaving = new LeavingLinkLog(log);
  }

  // ----- reads -------------------------------------------------------------

  async listChanges(input: { projectId?: string; status?: ChangeGroup[] }): Promise<ChangeSummary[]> {
    const snapshots = await this.snapshotsFor(input.projectId);
    const all = snapshots.flatMap((s) => s.changes);
    return input.status?.length ? all.filter((c) => input.status!.includes(c.group)) : all;
  }

  async listSpecs(input: { projectId?: string }): Promise<SpecSummary[]> {
    const snapshots = await this.snapshotsFor(input.projectId);
    return snapshots.flatMap((s) => s.specs);
  }

  async showChange(input: { projectId: string; changeId: string }): Promise<ChangeDetail> {
    const project = this.readableProject(input.projectId);
    const id = assertChangeId(input.changeId);
    assertChangeStaysInside(project, id);
    return this.cached(`${project.slug}\0change\0${id}`, project.slug, async () => {
      const snapshot = await this.snapshot(project);
      const summary = snapshot.changes.find((c) => c.id === id);
      if (!summary) throw new AppError("NOT_FOUND", `No change "${id}" in project ${project.slug}`);
      const details = await parser.getChangeDetails(project.openspecRoot, id);
      return toChangeDetail(summary, details);
    }) as Promise<ChangeDetail>;
  }

  async showSpec(input: { projectId: string; specId: string }): Promise<SpecDetail> {
    const project = this.readableProject(input.projectId);
    const id = assertSpecId(input.specId);
    assertSpecFileStaysInside(project, id);
    return this.cached(`${project.slug}\0spec\0${id}`, project.slug, async () => {
      const snapshot = await this.snapshot(project);
      const summary = snapshot.specs.find((s) => s.id === id);
      if (!summary) throw new AppError("NOT_FOUND", `No spec "${id}" in project ${project.slug}`);
      const details = await parser.getSpecDetails(project.openspecRoot, id);
      return toSpecDetail(summary, details);
    }) as Promise<SpecDetail>;
  }

  async validateChange(input: { projectId: string; changeId: string; strict?: boolean }): Promise<ValidationState> {
    const project = this.readableProject(input.projectId);
    const id = assertChangeId(input.changeId);
    assertChangeStaysInside(project, id, { specs: true });
    const report = await parser.validateItem(project.openspecRoot, id, { type: "change", strict: Boolean(input.strict) });
    return toValidationState(report.valid, report.issues);
  }

  async previewArchive(input: { projectId: string; changeId: string }): Promise<ArchivePreview> {
    const project = this.readableProject(input.projectId);
    const id = assertChangeId(input.changeId);
    assertChangeStaysInside(project, id, { specs: true });
    const preview = await parser.previewArchive(project.openspecRoot, id, { now: new Date() });
    return { projectSlug: project.slug, changeId: id, ...preview };
  }

  // ----- writes ------------------------------------------------------------

  async createProposal(raw: CreateProposalInput): Promise<{ projectSlug: string; changeId: string; path: string }> {
    const input = CreateProposalInputSchema.parse(raw);
    const project = this.readableProject(input.projectId);
    // The new folder must not land outside through a linked openspec/ or changes/.
    resolveInsideProject(projectRoot(project), `${openspecRel(project)}/changes`);
    // With deltas, a draft the validator would refuse is never written (issue 13).
    assertDraftValid(project, input);
    const result = await parser.createChange(project.openspecRoot, createChangeInput(input));
    if (!result.ok) throw new AppError(result.code === "change_exists" ? "CONFLICT" : "BAD_REQUEST", result.message, result.code);
    this.invalidateProject(project.slug);
    await this.bus.publishAsync({ type: "openspec.proposalCreated", projectSlug: project.slug, changeId: result.id, title: input.title });
    return { projectSlug: project.slug, changeId: result.id, path: path.relative(project.path, result.path) };
  }

  async archiveChange(input: {
    projectId: string;
    changeId: string;
    skipSpecs?: boolean;
  }): Promise<{ archivedAs: string; specsUpdated: boolean; warnings: string[] }> {
    const project = this.readableProject(input.projectId);
    const id = assertChangeId(input.changeId);
    assertChangeStaysInside(project, id, { specs: true });
    const result = await parser.archiveChange(project.openspecRoot, id, { yes: true, skipSpecs: Boolean(input.skipSpecs) });
    this.invalidateProject(project.slug);
    if (!result.ok) throw new AppError(result.code === "archive_change_not_found" ? "NOT_FOUND" : "CONFLICT", result.message, result.code);
    await this.bus.publishAsync({ type: "openspec.archived", projectSlug: project.slug, changeId: id, archivedAs: result.archivedAs });
    return { archivedAs: result.archivedAs, specsUpdated: result.specsUpdated, warnings: result.warnings };
  }

  // ----- cache and events -------------------------------------------------

  /** Reads every project once so the first page load is served from memory. */
  async warm(): Promise<void> {
    await Promise.all(
      this.projects
        .all()
        .filter((p) => !p.problem)
        .map((p) => this.snapshot(p).catch((err) => this.log.warn({ err, project: p.slug }, "warm-up read failed"))),
    );
  }

  /** Finishes or rolls back an archive a crash interrupted, before anything reads. */
  async recoverInterruptedWrites(): Promise<void> {
    for (const p of this.projects.all()) {
      if (p.problem) continue;
      try {
        const outcome = await parser.recoverInterruptedArchive(p.openspecRoot);
        if (outcome) this.log.warn({ project: p.slug, outcome }, "recovered an interrupted archive");
      } catch (err) {
        this.log.error({ err, project: p.slug }, "could not recover an interrupted archive");
      }
    }
  }

  /** Forgets the project's cached reads and announces the change; resolves once it is stored and emitted. */
  async onFilesChanged(slug: string, relPaths: string[]): Promise<void> {
    this.invalidateProject(slug);
    const changeIds = new Set<string>();
    const specIds = new Set<string>();
    for (const p of relPaths) {
      const parts = p.split("/");
      if (parts[0] === "changes" && parts[1] && parts[1] !== "archive") changeIds.add(parts[1]);
      if (parts[0] === "specs" && parts.length > 1) specIds.add(parts.slice(1, parts.at(-1) === "spec.md" ? -1 : undefined).join("/"));
    }
    await this.bus.publishAsync({
      type: "openspec.changed",
      projectSlug: slug,
      changeIds: [...changeIds],
      specIds: [...specIds],
      paths: relPaths.slice(0, 50),
    });
  }

  invalidateProject(slug: string): void {
    this.generation.set(slug, (this.generation.get(slug) ?? 0) + 1);
    this.snapshots.delete(slug);
    for (const key of this.details.keys()) if (key.startsWith(`${slug}\0`)) this.details.delete(key);
  }

  // ----- internals ---------------------------------------------------------

  private readableProject(slug: string): Project {
    const project = this.projects.get(slug);
    if (project.problem) throw new AppError("UNPROCESSABLE", project.problem);
    return project;
  }

  private async snapshotsFor(projectId: string | undefined): Promise<ProjectSnapshot[]> {
    const projects = projectId ? [this.projects.get(projectId)] : this.projects.all();
    return Promise.all(projects.filter((p) => !p.problem).map((p) => this.snapshot(p)));
  }

  private snapshot(project: Project): Promise<ProjectSnapshot> {
    const gen = this.generation.get(project.slug) ?? 0;
    let pending = this.snapshots.get(project.slug);
    if (!pending) {
      pending = this.readGuarded(project);
      this.snapshots.set(project.slug, pending);
      // A failed read is not cached: the next request tries again.
      pending.catch(() => {
        if (this.snapshots.get(project.slug) === pending) this.snapshots.delete(project.slug);
      });
      pending.then(
        () => {
          if ((this.generation.get(project.slug) ?? 0) !== gen && this.snapshots.get(project.slug) === pending)
            this.snapshots.delete(project.slug);
        },
        () => {},
      );
    }
    return pending;
  }

  /** The parser's snapshot with whatever it read through a link that leaves the project withheld. */
  private async readGuarded(project: Project): Promise<ProjectSnapshot> {
    const links = leavingLinks(project);
    this.leaving.note(project.slug, links);
    const base = openspecRel(project);
    if (links.includes(base))
      throw new AppError("UNPROCESSABLE", `${base}/ links outside the project, so Workdeck does not read it.`, "link_leaves_project");
    return withholdLeaving(await readSnapshot(project), links, base);
  }

  private cached<T extends ChangeDetail | SpecDetail>(key: string, slug: string, load: () => Promise<T>): Promise<T> {
    const gen = this.generation.get(slug) ?? 0;
    let pending = this.details.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = load();
      this.details.set(key, pending);
      pending.then(
        () => {
          if ((this.generation.get(slug) ?? 0) !== gen && this.details.get(key) === pending) this.details.delete(key);
        },
        () => {
          if (this.details.get(key) === pending) this.details.delete(key);
        },
      );
    }
    return pending;
  }
}

async function readSnapshot(project: Project): Promise<ProjectSnapshot> {
  const { changes: listed, specs, titles, validation } = parser.readProjectOverview(project.openspecRoot);
  const byKey = new Map(validation.items.map((i) => [`${i.type}\0${i.id}`, toValidationState(i.valid, i.issues)]));
  const unknown: ValidationState = { valid: true, errors: 0, warnings: 0, issues: [] };
  return {
    changes: listed.changes.map((c) => ({
      projectSlug: project.slug,
      id: c.name,
      title: titles.get(c.name) ?? c.name,
      group: c.totalTasks === 0 ? "draft" : c.completedTasks === c.totalTasks ? "completed" : "active",
      completedTasks: c.completedTasks,
      totalTasks: c.totalTasks,
      lastModified: c.lastModified,
      validation: byKey.get(`change\0${c.name}`) ?? unknown,
      ...(c.nested ? { nested: c.nested } : {}),
    })),
    specs: specs.map((s) => ({
      projectSlug: project.slug,
      id: s.id,
      requirementCount: s.requirementCount,
      validation: byKey.get(`spec\0${s.id}`) ?? unknown,
    })),
  };
}

export function toValidationState(valid: boolean, issues: ValidationIssue[]): ValidationState {
  return {
    valid,
    errors: issues.filter((i) => i.level === "ERROR").length,
    warnings: issues.filter((i) => i.level === "WARNING").length,
    issues,
  };
}

function toChangeDetail(summary: ChangeSummary, d: parser.ChangeDetails): ChangeDetail {
  return {
    ...summary,
    title: d.title ?? summary.title,
    proposal: d.proposal,
    design: d.design,
    tasksMarkdown: d.tasksMarkdown,
    tasks: d.tasks,
    deltas: d.deltas,
    files: d.files,
  };
}

function toSpecDetail(summary: SpecSummary, d: parser.SpecDetails): SpecDetail {
  return { ...summary, title: d.title ?? summary.id, purpose: d.purpose, requirements: d.requirements, markdown: d.markdown };
}
