import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { AppError } from "../app-error";

/**
 * Markdown files with YAML frontmatter, written the safe way: the new content goes to a temp file
 * beside the target and replaces it in one rename (readers see the old file or the new one, never
 * half of one), and a file is only replaced or removed when it still has the content hash it was
 * read with (someone editing it in an editor meanwhile gets a 409, not a silent overwrite).
 */

export const hashOf = (text: string): string => createHash("sha256").update(text).digest("hex");

export type Frontmatter = { data: Record<string, unknown> | null; body: string; problem: string | null };

/** Splits `---\n<yaml>\n---\n<body>` as Claude Code does; a file without it has no frontmatter. */
export function parseFrontmatter(text: string): Frontmatter {
  const src = text.replace(/^\uFEFF/, "");
  const m = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(src);
  if (!m) return { data: null, body: src, problem: "No frontmatter: the file must start with a --- block holding name and description" };
  const body = src.slice(m[0].length);
  try {
    const data = YAML.parse(m[1] ?? "") as unknown;
    if (data === null || data === undefined) return { data: {}, body, problem: null };
    if (typeof data !== "object" || Array.isArray(data))
      return { data: null, body, problem: "The frontmatter is not a set of key: value fields" };
    return { data: data as Record<string, unknown>, body, problem: null };
  } catch (err) {
    return { data: null, body, problem: `The frontmatter is not valid YAML: ${(err as Error).message.split("\n")[0]}` };
  }
}

export function renderFrontmatter(data: Record<string, unknown>, body: string): string {
  const clean = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
  return `---\n${YAML.stringify(clean, { lineWidth: 0 }).trimEnd()}\n---\n\n${body.trim()}\n`;
}

/** `tools: Read, Grep` or a YAML list: both are how Claude Code's files name tools. */
export function toolList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items = Array.isArray(value) ? value.map(String) : String(value).split(",");
  const tools = items.map((t) => t.trim()).filter(Boolean);
  return tools.length ? tools : undefined;
}

export type ReadFile = { text: string; version: string };

export function readIfExists(file: string): ReadFile | null {
  try {
    const text = fs.readFileSync(file, "utf8");
    return { text, version: hashOf(text) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/**
 * Creates (`version` null: refused when the file exists) or replaces (`version` = the hash it was
 * read with) `file` atomically. `label` names it in messages (never a server path).
 */
export function writeChecked(file: string, content: string, version: string | null, label: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID().slice(0, 8)}.tmp`);
  fs.writeFileSync(tmp, content, { flag: "wx" });
  try {
    if (version === null) {
      try {
        // A hard link fails when the name exists: create-only, with no window between check and write.
        fs.linkSync(tmp, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST")
          throw new AppError("CONFLICT", `${label} already exists; open it to edit it`, "exists");
        throw err;
      }
    } else {
      assertVersion(file, version, label);
      fs.renameSync(tmp, file);
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return hashOf(content);
}

export function removeChecked(file: string, version: string, label: string): void {
  assertVersion(file, version, label);
  fs.rmSync(file);
}

function assertVersion(file: string, version: string, label: string): void {
  const current = readIfExists(file);
  if (!current) throw new AppError("NOT_FOUND", `${label} no longer exists on disk`, "gone");
  if (current.version !== version) {
    throw new AppError(
      "CONFLICT",
      `${label} was changed on disk since it was opened; reload it and apply your edit again`,
      "edited_on_disk",
      { version: current.version },
    );
  }
}
