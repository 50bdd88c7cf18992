"use client";

import { useId, useState, type FormEvent } from "react";
import type { SkillFile, SubagentFile } from "@/lib/schemas/claude-config";
import { Button, ErrorState } from "../ui/ui";
import { useClaudeFiles } from "./use-claude-files";

export type EditorKind = "agent" | "skill";

type Draft = { name: string; description: string; tools: string; model: string; body: string };

const field = "mt-1 w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-950";
const labelClass = "block text-xs font-medium text-zinc-600 dark:text-zinc-300";

function draftOf(kind: EditorKind, file: SubagentFile | SkillFile | null): Draft {
  if (!file) return { name: "", description: "", tools: "", model: "", body: "" };
  if (kind === "agent") {
    const f = (file as SubagentFile).fields;
    return {
      name: file.name,
      description: f.description ?? "",
      tools: (f.tools ?? []).join(", "),
      model: f.model ?? "",
      body: f.prompt ?? "",
    };
  }
  const f = (file as SkillFile).fields;
  return { name: file.name, description: f.description ?? "", tools: (f.allowedTools ?? []).join(", "), model: "", body: f.body ?? "" };
}

const splitTools = (s: string) => {
  const tools = s
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  return tools.length ? tools : undefined;
};

/**
 * Create or edit one sub-agent or skill. Saves name the version the file was opened with: a file
 * edited on disk meanwhile comes back as a conflict, with "Reload from disk" to start over from it.
 */
export function ClaudeFileEditor({
  kind,
  projectId,
  file,
  onDone,
}: {
  kind: EditorKind;
  projectId: string;
  file: SubagentFile | SkillFile | null;
  onDone(): void;
}) {
  const ids = useId();
  const files = useClaudeFiles(projectId);
  const [draft, setDraft] = useState<Draft>(() => draftOf(kind, file));
  const [version, setVersion] = useState<string | null>(file?.version ?? null);
  const save = kind === "agent" ? files.saveAgent : files.saveSkill;
  const remove = kind === "agent" ? files.deleteAgent : files.deleteSkill;
  const error = save.error ?? remove.error;
  const conflict = error?.data?.code === "CONFLICT" && version !== null;
  const noun = kind === "agent" ? "sub-agent" : "skill";
  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));

  function submit(e: FormEvent) {
    e.preventDefault();
    const done = { onSuccess: onDone };
    if (kind === "agent") {
      files.saveAgent.mutate(
        {
          projectId,
          version,
          fields: {
            name: draft.name.trim(),
            description: draft.description,
            tools: splitTools(draft.tools),
            model: draft.model.trim() || undefined,
            prompt: draft.body,
          },
        },
        done,
      );
    } else {
      files.saveSkill.mutate(
        {
          projectId,
          version,
          fields: { name: draft.name.trim(), description: draft.description, allowedTools: splitTools(draft.tools), body: draft.body },
        },
        done,
      );
    }
  }

  async function reload() {
    files.refresh();
    const list = kind === "agent" ? await files.agents.refetch() : await files.skills.refetch();
    const fresh = (list.data as (SubagentFile | SkillFile)[] | undefined)?.find((f) => f.name === file?.name) ?? null;
    save.reset();
    remove.reset();
    setDraft(draftOf(kind, fresh));
    setVersion(fresh?.version ?? null);
  }

  return (
    <form
      onSubmit={submit}
      noValidate
      aria-label={file ? `Edit ${noun} ${file.name}` : `New ${noun}`}
      className="space-y-3 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800"
    >
      <h3 className="text-sm font-semibold">{file ? `${kind === "agent" ? "Sub-agent" : "Skill"} ${file.name}` : `New ${noun}`}</h3>
      {file?.problems.length ? (
        <ErrorState title="Claude Code would not load this file as it is" message={file.problems.join("; ")} />
      ) : null}
      <div className="grid gap-3 sm:grid-cols-2">
        <div>
          <label htmlFor={`${ids}-name`} className={labelClass}>
            Name
          </label>
          <input
            id={`${ids}-name`}
            value={draft.name}
            onChange={set("name")}
            readOnly={Boolean(file)}
            placeholder="lowercase-with-hyphens"
            className={field}
          />
        </div>
        {kind === "agent" ? (
          <div>
            <label htmlFor={`${ids}-model`} className={labelClass}>
              Model
            </label>
            <input
              id={`${ids}-model`}
              list={`${ids}-models`}
              value={draft.model}
              onChange={set("model")}
              placeholder="the session's"
              className={field}
            />
            <datalist id={`${ids}-models`}>
              <option value="inherit" />
              <option value="sonnet" />
              <option value="opus" />
              <option value="haiku" />
            </datalist>
          </div>
        ) : null}
      </div>
      <div>
        <label htmlFor={`${ids}-description`} className={labelClass}>
          Description
        </label>
        <textarea
          id={`${ids}-description`}
          value={draft.description}
          onChange={set("description")}
          rows={2}
          placeholder="When Claude should use it"
          className={field}
        />
      </div>
      <div>
        <label htmlFor={`${ids}-tools`} className={labelClass}>
          {kind === "agent" ? "Tools" : "Allowed tools"}
        </label>
        <input
          id={`${ids}-tools`}
          value={draft.tools}
          onChange={set("tools")}
          placeholder="Read, Grep, Bash (empty: all)"
          className={field}
        />
      </div>
      <div>
        <label htmlFor={`${ids}-body`} className={labelClass}>
          {kind === "agent" ? "System prompt" : "Instructions"}
        </label>
        <textarea
          id={`${ids}-body`}
          value={draft.body}
          onChange={set("body")}
          rows={10}
          spellCheck={false}
          className={`${field} font-mono text-xs`}
        />
      </div>
      {error ? (
        <ErrorState title={conflict ? "The file changed on disk" : `The ${noun} was not saved`} message={error.message}>
          {conflict ? (
            <Button className="mt-2" onClick={() => void reload()}>
              Reload from disk
            </Button>
          ) : null}
        </ErrorState>
      ) : null}
      <div className="flex justify-end gap-2">
        {file ? (
          <Button
            variant="danger"
            className="mr-auto"
            disabled={remove.isPending || !version}
            onClick={() => version && remove.mutate({ projectId, name: file.name, version }, { onSuccess: onDone })}
          >
            Delete
          </Button>
        ) : null}
        <Button onClick={onDone}>Cancel</Button>
        <Button type="submit" variant="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </Button>
      </div>
    </form>
  );
}
