/**
 * Evidence on the failure page (issue 13 item 4): the files a Playwright report points at
 * (screenshots, videos, traces), served when this server can reach them. The browser names an
 * attachment by position (failure, run, attempt, index) and never sees a path; the stored path is
 * used only if it lies inside the project folder, or, written on another machine (CI), when its
 * `test-results/…` tail exists under the project folder. Links leaving the project are refused.
 * Rows are read through the SQL port (issue 14); the files are this server's.
 */
import fs from "node:fs";
import path from "node:path";
import { inflateRawSync } from "node:zlib";
import { sql } from "drizzle-orm";
import { AppError } from "../app-error";
import type { SqlStore } from "../db/sql-store";
import { resolveInsideProject } from "../projects/paths";
import type { ProjectRegistry } from "../projects/service";
import type { StoredAttempt } from "@/lib/schemas/errors";
import { errorsStore, groupRow, type GroupRow, type StoreDeps } from "./listing";

type EvidenceDeps = StoreDeps & { projects: Pick<ProjectRegistry, "get"> };

export type AttachmentRef = { failureId: number; reportId: number; retry: number; index: number };
export type ResolvedAttachment = {
  file: string;
  size: number;
  name: string;
  contentType: string;
  disposition: "inline" | "attachment";
  fileName: string;
};

/** What the browser may render inline; anything else is downloaded. */
const INLINE = /^(image\/(png|jpeg|gif|webp)|video\/(webm|mp4)|text\/(plain|markdown))$/;
const EXTENSION: Record<string, string> = {
  "application/zip": ".zip",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "video/webm": ".webm",
  "video/mp4": ".mp4",
  "text/markdown": ".md",
  "text/plain": ".txt",
};

async function storedAttempts(store: SqlStore, testCaseId: number, reportId: number): Promise<StoredAttempt[]> {
  const row = await store.get<{ attempts: Buffer | string | null }>(
    sql`SELECT attempts FROM test_results WHERE test_case_id = ${testCaseId} AND report_id = ${reportId}`,
  );
  if (!row?.attempts) return [];
  return JSON.parse(typeof row.attempts === "string" ? row.attempts : inflateRawSync(row.attempts).toString("utf8")) as StoredAttempt[];
}

/** The stored path as a path inside the project, or null when it cannot be one. */
function candidates(projectRoot: string, stored: string): string[] {
  const out: string[] = [];
  const normal = stored.replace(/\\/g, "/");
  if (path.isAbsolute(stored)) {
    const rel = path.relative(projectRoot, stored);
    if (rel && !rel.startsWith("..") && !path.isAbsolute(rel)) out.push(rel.split(path.sep).join("/"));
  } else out.push(normal);
  // Written on another machine: the same test-results/ tail under this checkout.
  const at = normal.lastIndexOf("/test-results/");
  if (at >= 0) out.push(normal.slice(at + 1));
  return out;
}

export async function resolveAttachment(deps: EvidenceDeps, ref: AttachmentRef): Promise<ResolvedAttachment> {
  const group = await groupRow(deps, ref.failureId);
  return resolveFor(deps, group, await storedAttempts(errorsStore(deps), group.test_case_id, ref.reportId), ref);
}

/** The file of one attachment of the group's attempts, checked as the file comment says. */
function resolveFor(deps: EvidenceDeps, group: GroupRow, attempts: StoredAttempt[], ref: AttachmentRef): ResolvedAttachment {
  const attempt = attempts.find((a) => a.retry === ref.retry);
  const att = attempt?.attachments?.[ref.index];
  if (!att?.path) throw new AppError("NOT_FOUND", "No such attachment for this failure.");
  const project = deps.projects.get(group.project_slug);
  const root = fs.realpathSync(project.path);
  for (const rel of candidates(root, att.path)) {
    let file: string;
    try {
      file = resolveInsideProject(root, rel);
    } catch {
      continue; // A link that leaves the project: never served.
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      continue;
    }
    if (!stat.isFile()) continue;
    const contentType = att.contentType.toLowerCase();
    const inline = INLINE.test(contentType);
    const base = att.name.replace(/[^\w.-]+/g, "-").slice(0, 80) || "attachment";
    return {
      file,
      size: stat.size,
      name: att.name,
      contentType: inline
        ? contentType === "text/markdown"
          ? "text/plain; charset=utf-8"
          : contentType
        : contentType === "application/zip"
          ? "application/zip"
          : "application/octet-stream",
      disposition: inline ? "inline" : "attachment",
      fileName: path.extname(base) ? base : `${base}${EXTENSION[contentType] ?? ""}`,
    };
  }
  throw new AppError(
    "NOT_FOUND",
    `The file of "${att.name}" is not reachable from this server (it stays on the machine that ran the tests).`,
    "attachment_unreachable",
  );
}

