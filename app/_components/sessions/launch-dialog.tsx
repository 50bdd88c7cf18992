"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import type { SessionOptions, SessionOverrides, SessionWorkItem } from "@/lib/schemas/sessions";
import { useQuery, useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { SubagentPicker } from "../agents-config/agent-picker";
import { sessionHref, workItemLabel } from "./session-format";
import { useSelectedProject } from "../shell/selected-project";
import { Button, ErrorState, Skeleton } from "../ui/ui";
import { useModalDialog } from "../ui/use-modal-dialog";

const PERMISSION_MODES = [
  { value: "default", label: "default (ask; headless runs deny)" },
  { value: "acceptEdits", label: "acceptEdits" },
  { value: "bypassPermissions", label: "bypassPermissions" },
  { value: "plan", label: "plan (read-only)" },
] as const;
type PermissionMode = (typeof PERMISSION_MODES)[number]["value"];

export function LaunchDialog({
  projectId,
  workItem,
  open,
  onClose,
}: {
  projectId: string | null;
  workItem?: SessionWorkItem;
  open: boolean;
  onClose(): void;
}) {
  const ref = useModalDialog(open);
  const titleId = useId();

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={onClose}
      className="m-auto w-[min(48rem,calc(100vw-2rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-zinc-950/40 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
    >
      {open ? <LaunchForm titleId={titleId} initialProject={projectId} workItem={workItem} onCancel={() => ref.current?.close()} /> : null}
    </dialog>
  );
}

type FieldErrors = Partial<Record<"project" | "prompt" | "maxTurns" | "maxBudgetUsd" | "model", string>>;

