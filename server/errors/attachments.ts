/**
 * Evidence on the failure page (issue 13 item 4): the files a Playwright report points at
 * (screenshots, videos, traces), served when this server can reach them. The browser names an
 * attachment by position (failure, run, attempt, index) and never sees a path; the stored path is
 * used only if it lies inside the project folder, or, written on another machine (CI), when its
 * `test-results/…` tail exists under the project folder. Links leaving the project are refused.
 */
import fs from "node:fs";
import path from "node:path";
import { inflateRawSync } from "node:zlib";
import { AppError } from "../app-error";
import { resolveInsideProject } from "../projects/paths";
import type { ProjectRegistry } from "../projects/service";
import type { Db } from "../db/client";
import type { StoredAttempt } from "@/lib/schemas/errors";
import { groupRowSqlite } from "./listing";

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

function storedAttempts(db: Db, testCaseId: number, reportId: number): StoredAttempt[] {
  const row = db.$client.prepare("SELECT attempts FROM test_results WHERE test_case_id = ? AND report_id = ?").get(testCaseId, reportId) as
    { attempts: Buffer | string | null } | undefined;
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

export function resolveAttachment(deps: { db: Db; projects: Pick<ProjectRegistry, "get"> }, ref: AttachmentRef): ResolvedAttachment {
  const group = groupRowSqlite(deps.db, ref.failureId);
  const attempt = storedAttempts(deps.db, group.test_case_id, ref.reportId).find((a) => a.retry === ref.retry);
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
export function failureEvidence(
  deps: { db: Db; projects: Pick<ProjectRegistry, "get">; config: { config: { editorUrl?: string } } },
  failureId: number,
): FailureEvidence {
  return { attachments: reachableAttachments(deps, failureId), source: failingLine(deps, failureId) };
}

function failingLine(
  deps: { db: Db; projects: Pick<ProjectRegistry, "get">; config: { config: { editorUrl?: string } } },
  failureId: number,
): FailureEvidence["source"] {
  const group = groupRowSqlite(deps.db, failureId);
  const last = deps.db.$client
    .prepare(
      "SELECT report_id AS reportId FROM test_results WHERE test_case_id = ? AND fingerprint = ? AND attempts IS NOT NULL ORDER BY report_id DESC LIMIT 1",
    )
    .get(group.test_case_id, group.fingerprint) as { reportId: number } | undefined;
  if (!last) return null;
  const location = storedAttempts(deps.db, group.test_case_id, last.reportId)
    .flatMap((a) => a.errors)
    .find((e) => e.location)?.location;
  if (!location) return null;
  const { repo_path } = deps.db.$client.prepare("SELECT repo_path FROM test_cases WHERE id = ?").get(group.test_case_id) as {
    repo_path: string | null;
  };
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
export function reachableAttachments(deps: { db: Db; projects: Pick<ProjectRegistry, "get"> }, failureId: number): EvidenceAttachment[] {
  const group = groupRowSqlite(deps.db, failureId);
  const rows = deps.db.$client
    .prepare(
      "SELECT report_id AS reportId FROM test_results WHERE test_case_id = ? AND attempts IS NOT NULL ORDER BY report_id DESC LIMIT 20",
    )
    .all(group.test_case_id) as { reportId: number }[];
  const out: EvidenceAttachment[] = [];
  for (const { reportId } of rows)
    for (const a of storedAttempts(deps.db, group.test_case_id, reportId))
      (a.attachments ?? []).forEach((att, index) => {
        let reachable = true;
        try {
          resolveAttachment(deps, { failureId, reportId, retry: a.retry, index });
        } catch {
          reachable = false;
        }
        out.push({ reportId, retry: a.retry, index, name: att.name, contentType: att.contentType, reachable });
      });
  return out;
}
