"use client";

import Link from "@/app/_components/ui/link";
import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { CreateProposalInputSchema, type CapabilityDelta, type CreateProposalInput } from "@/lib/schemas/openspec";
import { cleanDeltas, emptyRequirement, LiveValidation, ProposalDeltas, useLiveValidation } from "../proposal/proposal-deltas";
import { TRPCClientError, useQuery, useTRPC, useTRPCClient } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { changeHref } from "@/lib/url-state";
import { failureHref } from "../errors/errors-url-state";
import { PageHeader } from "../shell/page-header";
import { useSelectedProject } from "../shell/selected-project";
import { Button, ErrorState } from "../ui/ui";

export type ProposalPrefill = Partial<
  Record<"projectId" | "title" | "description" | "whatChanges" | "impact" | "tasks" | "changeId", string>
> & {
  /** Opened from a failure that needs a spec: the created change is linked back to it. */
  failureId?: number;
};

type Field = keyof CreateProposalInput;
type FieldErrors = Partial<Record<Field, string>>;

const INPUT =
  "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm aria-[invalid=true]:border-red-500 dark:border-zinc-700 dark:bg-zinc-950";

/** Form values as the shared schema expects them: blank optionals are absent, tasks one per line. */
function toInput(form: FormData): CreateProposalInput {
  const text = (name: string) => String(form.get(name) ?? "");
  const optional = (name: string) => (text(name).trim() ? text(name) : undefined);
  const tasks = text("tasks")
    .split("\n")
    .map((line) => line.replace(/^\s*(?:[-*]\s*)?(?:\[[ xX]\]\s*)?/, "").trim())
    .filter(Boolean);
  return {
    projectId: text("projectId"),
    title: text("title"),
    description: text("description"),
    whatChanges: optional("whatChanges"),
    impact: optional("impact"),
    tasks: tasks.length ? tasks : undefined,
    changeId: optional("changeId"),
  };
}

function errorsFrom(issues: { path: PropertyKey[] | string[]; message: string }[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const field = String(issue.path[0] ?? "") as Field;
    if (field && !errors[field])
      errors[field] = field === "tasks" && issue.path.length > 1 ? `Task ${Number(issue.path[1]) + 1}: ${issue.message}` : issue.message;
  }
  return errors;
}

