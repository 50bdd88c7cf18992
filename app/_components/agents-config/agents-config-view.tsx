"use client";

import { useState } from "react";
import type { SkillFile, SubagentFile } from "@/lib/schemas/claude-config";
import { useSelectedProject } from "../shell/selected-project";
import { Badge, Button, EmptyState, ErrorState, ListSkeleton, Section } from "../ui/ui";
import { ClaudeFileEditor, type EditorKind } from "./claude-file-editor";
import { useClaudeFiles } from "./use-claude-files";

/** The "Agents & skills" page: the selected project's `.claude/agents` and `.claude/skills`. */
export function AgentsConfigView() {
  const { slug } = useSelectedProject();
  if (!slug)
    return (
      <EmptyState title="Pick a project">
        Sub-agents and skills live in a project's .claude folder: choose one with the Project selector.
      </EmptyState>
    );
  return <ProjectFiles key={slug} projectId={slug} />;
}

function ProjectFiles({ projectId }: { projectId: string }) {
  const files = useClaudeFiles(projectId);
  const [editing, setEditing] = useState<{ kind: EditorKind; name: string | null } | null>(null);
  const open = (kind: EditorKind, name: string | null) => setEditing({ kind, name });
  const close = () => setEditing(null);
  const current = (kind: EditorKind): (SubagentFile | SkillFile)[] =>
    kind === "agent" ? (files.agents.data ?? []) : (files.skills.data ?? []);
  const editor = editing ? (
    <ClaudeFileEditor
      key={`${editing.kind}:${editing.name ?? "new"}`}
      kind={editing.kind}
      projectId={projectId}
      file={editing.name ? (current(editing.kind).find((f) => f.name === editing.name) ?? null) : null}
      onDone={close}
    />
  ) : null;

  return (
    <div className="space-y-8">
      <Section id="subagents" title="Sub-agents" count={files.agents.data?.length}>
        <div className="mb-3 flex items-center justify-between gap-4">
          <p className="text-sm text-zinc-500 dark:text-zinc-400">
            .claude/agents/&lt;name&gt;.md: a system prompt, its tools and model. Launch a session as one from the launch dialog.
          </p>
          <Button variant="primary" onClick={() => open("agent", null)}>
            New sub-agent
          </Button>
        </div>
        {editing?.kind === "agent" ? <div className="mb-3">{editor}</div> : null}
        <FileList
          query={files.agents}
          empty="No sub-agents in this project yet."
          onOpen={(name) => open("agent", name)}
          label="Sub-agents"
        />
      </Section>
      <Section id="skills" title="Skills" count={files.skills.data?.length}>
        <div className="mb-3 flex items-center justify-between gap-4">
          <p className="text-sm text-zinc-500 dark:text-zinc-400">
            .claude/skills/&lt;name&gt;/SKILL.md: instructions Claude loads when a task matches the description.
          </p>
          <Button variant="primary" onClick={() => open("skill", null)}>
            New skill
          </Button>
        </div>
        {editing?.kind === "skill" ? <div className="mb-3">{editor}</div> : null}
        <FileList query={files.skills} empty="No skills in this project yet." onOpen={(name) => open("skill", name)} label="Skills" />
      </Section>
    </div>
  );
}

type ListQuery = { data?: (SubagentFile | SkillFile)[]; isPending: boolean; isError: boolean; error: { message: string } | null };

function FileList({ query, empty, onOpen, label }: { query: ListQuery; empty: string; onOpen(name: string): void; label: string }) {
  if (query.isPending) return <ListSkeleton rows={2} label={`Loading ${label.toLowerCase()}`} />;
  if (query.isError) return <ErrorState title={`Could not read ${label.toLowerCase()}`} message={query.error?.message} />;
  if (!query.data?.length) return <EmptyState title={empty} />;
  return (
    <ul aria-label={label} className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
      {query.data.map((f) => (
        <li key={f.name} className="flex items-center gap-3 px-4 py-2.5">
          <button type="button" onClick={() => onOpen(f.name)} className="font-mono text-sm font-medium hover:underline">
            {f.name}
          </button>
          <span className="truncate text-sm text-zinc-500 dark:text-zinc-400">{f.fields.description}</span>
          <span className="ml-auto flex gap-2">
            {f.problems.length ? (
              <Badge tone="red" title={f.problems.join("; ")}>
                not loaded
              </Badge>
            ) : null}
            <span className="font-mono text-xs text-zinc-400">{f.file}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}