function LaunchForm({
  titleId,
  initialProject,
  workItem,
  onCancel,
}: {
  titleId: string;
  initialProject: string | null;
  workItem?: SessionWorkItem;
  onCancel(): void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { projects } = useSelectedProject();
  const [projectId, setProjectId] = useState(initialProject ?? "");
  const preview = useQuery({
    ...trpc.sessions.promptPreview.queryOptions({ projectId, ...(workItem ? { workItem } : {}) }),
    enabled: Boolean(projectId),
    retry: false,
    staleTime: 0,
  });

  // The form is seeded once from the preview, then belongs to the user.
  const [prompt, setPrompt] = useState<string | null>(null);
  const [options, setOptions] = useState<{
    model: string;
    permissionMode: PermissionMode | "";
    maxTurns: string;
    maxBudgetUsd: string;
    worktrees: boolean;
  } | null>(null);
  const seeded = useRef(false);
  useEffect(() => {
    if (seeded.current) return;
    if (preview.data) {
      seeded.current = true;
      const built = preview.data.prompt;
      // A manual prompt typed while the project's options loaded is kept.
      setPrompt((p) => (p && !workItem ? p : built));
      setOptions(fromOptions(preview.data.options));
    } else if (preview.isError || !workItem) {
      seeded.current = preview.isError;
      setOptions((o) => o ?? fromOptions({}));
      setPrompt((p) => p ?? "");
    }
  }, [preview.data, preview.isError, workItem]);

  const [agent, setAgent] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const start = useMutation(
    trpc.sessions.start.mutationOptions({
      onSuccess({ id }) {
        void queryClient.invalidateQueries(trpc.sessions.pathFilter());
        router.push(sessionHref(id));
      },
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!options || prompt === null) return;
    const next: FieldErrors = {};
    if (!projectId) next.project = "Pick the project the session works in.";
    const builtPrompt = preview.data?.prompt ?? "";
    if (!prompt.trim()) next.prompt = workItem ? "The prompt is empty: restore it or write one." : "Write what the session should do.";
    const overrides: SessionOverrides = {
      permissionMode: options.permissionMode || undefined,
      worktrees: options.worktrees,
      ...(agent ? { agent } : {}),
    };
    if (options.model.trim()) {
      if (!/^[\w.:\[\]-]{1,100}$/.test(options.model.trim())) next.model = "A model is a name like sonnet, opus or claude-sonnet-4-5.";
      else overrides.model = options.model.trim();
    }
    if (options.maxTurns.trim()) {
      const n = Number(options.maxTurns);
      if (!Number.isInteger(n) || n < 1) next.maxTurns = "Max turns is a whole number of 1 or more.";
      else overrides.maxTurns = n;
    }
    if (options.maxBudgetUsd.trim()) {
      const n = Number(options.maxBudgetUsd);
      if (!Number.isFinite(n) || n <= 0) next.maxBudgetUsd = "The budget is an amount in USD greater than 0.";
      else overrides.maxBudgetUsd = n;
    }
    setErrors(next);
    if (Object.keys(next).length) return;
    // Only an edited prompt is sent: otherwise the server builds it from the work item, as previewed.
    const sendPrompt = prompt.trim() && (!workItem || prompt !== builtPrompt) ? prompt : undefined;
    start.mutate({ projectId, ...(workItem ? { workItem } : {}), ...(sendPrompt ? { prompt: sendPrompt } : {}), overrides });
  }

  const set = <K extends keyof NonNullable<typeof options>>(key: K, value: NonNullable<typeof options>[K]) =>
    setOptions((o) => (o ? { ...o, [key]: value } : o));
  const field = "h-8 w-full rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-950";
  const errorText = (id: string, text?: string) =>
    text ? (
      <p id={id} className="mt-1 text-xs text-red-700 dark:text-red-300">
        {text}
      </p>
    ) : null;
  // Max turns and the budget: a number typed as text, checked on submit (a render function, not a component, so typing keeps focus).
  const limitField = (
    key: "maxTurns" | "maxBudgetUsd",
    value: string,
    f: { id: string; label: string; inputMode: "numeric" | "decimal"; placeholder: string },
  ) => (
    <div>
      <label htmlFor={f.id} className="block text-xs text-zinc-500">
        {f.label}
      </label>
      <input
        id={f.id}
        inputMode={f.inputMode}
        value={value}
        onChange={(e) => set(key, e.target.value)}
        placeholder={f.placeholder}
        className={field}
        aria-invalid={Boolean(errors[key])}
        aria-describedby={errors[key] ? `${f.id}-error` : undefined}
      />
      {errorText(`${f.id}-error`, errors[key])}
    </div>
  );

  return (
    <form onSubmit={submit} noValidate className="space-y-4 p-5" aria-labelledby={titleId} data-testid="launch-form">
      <div>
        <h2 id={titleId} className="text-base font-semibold">
          Launch session {workItem ? <span className="font-normal text-zinc-500">on {workItemLabel(workItem)}</span> : null}
        </h2>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
          Claude Code runs headless in the project (its own git worktree when enabled). Review the prompt and options first.
        </p>
      </div>

      {!initialProject ? (
        <div>
          <label htmlFor="launch-project" className="block text-xs font-medium text-zinc-600 dark:text-zinc-300">
            Project
          </label>
          <select
            id="launch-project"
            value={projectId}
            onChange={(e) => setProjectId(e.target.value)}
            className={field}
            aria-invalid={Boolean(errors.project)}
            aria-describedby={errors.project ? "launch-project-error" : undefined}
          >
            <option value="">Choose a project…</option>
            {projects.map((p) => (
              <option key={p.slug} value={p.slug}>
                {p.name}
              </option>
            ))}
          </select>
          {errorText("launch-project-error", errors.project)}
        </div>
      ) : null}

      <div>
        <label htmlFor="launch-prompt" className="block text-xs font-medium text-zinc-600 dark:text-zinc-300">
          Prompt
        </label>
        {projectId && preview.isPending && workItem ? (
          <div role="status" aria-label="Building the prompt" className="space-y-2 py-1">
            <Skeleton className="h-4 w-3/4" />
            <Skeleton className="h-40 w-full" />
          </div>
        ) : (
          <textarea
            id="launch-prompt"
            value={prompt ?? ""}
            onChange={(e) => setPrompt(e.target.value)}
            rows={14}
            spellCheck={false}
            placeholder="What should Claude do?"
            aria-invalid={Boolean(errors.prompt)}
            aria-describedby={errors.prompt ? "launch-prompt-error" : undefined}
            className="mt-1 w-full resize-y rounded-md border border-zinc-300 bg-white p-2 font-mono text-xs leading-relaxed dark:border-zinc-700 dark:bg-zinc-950"
          />
        )}
        {errorText("launch-prompt-error", errors.prompt)}
        {preview.isError ? <ErrorState title="Could not build the prompt" message={preview.error.message} /> : null}
      </div>

      {options ? (
        <fieldset className="grid grid-cols-2 gap-3 sm:grid-cols-3">
          <legend className="mb-1 text-xs font-medium text-zinc-600 dark:text-zinc-300">
            Options {preview.data ? <span className="font-normal text-zinc-500">(project defaults shown)</span> : null}
          </legend>
          <div>
            <label htmlFor="launch-model" className="block text-xs text-zinc-500">
              Model
            </label>
            <input
              id="launch-model"
              list="launch-models"
              value={options.model}
              onChange={(e) => set("model", e.target.value)}
              placeholder="default"
              className={field}
              aria-invalid={Boolean(errors.model)}
              aria-describedby={errors.model ? "launch-model-error" : undefined}
            />
            <datalist id="launch-models">
              <option value="sonnet" />
              <option value="opus" />
              <option value="haiku" />
            </datalist>
            {errorText("launch-model-error", errors.model)}
          </div>
          <div>
            <label htmlFor="launch-permission" className="block text-xs text-zinc-500">
              Permission mode
            </label>
            <select
              id="launch-permission"
              value={options.permissionMode}
              onChange={(e) => set("permissionMode", e.target.value as PermissionMode | "")}
              className={field}
            >
              <option value="">project default</option>
              {PERMISSION_MODES.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          </div>
          {limitField("maxTurns", options.maxTurns, {
            id: "launch-max-turns",
            label: "Max turns",
            inputMode: "numeric",
            placeholder: "no limit",
          })}
          {limitField("maxBudgetUsd", options.maxBudgetUsd, {
            id: "launch-budget",
            label: "Budget (USD)",
            inputMode: "decimal",
            placeholder: "no cap",
          })}
          <SubagentPicker projectId={projectId} value={agent} onChange={setAgent} className={field} />
          <label className="col-span-2 flex items-center gap-2 self-end pb-1.5 text-sm">
            <input
              type="checkbox"
              checked={options.worktrees}
              onChange={(e) => set("worktrees", e.target.checked)}
              className="size-4 accent-zinc-900 dark:accent-zinc-100"
            />
            Run in its own git worktree
          </label>
        </fieldset>
      ) : null}

      {start.isError ? <ErrorState title="The session did not start" message={start.error.message} /> : null}

      <div className="flex justify-end gap-2 pt-1">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" disabled={!options || prompt === null || start.isPending || start.isSuccess}>
          {start.isPending || start.isSuccess ? "Launching…" : "Launch"}
        </Button>
      </div>
    </form>
  );
}

function fromOptions(o: SessionOptions) {
  return {
    model: o.model ?? "",
    permissionMode: (o.permissionMode ?? "") as PermissionMode | "",
    maxTurns: o.maxTurns !== undefined ? String(o.maxTurns) : "",
    maxBudgetUsd: o.maxBudgetUsd !== undefined ? String(o.maxBudgetUsd) : "",
    worktrees: o.worktrees ?? true,
  };
}