export type EvidenceAttachment = { reportId: number; retry: number; index: number; name: string; contentType: string; reachable: boolean };
export type FailureEvidence = {
  attachments: EvidenceAttachment[];
  /** The failing line in the project (relative), and the editor link when `editorUrl` is configured. */
  source: { file: string; line: number; column: number; href: string | null } | null;
};

/** `errors.evidence`: the attachments of the failure's recent runs and its failing line. */
export async function failureEvidence(
  deps: EvidenceDeps & { config: { config: { editorUrl?: string } } },
  failureId: number,
): Promise<FailureEvidence> {
  const group = await groupRow(deps, failureId);
  return { attachments: await reachableAttachments(deps, failureId, group), source: await failingLine(deps, group) };
}

async function failingLine(
  deps: EvidenceDeps & { config: { config: { editorUrl?: string } } },
  group: GroupRow,
): Promise<FailureEvidence["source"]> {
  const store = errorsStore(deps);
  const last = await store.get<{ reportId: number }>(
    sql`SELECT report_id AS "reportId" FROM test_results WHERE test_case_id = ${group.test_case_id} AND fingerprint = ${group.fingerprint}
          AND attempts IS NOT NULL ORDER BY report_id DESC LIMIT 1`,
  );
  if (!last) return null;
  const location = (await storedAttempts(store, group.test_case_id, last.reportId))
    .flatMap((a) => a.errors)
    .find((e) => e.location)?.location;
  if (!location) return null;
  const { repo_path } = (await store.get<{ repo_path: string | null }>(
    sql`SELECT repo_path FROM test_cases WHERE id = ${group.test_case_id}`,
  ))!;
  // The location is relative to Playwright's rootDir; the spec's own path is known relative to the repository.
  const rel = location.file === group.file && repo_path ? repo_path : location.file;
  if (path.isAbsolute(rel) || rel.split("/").includes("..")) return { file: rel, line: location.line, column: location.column, href: null };
  const template = deps.config.config.editorUrl;
  const href = template
    ? template
        .replaceAll("{path}", encodeURI(path.join(deps.projects.get(group.project_slug).path, rel)))
        .replaceAll("{line}", String(location.line))
        .replaceAll("{column}", String(location.column))
    : null;
  return { file: rel, line: location.line, column: location.column, href };
}

/** Which attachments of a failure's runs can be served, by position, for the page to show. */
export async function reachableAttachments(deps: EvidenceDeps, failureId: number, group?: GroupRow): Promise<EvidenceAttachment[]> {
  group ??= await groupRow(deps, failureId);
  const store = errorsStore(deps);
  const rows = await store.all<{ reportId: number }>(
    sql`SELECT report_id AS "reportId" FROM test_results WHERE test_case_id = ${group.test_case_id} AND attempts IS NOT NULL
          ORDER BY report_id DESC LIMIT 20`,
  );
  const out: EvidenceAttachment[] = [];
  for (const { reportId } of rows) {
    const attempts = await storedAttempts(store, group.test_case_id, reportId);
    for (const a of attempts)
      (a.attachments ?? []).forEach((att, index) => {
        let reachable = true;
        try {
          resolveFor(deps, group, attempts, { failureId, reportId, retry: a.retry, index });
        } catch {
          reachable = false;
        }
        out.push({ reportId, retry: a.retry, index, name: att.name, contentType: att.contentType, reachable });
      });
  }
  return out;
}
