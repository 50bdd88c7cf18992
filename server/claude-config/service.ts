import fs from "node:fs";
import path from "node:path";
import {
  ClaudeItemInputSchema,
  ClaudeNameSchema,
  DeleteClaudeItemInputSchema,
  ProjectInputSchema,
  SaveSkillInputSchema,
  SaveSubagentInputSchema,
  SkillFieldsSchema,
  SubagentFieldsSchema,
  type DeleteClaudeItemInput,
  type SaveSkillInput,
  type SaveSubagentInput,
  type SkillFields,
  type SkillFile,
  type SubagentFields,
  type SubagentFile,
} from "@/lib/schemas/claude-config";
import { AppError } from "../app-error";
import { resolveInsideProject } from "../projects/paths";
import type { ProjectRegistry } from "../projects/service";
import { parseFrontmatter, readIfExists, removeChecked, renderFrontmatter, toolList, writeChecked } from "./files";

/**
 * A project's Claude Code sub-agents (`.claude/agents/<name>.md`) and skills
 * (`.claude/skills/<name>/SKILL.md`): listed with what Claude Code would make of each file, read,
 * created, edited and deleted. Frontmatter keys Workdeck does not edit (color, license, metadata…)
 * are kept as they are.
 */

export type ClaudeConfigDeps = { projects: Pick<ProjectRegistry, "get"> };

const AGENTS_DIR = ".claude/agents";
const SKILLS_DIR = ".claude/skills";
const AGENT_KEYS = ["name", "description", "tools", "model"];
const SKILL_KEYS = ["name", "description", "allowed-tools"];

// ----- sub-agents -----

