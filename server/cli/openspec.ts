import path from "node:path";
import fs from "node:fs";
import type { Command } from "commander";

/**
 * `workdeck openspec <list|show|validate|archive> ... --root <dir> --json`
 * prints exactly what the official OpenSpec CLI prints for the same call;
 * the arguments after `openspec` are handed to the parser package unchanged
 * (only `--root` is ours).
 */
export function registerOpenSpecCommands(program: Command): void {
  program
    .command("openspec")
    .description("OpenSpec list/show/validate/archive, answering exactly like the official CLI (--root <dir> --json)")
    .argument("<command>", "list | show | validate | archive")
    .argument("[args...]", "the official CLI's arguments and flags")
    .allowUnknownOption()
    .helpOption(false)
    .action(async (command: string, args: string[]) => {
      const { rootDir, rest } = takeRoot(args);
      if (!fs.existsSync(rootDir)) throw new Error(`--root ${rootDir}: no such directory`);
      const { runOpenSpecJson } = await import("@workdeck/openspec-parser/cli-json");
      const argv = [command, ...rest];
      const wantsJson = argv.includes("--json");
      const { json, exitCode } = await runOpenSpecJson(argv, rootDir);
      if (wantsJson) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      else process.stdout.write(`${humanSummary(command, json)}\n`);
      process.exitCode = exitCode;
    });
}

function takeRoot(args: string[]): { rootDir: string; rest: string[] } {
  const rest: string[] = [];
  let rootDir = process.cwd();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--root") rootDir = path.resolve(args[++i] ?? ".");
    else if (a.startsWith("--root=")) rootDir = path.resolve(a.slice("--root=".length));
    else rest.push(a);
  }
  return { rootDir, rest };
}

/** A short readable form for people; tools pass --json. */
function humanSummary(command: string, json: unknown): string {
  const j = json as Record<string, unknown>;
  if (Array.isArray(j.status)) return (j.status as { message: string }[]).map((s) => `Error: ${s.message}`).join("\n");
  if (command === "list" && Array.isArray(j.changes)) {
    const rows = j.changes as { name: string; completedTasks: number; totalTasks: number; status: string }[];
    return rows.length
      ? ["Changes:", ...rows.map((c) => `  ${c.name}  ${c.totalTasks ? `${c.completedTasks}/${c.totalTasks} tasks` : "No tasks"}`)].join(
          "\n",
        )
      : "No active changes found.";
  }
  if (command === "list" && Array.isArray(j.specs)) {
    const rows = j.specs as { id: string; requirementCount: number }[];
    return rows.length ? ["Specs:", ...rows.map((s) => `  ${s.id}  requirements ${s.requirementCount}`)].join("\n") : "No specs found.";
  }
  if (command === "validate" && Array.isArray(j.items)) {
    const items = j.items as { id: string; type: string; valid: boolean; issues: { level: string; path: string; message: string }[] }[];
    return items
      .map((it) =>
        [`${it.valid ? "✓" : "✗"} ${it.type} ${it.id}`, ...it.issues.map((i) => `    ${i.level} ${i.path}: ${i.message}`)].join("\n"),
      )
      .join("\n");
  }
  return JSON.stringify(json, null, 2);
}
