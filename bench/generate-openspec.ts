import fs from "node:fs";
import path from "node:path";

/**
 * Writes a realistic OpenSpec root: `specCount` main specs of 3-6
 * requirements and `changeCount` changes with proposal, tasks and one or two
 * delta specs that apply cleanly.
 */
export function generateOpenSpecRoot(root: string, opts: { changeCount: number; specCount: number }): void {
  const specsDir = path.join(root, "openspec", "specs");
  const changesDir = path.join(root, "openspec", "changes");
  fs.mkdirSync(specsDir, { recursive: true });
  fs.mkdirSync(path.join(changesDir, "archive"), { recursive: true });

  for (let s = 0; s < opts.specCount; s++) {
    const cap = `capability-${String(s).padStart(3, "0")}`;
    const reqs = 3 + (s % 4);
    const body = [
      `# ${cap} Specification`,
      "",
      "## Purpose",
      `Capability ${s} keeps the behaviour of area ${s % 17} predictable for every client that depends on it.`,
      "",
      "## Requirements",
      "",
    ];
    for (let r = 0; r < reqs; r++) body.push(...requirement(`Behaviour ${r}`, `The system SHALL handle case ${r} of capability ${s}.`));
    fs.mkdirSync(path.join(specsDir, cap), { recursive: true });
    fs.writeFileSync(path.join(specsDir, cap, "spec.md"), body.join("\n"));
  }

  for (let c = 0; c < opts.changeCount; c++) {
    const id = `change-${String(c).padStart(4, "0")}-improve-area-${c % 31}`;
    const dir = path.join(changesDir, id);
    const cap = `capability-${String(c % opts.specCount).padStart(3, "0")}`;
    fs.mkdirSync(path.join(dir, "specs", cap), { recursive: true });
    fs.writeFileSync(
      path.join(dir, "proposal.md"),
      [
        `# Change: Improve area ${c % 31} (${c})`,
        "",
        "## Why",
        `Users of area ${c % 31} hit a limitation that slows them down every day; this change removes it.`,
        "",
        "## What Changes",
        `- Add a new behaviour to ${cap}`,
        "",
        "## Impact",
        `- Affected specs: ${cap}`,
        "",
      ].join("\n"),
    );
    const total = c % 9;
    const done = total === 0 ? 0 : c % (total + 1);
    const tasks = ["## 1. Implementation", ""];
    for (let t = 0; t < total; t++) tasks.push(`- [${t < done ? "x" : " "}] 1.${t + 1} Step ${t + 1} of change ${c}`);
    fs.writeFileSync(path.join(dir, "tasks.md"), tasks.join("\n") + "\n");
    fs.writeFileSync(
      path.join(dir, "specs", cap, "spec.md"),
      [
        "## ADDED Requirements",
        "",
        ...requirement(`New behaviour from change ${c}`, `The system SHALL support the improvement made by change ${c}.`),
      ].join("\n"),
    );
  }
}

function requirement(name: string, text: string): string[] {
  return [
    `### Requirement: ${name}`,
    text,
    "",
    `#### Scenario: ${name} works`,
    "- **WHEN** a client asks for it",
    "- **THEN** the system answers correctly",
    "",
  ];
}