export function ProposalForm({ prefill }: { prefill: ProposalPrefill }) {
  const trpc = useTRPC();
  const router = useRouter();
  const id = useId();
  const { slug, projects } = useSelectedProject();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [linkError, setLinkError] = useState<{ message: string; href: string } | null>(null);
  const trpcClient = useTRPCClient();
  const formRef = useRef<HTMLFormElement>(null);
  // The requirements step (issue 13): a change needs at least one delta to validate.
  const [deltas, setDeltas] = useState<CapabilityDelta[]>([
    { capability: "", operations: [{ op: "ADDED", requirement: emptyRequirement() }] },
  ]);
  const [touched, setTouched] = useState(false);
  const [snapshot, setSnapshot] = useState<CreateProposalInput | null>(null);
  // From a failure: its draft carries a first delta (the test as the scenario).
  const draft = useQuery({
    ...trpc.errors.proposalDraft.queryOptions({ failureId: prefill.failureId ?? 0 }),
    enabled: Boolean(prefill.failureId),
  });
  useEffect(() => {
    if (draft.data?.specDeltas?.length && !touched) setDeltas(draft.data.specDeltas);
  }, [draft.data, touched]);
  useEffect(() => {
    if (formRef.current) setSnapshot(toInput(new FormData(formRef.current)));
  }, []);
  const changeDeltas = (next: CapabilityDelta[]) => {
    setTouched(true);
    setDeltas(next);
  };
  const liveInput = snapshot ? { ...snapshot, specDeltas: cleanDeltas(deltas) } : null;
  const live = useLiveValidation(liveInput ?? { projectId: "" }, Boolean(liveInput?.projectId));
  const create = useMutation(
    trpc.openspec.createProposal.mutationOptions({
      async onSuccess(result) {
        if (prefill.failureId) {
          // The proposal exists either way; a failed link is reported (with the way to the
          // new change), not retried.
          try {
            await trpcClient.errors.linkProposal.mutate({ failureId: prefill.failureId, changeId: result.changeId });
            router.push(failureHref(prefill.failureId));
            return;
          } catch (error) {
            setLinkError({
              message: error instanceof Error ? error.message : String(error),
              href: changeHref(result.projectSlug, result.changeId),
            });
          }
          // Stay: the user should read that the link is missing before moving on.
          return;
        }
        router.push(changeHref(result.projectSlug, result.changeId));
      },
      onError(error) {
        // Server-side schema failures land next to their fields too.
        const issues = error instanceof TRPCClientError ? (error.data?.zodIssues as { path: string[]; message: string }[] | null) : null;
        if (issues?.length) setErrors(errorsFrom(issues));
      },
    }),
  );

  const readable = projects.filter((p) => !p.problem);
  const defaultProject = prefill.projectId ?? slug ?? readable[0]?.slug ?? "";

  function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const parsed = CreateProposalInputSchema.safeParse({ ...toInput(new FormData(e.currentTarget)), specDeltas: cleanDeltas(deltas) });
    if (!parsed.success || !deltas.length) {
      const next = parsed.success ? {} : errorsFrom(parsed.error.issues);
      if (!deltas.length) next.specDeltas = "Add at least one capability with a requirement: OpenSpec refuses a change without one.";
      setErrors(next);
      // Move focus to the first problem so keyboard and screen-reader users land on it.
      const first = Object.keys(next)[0];
      if (first) (e.currentTarget.elements.namedItem(first) as HTMLElement | null)?.focus();
      return;
    }
    setErrors({});
    create.mutate(parsed.data);
  }

  const serverError =
    create.error && !(create.error instanceof TRPCClientError && create.error.data?.zodIssues?.length) ? create.error : null;
  // The message check also covers a server that reports the collision without the CONFLICT code.
  const conflict =
    serverError instanceof TRPCClientError && (serverError.data?.code === "CONFLICT" || /already exists/i.test(serverError.message));

  const field = (name: Field, label: string, control: ReactNode, hint?: string) => (
    <div className="space-y-1">
      <label htmlFor={`${id}-${name}`} className="block text-sm font-medium">
        {label}
      </label>
      {control}
      {errors[name] ? (
        <p id={`${id}-${name}-error`} className="text-xs text-red-600 dark:text-red-400">
          {errors[name]}
        </p>
      ) : hint ? (
        <p id={`${id}-${name}-hint`} className="text-xs text-zinc-500 dark:text-zinc-400">
          {hint}
        </p>
      ) : null}
    </div>
  );
  const aria = (name: Field) => ({
    id: `${id}-${name}`,
    name,
    "aria-invalid": errors[name] ? true : undefined,
    "aria-describedby": errors[name] ? `${id}-${name}-error` : undefined,
  });

  return (
    <>
      <PageHeader
        section="Specs"
        sectionHref="/specs"
        crumbs={[{ label: "New proposal" }]}
        title="New proposal"
        subtitle="Writes proposal.md, tasks.md and the delta specs under openspec/changes/ in the chosen project, checked live by the validator the Specs tab uses."
      />
      <form
        ref={formRef}
        noValidate
        onSubmit={onSubmit}
        onChange={(e) => setSnapshot(toInput(new FormData(e.currentTarget)))}
        className="max-w-3xl space-y-5"
        aria-label="New proposal"
      >
        {linkError ? (
          <ErrorState title="The proposal was created but not linked to the failure" message={linkError.message}>
            <p className="mt-2">
              <Link href={linkError.href} className="underline">
                Open the new change
              </Link>
            </p>
          </ErrorState>
        ) : null}
        {serverError ? (
          <ErrorState
            title={conflict ? "A change with that id exists already" : "Could not create the proposal"}
            message={serverError.message}
          >
            {conflict ? <p className="mt-1">Pick another title, or set a different change id.</p> : null}
          </ErrorState>
        ) : null}
        <div className="grid gap-5 sm:grid-cols-2">
          {field(
            "projectId",
            "Codebase",
            <select {...aria("projectId")} defaultValue={defaultProject} key={defaultProject} className={INPUT}>
              {readable.map((p) => (
                <option key={p.slug} value={p.slug}>
                  {p.name}
                </option>
              ))}
            </select>,
          )}
          {field(
            "changeId",
            "Change id (optional)",
            <input
              {...aria("changeId")}
              defaultValue={prefill.changeId}
              placeholder="derived from the title"
              className={`${INPUT} font-mono`}
            />,
            "Lowercase words joined by hyphens, e.g. add-wishlist.",
          )}
        </div>
        {field("title", "Title", <input {...aria("title")} defaultValue={prefill.title} autoComplete="off" className={INPUT} />)}
        {field(
          "description",
          "Why",
          <textarea {...aria("description")} defaultValue={prefill.description} rows={4} className={INPUT} />,
          "The problem or opportunity, in a sentence or two.",
        )}
        {field(
          "whatChanges",
          "What changes",
          <textarea {...aria("whatChanges")} defaultValue={prefill.whatChanges} rows={4} className={INPUT} />,
          "Bullet points are fine.",
        )}
        {field(
          "impact",
          "Impact",
          <textarea {...aria("impact")} defaultValue={prefill.impact} rows={3} className={INPUT} />,
          "Affected specs, code, APIs, people.",
        )}
        {field(
          "tasks",
          "Tasks",
          <textarea {...aria("tasks")} defaultValue={prefill.tasks} rows={5} className={`${INPUT} font-mono`} />,
          "One per line; they become checkboxes in tasks.md.",
        )}
        <ProposalDeltas
          projectId={snapshot?.projectId || defaultProject}
          value={deltas}
          onChange={changeDeltas}
          issues={live.data?.issues ?? []}
        />
        {errors.specDeltas ? <p className="text-xs text-red-600 dark:text-red-400">{errors.specDeltas}</p> : null}
        <LiveValidation state={live.data} pending={live.isFetching} />
        <div className="flex items-center gap-2">
          <Button type="submit" variant="primary" disabled={create.isPending || create.isSuccess}>
            {create.isPending ? "Creating…" : "Create proposal"}
          </Button>
          <Button variant="ghost" onClick={() => router.back()}>
            Cancel
          </Button>
        </div>
      </form>
    </>
  );
}