export function listSubagents(deps: ClaudeConfigDeps, raw: { projectId: string }): SubagentFile[] {
  const { projectId } = ProjectInputSchema.parse(raw);
  const root = deps.projects.get(projectId).path;
  const dir = resolveInsideProject(root, AGENTS_DIR);
  return entries(dir)
    .filter((e) => e.isFile() && e.name.endsWith(".md"))
    .map((e) => readSubagentFile(root, e.name.slice(0, -3)))
    .filter((f): f is SubagentFile => f !== null)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function getSubagent(deps: ClaudeConfigDeps, raw: { projectId: string; name: string }): SubagentFile {
  const input = ClaudeItemInputSchema.parse(raw);
  const found = readSubagentFile(deps.projects.get(input.projectId).path, input.name);
  if (!found) throw new AppError("NOT_FOUND", `No sub-agent "${input.name}" in ${AGENTS_DIR}`);
  return found;
}

export function saveSubagent(deps: ClaudeConfigDeps, raw: SaveSubagentInput): SubagentFile {
  const input = SaveSubagentInputSchema.parse(raw);
  const root = deps.projects.get(input.projectId).path;
  const rel = `${AGENTS_DIR}/${input.fields.name}.md`;
  const file = resolveInsideProject(root, rel);
  const kept = keptKeys(readIfExists(file)?.text, AGENT_KEYS);
  const f = input.fields;
  const content = renderFrontmatter(
    { name: f.name, description: f.description, tools: f.tools?.join(", "), model: f.model, ...kept },
    f.prompt,
  );
  writeChecked(file, content, input.version, `The sub-agent "${f.name}"`);
  return readSubagentFile(root, f.name)!;
}

export function deleteSubagent(deps: ClaudeConfigDeps, raw: DeleteClaudeItemInput): { deleted: string } {
  const input = DeleteClaudeItemInputSchema.parse(raw);
  const file = resolveInsideProject(deps.projects.get(input.projectId).path, `${AGENTS_DIR}/${input.name}.md`);
  removeChecked(file, input.version, `The sub-agent "${input.name}"`);
  return { deleted: input.name };
}

/** The definition the SDK's `agents` option takes, from the project's file; refused when Claude Code would not load it. */
export function subagentDefinition(
  deps: ClaudeConfigDeps,
  raw: { projectId: string; name: string },
): { description: string; prompt: string; tools?: string[]; model?: string } {
  const agent = getSubagent(deps, raw);
  if (agent.problems.length)
    throw new AppError("UNPROCESSABLE", `The sub-agent "${agent.name}" cannot be used: ${agent.problems.join("; ")}`, "invalid_agent");
  const f = agent.fields as SubagentFields;
  return { description: f.description, prompt: f.prompt, ...(f.tools ? { tools: f.tools } : {}), ...(f.model ? { model: f.model } : {}) };
}

function readSubagentFile(root: string, name: string): SubagentFile | null {
  const rel = `${AGENTS_DIR}/${name}.md`;
  const read = readIfExists(resolveInsideProject(root, rel));
  if (!read) return null;
  const fm = parseFrontmatter(read.text);
  const d = fm.data ?? {};
  const fields: Partial<SubagentFields> = {
    name: str(d.name),
    description: str(d.description),
    tools: toolList(d.tools),
    model: str(d.model),
    prompt: fm.body.trim(),
  };
  const problems = fm.problem ? [fm.problem] : issues(SubagentFieldsSchema.safeParse(fields));
  if (fields.name && fields.name !== name && !fm.problem) problems.push(`The name "${fields.name}" differs from the file name ${name}.md`);
  return { name, file: rel, version: read.version, problems, fields };
}

// ----- skills -----

export function listSkills(deps: ClaudeConfigDeps, raw: { projectId: string }): SkillFile[] {
  const { projectId } = ProjectInputSchema.parse(raw);
  const root = deps.projects.get(projectId).path;
  return entries(resolveInsideProject(root, SKILLS_DIR))
    .filter((e) => e.isDirectory() && ClaudeNameSchema.safeParse(e.name).success)
    .map((e) => readSkillFile(root, e.name))
    .filter((f): f is SkillFile => f !== null)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function getSkill(deps: ClaudeConfigDeps, raw: { projectId: string; name: string }): SkillFile {
  const input = ClaudeItemInputSchema.parse(raw);
  const found = readSkillFile(deps.projects.get(input.projectId).path, input.name);
  if (!found) throw new AppError("NOT_FOUND", `No skill "${input.name}" in ${SKILLS_DIR}`);
  return found;
}

export function saveSkill(deps: ClaudeConfigDeps, raw: SaveSkillInput): SkillFile {
  const input = SaveSkillInputSchema.parse(raw);
  const root = deps.projects.get(input.projectId).path;
  const file = resolveInsideProject(root, `${SKILLS_DIR}/${input.fields.name}/SKILL.md`);
  const kept = keptKeys(readIfExists(file)?.text, SKILL_KEYS);
  const f = input.fields;
  const content = renderFrontmatter(
    { name: f.name, description: f.description, "allowed-tools": f.allowedTools?.join(", "), ...kept },
    f.body,
  );
  writeChecked(file, content, input.version, `The skill "${f.name}"`);
  return readSkillFile(root, f.name)!;
}

/** Removes SKILL.md, and the skill's folder when nothing else (scripts, references) is left in it. */
export function deleteSkill(deps: ClaudeConfigDeps, raw: DeleteClaudeItemInput): { deleted: string } {
  const input = DeleteClaudeItemInputSchema.parse(raw);
  const file = resolveInsideProject(deps.projects.get(input.projectId).path, `${SKILLS_DIR}/${input.name}/SKILL.md`);
  removeChecked(file, input.version, `The skill "${input.name}"`);
  if (!fs.readdirSync(path.dirname(file)).length) fs.rmdirSync(path.dirname(file));
  return { deleted: input.name };
}

function readSkillFile(root: string, name: string): SkillFile | null {
  const rel = `${SKILLS_DIR}/${name}/SKILL.md`;
  const read = readIfExists(resolveInsideProject(root, rel));
  if (!read) return null;
  const fm = parseFrontmatter(read.text);
  const d = fm.data ?? {};
  const fields: Partial<SkillFields> = {
    name: str(d.name),
    description: str(d.description),
    allowedTools: toolList(d["allowed-tools"]),
    body: fm.body.trim(),
  };
  const problems = fm.problem ? [fm.problem] : issues(SkillFieldsSchema.safeParse(fields));
  if (fields.name && fields.name !== name && !fm.problem) problems.push(`The name "${fields.name}" must match the folder name ${name}`);
  return { name, file: rel, version: read.version, problems, fields };
}

// ----- helpers -----

function entries(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);

function issues(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): string[] {
  return result.success
    ? []
    : (result.error?.issues ?? []).map((i) => (i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message));
}

/** Frontmatter keys of the existing file that Workdeck does not edit, kept on save. */
function keptKeys(text: string | undefined, managed: string[]): Record<string, unknown> {
  if (text === undefined) return {};
  const data = parseFrontmatter(text).data ?? {};
  return Object.fromEntries(Object.entries(data).filter(([k]) => !managed.includes(k)));
}
