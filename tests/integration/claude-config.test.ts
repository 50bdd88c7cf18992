/**
 * A project's Claude Code sub-agents and skills through the claudeConfig router (tRPC caller over
 * a real runtime, temp project on disk): files as Claude Code reads them, atomic create/update,
 * a file edited on disk meanwhile never overwritten, paths that stay inside the project.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, stopRuntime } from "@/server/runtime-boot";
import { createContext } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";
import { configEnv } from "../support/runtime-env";
import { tempDir } from "../support/temp";

afterEach(() => stopRuntime());

async function start() {
  const dir = tempDir("workdeck-claude-config-");
  const project = path.join(dir, "sample");
  fs.mkdirSync(path.join(project, "openspec"), { recursive: true });
  const { env } = configEnv(dir, { projects: [{ slug: "sample", path: project }] });
  const runtime = await startRuntime(env, { watch: false });
  return { dir, project, api: createCaller(createContext(runtime)) };
}

const reviewer = {
  name: "reviewer",
  description: "Reviews a diff for bugs. Use after code changes.",
  tools: ["Read", "Grep"],
  model: "sonnet",
  prompt: "You are a careful code reviewer.",
};

describe("claudeConfig: sub-agents", () => {
  it("creates the file Claude Code reads, lists it, updates it by version and keeps keys it does not edit", async () => {
    const { project, api } = await start();
    const created = await api.claudeConfig.saveAgent({ projectId: "sample", version: null, fields: reviewer });
    const file = path.join(project, ".claude", "agents", "reviewer.md");
    expect(fs.readFileSync(file, "utf8")).toBe(
      "---\nname: reviewer\ndescription: Reviews a diff for bugs. Use after code changes.\ntools: Read, Grep\nmodel: sonnet\n---\n\nYou are a careful code reviewer.\n",
    );
    expect(created).toMatchObject({ name: "reviewer", file: ".claude/agents/reviewer.md", problems: [], fields: reviewer });
    // A key added by hand (Claude Code's color) survives an edit made here.
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("model: sonnet\n", "model: sonnet\ncolor: cyan\n"));
    const opened = await api.claudeConfig.getAgent({ projectId: "sample", name: "reviewer" });
    const updated = await api.claudeConfig.saveAgent({
      projectId: "sample",
      version: opened.version,
      fields: { ...reviewer, tools: undefined, prompt: "Review only the changed lines." },
    });
    expect(updated.fields).toMatchObject({ prompt: "Review only the changed lines.", tools: undefined });
    expect(fs.readFileSync(file, "utf8")).toContain("color: cyan");
    expect((await api.claudeConfig.listAgents({ projectId: "sample" })).map((a) => a.name)).toEqual(["reviewer"]);
    // Create-only: the name exists.
    await expect(api.claudeConfig.saveAgent({ projectId: "sample", version: null, fields: reviewer })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await api.claudeConfig.deleteAgent({ projectId: "sample", name: "reviewer", version: updated.version });
    expect(fs.existsSync(file)).toBe(false);
  });

  it("never overwrites or deletes a file edited on disk since it was opened (409), and leaves no temp files", async () => {
    const { project, api } = await start();
    const opened = await api.claudeConfig.saveAgent({ projectId: "sample", version: null, fields: reviewer });
    const file = path.join(project, ".claude", "agents", "reviewer.md");
    const edited = fs.readFileSync(file, "utf8").replace("careful", "thorough");
    fs.writeFileSync(file, edited);
    await expect(
      api.claudeConfig.saveAgent({ projectId: "sample", version: opened.version, fields: { ...reviewer, prompt: "Mine wins?" } }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/changed on disk/) });
    await expect(api.claudeConfig.deleteAgent({ projectId: "sample", name: "reviewer", version: opened.version })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(fs.readFileSync(file, "utf8")).toBe(edited);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["reviewer.md"]);
  });

  it("lists hand-written files with what Claude Code would make of them", async () => {
    const { project, api } = await start();
    const dir = path.join(project, ".claude", "agents");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, "list-style.md"),
      "---\nname: list-style\ndescription: Tools as a YAML list\ntools:\n  - Read\n  - Bash\n---\nPrompt.\n",
    );
    fs.writeFileSync(path.join(dir, "no-frontmatter.md"), "Just a prompt.\n");
    fs.writeFileSync(path.join(dir, "no-description.md"), "---\nname: no-description\n---\nPrompt.\n");
    fs.writeFileSync(path.join(dir, "bad-yaml.md"), "---\nname: [unclosed\n---\nPrompt.\n");
    const list = await api.claudeConfig.listAgents({ projectId: "sample" });
    const byName = Object.fromEntries(list.map((a) => [a.name, a]));
    expect(byName["list-style"]).toMatchObject({ problems: [], fields: { tools: ["Read", "Bash"] } });
    expect(byName["no-frontmatter"]!.problems.join()).toMatch(/No frontmatter/);
    expect(byName["no-description"]!.problems.join()).toMatch(/description/);
    expect(byName["bad-yaml"]!.problems.join()).toMatch(/not valid YAML/);
  });

  it("refuses bad names and paths that leave the project, changing nothing", async () => {
    const { dir, project, api } = await start();
    await expect(
      api.claudeConfig.saveAgent({ projectId: "sample", version: null, fields: { ...reviewer, name: "../escape" } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      api.claudeConfig.saveAgent({ projectId: "sample", version: null, fields: { ...reviewer, name: "Reviewer" } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      api.claudeConfig.saveAgent({ projectId: "sample", version: null, fields: { ...reviewer, description: "" } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // .claude linked to a folder outside the project.
    const outside = path.join(dir, "outside");
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(project, ".claude"));
    await expect(api.claudeConfig.saveAgent({ projectId: "sample", version: null, fields: reviewer })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});

describe("claudeConfig: skills", () => {
  it("round-trips .claude/skills/<name>/SKILL.md and refuses a name that differs from its folder", async () => {
    const { project, api } = await start();
    const fields = {
      name: "release-notes",
      description: "Turns a list of changes into release notes.",
      allowedTools: ["Read"],
      body: "# Release notes\n\nGroup the changes by kind.",
    };
    const created = await api.claudeConfig.saveSkill({ projectId: "sample", version: null, fields });
    const file = path.join(project, ".claude", "skills", "release-notes", "SKILL.md");
    expect(fs.readFileSync(file, "utf8")).toBe(
      "---\nname: release-notes\ndescription: Turns a list of changes into release notes.\nallowed-tools: Read\n---\n\n# Release notes\n\nGroup the changes by kind.\n",
    );
    expect(created).toMatchObject({ problems: [], fields });
    fs.mkdirSync(path.join(project, ".claude", "skills", "misnamed"));
    fs.writeFileSync(path.join(project, ".claude", "skills", "misnamed", "SKILL.md"), "---\nname: other-name\ndescription: d\n---\nBody\n");
    const list = await api.claudeConfig.listSkills({ projectId: "sample" });
    expect(list.find((s) => s.name === "misnamed")!.problems.join()).toMatch(/must match the folder/);
    // Deleting keeps the folder when it holds more than SKILL.md.
    fs.writeFileSync(path.join(project, ".claude", "skills", "release-notes", "template.md"), "x");
    await api.claudeConfig.deleteSkill({ projectId: "sample", name: "release-notes", version: created.version });
    expect(fs.readdirSync(path.join(project, ".claude", "skills", "release-notes"))).toEqual(["template.md"]);
  });
});
