"use client";

import Link from "@/app/_components/ui/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { formatDateTime, plural } from "@/lib/format";
import type { FailureDetail, StoredError } from "@/lib/schemas/errors";
import { useQuery, useQueryClient, useTRPC, useTRPCClient } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { changeHref } from "@/lib/url-state";
import { AnsiText } from "../ui/ansi-text";
import { DECISION_LABEL, DecisionBadge, PATTERN_LABEL, PatternBadge, PriorityBadge, StatusBadge } from "./errors-badges";
import { failureHref } from "./errors-url-state";
import { FailureEvidence } from "../failure-evidence/evidence";
import { BranchHistoryList } from "../failure-evidence/branch-history";
import { FailureHistory, runErrors } from "./failure-history";
import { FailureTriage } from "./failure-triage";
import { LaunchSessionButton } from "../sessions/launch-session-button";
import { PageHeader } from "../shell/page-header";
import { Badge, Button, ErrorState, ListSkeleton, Section, Skeleton } from "../ui/ui";
import { DetailLoadError } from "../shell/detail-load-error";

export function FailureView({ failureId }: { failureId: number }) {
  const trpc = useTRPC();
  const failure = useQuery(trpc.errors.getFailure.queryOptions({ failureId }));

  if (failure.isPending) {
    return (
      <>
        <PageHeader
          section="Errors"
          sectionHref="/errors"
          crumbs={[{ label: `Failure ${failureId}` }]}
          title={<Skeleton className="h-6 w-72" />}
        />
        <ListSkeleton rows={6} label="Loading failure" />
      </>
    );
  }
  if (failure.isError)
    return (
      <DetailLoadError
        header={{ section: "Errors", sectionHref: "/errors", crumbs: [{ label: `Failure ${failureId}` }], title: `Failure ${failureId}` }}
        error={failure.error}
        missing="No such failure group"
        failed="Could not load this failure"
      />
    );
  return <FailureBody failure={failure.data} />;
}

function FailureBody({ failure }: { failure: FailureDetail }) {
  const title = failure.titlePath.at(-1) ?? failure.file;
  const occurrences = failure.runs.filter((r) => r.inGroup && (r.status === "unexpected" || r.status === "flaky"));
  const latest = occurrences.at(-1) ?? null;
  const errors = latest ? runErrors(latest) : [];
  const attachments = latest ? [...new Set(latest.attempts.flatMap((a) => a.attachmentNames))] : [];
  const first = failure.runs[0];
  const last = failure.runs.at(-1);

  return (
    <>
      <PageHeader
        section="Errors"
        sectionHref="/errors"
        projectSlug={failure.projectSlug}
        crumbs={[{ label: title }]}
        title={title}
        actions={<LaunchSessionButton projectId={failure.projectSlug} workItem={{ kind: "error", failureId: failure.id }} />}
        subtitle={
          <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <span className="font-mono" data-testid="failure-file">
              {failure.file}
            </span>
            <span aria-hidden>·</span>
            <span>{failure.titlePath.join(" › ")}</span>
            <span aria-hidden>·</span>
            {failure.runErrorKind ? (
              <Badge tone="red">run-level error: {failure.runErrorKind.replace("-", " ")}</Badge>
            ) : (
              <span>
                Playwright project <span className="font-medium">{failure.projectName}</span>
              </span>
            )}
          </span>
        }
      />
      <div className="mb-6 flex flex-wrap items-center gap-2" aria-label="Classification">
        <PatternBadge pattern={failure.pattern} />
        <DecisionBadge decision={failure.decision} suggested={failure.suggestedDecision} />
        <PriorityBadge priority={failure.priority} />
        <StatusBadge status={failure.status} />
        <span className="text-xs text-zinc-500 dark:text-zinc-400">
          {plural(failure.occurrences, "occurrence")} · {failure.consecutiveFailures} consecutive · first seen run #{failure.firstSeen.seq}{" "}
          ({formatDateTime(failure.firstSeen.at)}) · last seen run #{failure.lastSeen.seq} ({formatDateTime(failure.lastSeen.at)})
        </span>
      </div>

      <div className="grid grid-cols-[minmax(0,1fr)] gap-8 xl:grid-cols-[minmax(0,1fr)_24rem]">
        <div className="min-w-0 space-y-8">
          <Section id="error" title={latest ? `Error in run #${latest.report.seq}` : "Error"}>
            {errors.length ? (
              <div className="space-y-4">
                {errors.map((error, i) => (
                  <ErrorBlock key={i} error={error} index={errors.length > 1 ? i + 1 : null} />
                ))}
              </div>
            ) : (
              <AnsiText text={failure.lastMessage} />
            )}
          </Section>
          <Section id="attachments" title="Attachments" count={attachments.length}>
            {attachments.length ? (
              <ul className="flex flex-wrap gap-2" aria-label="Attachment names">
                {attachments.map((name) => (
                  <li key={name}>
                    <Badge>{name}</Badge>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="text-sm text-zinc-500 dark:text-zinc-400">None in the latest occurrence.</p>
            )}
          </Section>
          <FailureEvidence failureId={failure.id} />
          <Section id="history" title="Run history" count={failure.runs.length}>
            {first && last ? (
              <p className="text-xs text-zinc-500 dark:text-zinc-400">
                First run #{first.report.seq} ({formatDateTime(first.report.at)}), last run #{last.report.seq} (
                {formatDateTime(last.report.at)}).
              </p>
            ) : null}
            <BranchHistoryList runs={failure.runs} />
            <FailureHistory runs={failure.runs} />
          </Section>
          {failure.siblings.length ? (
            <Section id="siblings" title="Other failures of this test" count={failure.siblings.length}>
              <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 text-sm dark:divide-zinc-800 dark:border-zinc-800">
                {failure.siblings.map((s) => (
                  <li key={s.id} className="flex items-center gap-3 px-3 py-2">
                    <Link href={failureHref(s.id)} className="min-w-0 flex-1 truncate font-mono text-xs hover:underline">
                      {s.lastMessage.split("\n")[0]}
                    </Link>
                    <StatusBadge status={s.status} />
                    <span className="text-xs text-zinc-500">{plural(s.occurrences, "occurrence")}</span>
                  </li>
                ))}
              </ul>
            </Section>
          ) : null}
        </div>
        <aside className="space-y-4" aria-label="Triage and rules">
          <FailureTriage failure={failure} />
          <SpecProposalPanel failure={failure} />
          <RulesPanel failure={failure} />
        </aside>
      </div>
    </>
  );
}

function ErrorBlock({ error, index }: { error: StoredError; index: number | null }) {
  // Playwright puts the code frame in the message; `snippet` is only shown when it adds something.
  // Compared without colours: the raw message colours the frame differently from the raw snippet,
  // so the raw texts never matched and the frame showed twice (issue 13).
  const snippet = error.snippetRaw && error.snippet && !error.message.includes(error.snippet.trim()) ? error.snippetRaw : null;
  return (
    <div className="space-y-2" data-testid="error-block">
      {index ? <p className="text-xs font-medium text-zinc-500">Error {index}</p> : null}
      <AnsiText text={error.messageRaw} />
      {snippet ? <AnsiText text={snippet} /> : null}
      {error.location ? (
        <p className="font-mono text-xs text-zinc-500 dark:text-zinc-400">
          at {error.location.file}:{error.location.line}:{error.location.column}
        </p>
      ) : null}
      {error.stackRaw ? (
        <details className="text-sm">
          <summary className="cursor-pointer text-xs font-medium text-zinc-600 dark:text-zinc-300">Stack</summary>
          <AnsiText text={error.stackRaw} className="mt-2" />
        </details>
      ) : null}
    </div>
  );
}

const YES_NO = (v: boolean) => (v ? "yes" : "no");

function RulesPanel({ failure }: { failure: FailureDetail }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const classify = useMutation(
    trpc.errors.classifyFailure.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.errors.pathFilter()),
    }),
  );
  const h = failure.heuristics;
  const result = classify.data;
  return (
    <section aria-labelledby="rules-heading" className="space-y-3 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
      <div className="flex items-center justify-between gap-2">
        <h2 id="rules-heading" className="text-sm font-semibold">
          Rule engine
        </h2>
        <Button onClick={() => classify.mutate({ failureId: failure.id })} disabled={classify.isPending}>
          {classify.isPending ? "Running…" : "Re-run rules"}
        </Button>
      </div>
      <p className="text-sm" data-testid="rationale">
        {failure.rationale}
      </p>
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1 break-words text-sm">
        <dt className="text-zinc-500 dark:text-zinc-400">Rule</dt>
        <dd className="font-mono">{failure.decisionRule}</dd>
        <dt className="text-zinc-500 dark:text-zinc-400">Confidence</dt>
        <dd className="tabular-nums">{Math.round(failure.confidence * 100)}%</dd>
        <dt className="text-zinc-500 dark:text-zinc-400">Path category</dt>
        <dd>{h.pathCategory}</dd>
        <dt className="text-zinc-500 dark:text-zinc-400">Feature not implemented</dt>
        <dd>{YES_NO(h.notImplemented)}</dd>
        <dt className="text-zinc-500 dark:text-zinc-400">Setup / teardown</dt>
        <dd>{h.setupTeardown ? `${h.setupTeardown}${h.hook ? ` (${h.hook})` : ""}` : "no"}</dd>
        <dt className="text-zinc-500 dark:text-zinc-400">Timeout</dt>
        <dd>{YES_NO(h.timeout)}</dd>
      </dl>
      {classify.isError ? <ErrorState title="Could not re-run the rules" message={classify.error.message} /> : null}
      {result ? (
        <div role="status" className="space-y-1 rounded-md bg-zinc-50 p-3 text-sm dark:bg-zinc-900" data-testid="classification-result">
          <p className="font-medium">
            Re-classified: {PATTERN_LABEL[result.classification.pattern]} → suggests{" "}
            <span className="font-medium">{DECISION_LABEL[result.classification.suggestedDecision]}</span> (rule{" "}
            {result.classification.decisionRule}, priority {result.classification.priority}, confidence{" "}
            {Math.round(result.classification.confidence * 100)}%)
          </p>
          <p>{result.classification.rationale}</p>
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            Failure runs: {result.classification.failureRuns.join(", ") || "none"} · flaky runs:{" "}
            {result.classification.flakyRuns.join(", ") || "none"} · {result.classification.consecutiveFailures} consecutive
          </p>
          {!result.currentGroup ? (
            <p className="text-xs text-amber-700 dark:text-amber-300">
              The test now fails differently: this verdict belongs to its newer failure group.
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

function SpecProposalPanel({ failure }: { failure: FailureDetail }) {
  const router = useRouter();
  const client = useTRPCClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const needsSpec = failure.decision === "needs_spec" || (failure.decision === "pending" && failure.suggestedDecision === "needs_spec");

  if (failure.specChangeId) {
    return (
      <section
        aria-label="Spec proposal"
        className="rounded-lg border border-violet-200 bg-violet-50/50 p-4 text-sm dark:border-violet-900 dark:bg-violet-950/30"
      >
        <h2 className="text-sm font-semibold">Spec proposal</h2>
        <p className="mt-1" data-testid="linked-proposal">
          Linked to{" "}
          <Link href={changeHref(failure.projectSlug, failure.specChangeId)} className="font-mono underline">
            {failure.specChangeId}
          </Link>
        </p>
      </section>
    );
  }
  if (!needsSpec) return null;

  async function open() {
    setBusy(true);
    setError(null);
    try {
      // The server's draft carries the `/specs/new?…&failureId=` link, pre-filled with the evidence.
      const draft = await client.errors.proposalDraft.query({ failureId: failure.id });
      router.push(draft.href);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  }

  return (
    <section aria-label="Spec proposal" className="space-y-2 rounded-lg border border-zinc-200 p-4 text-sm dark:border-zinc-800">
      <h2 className="text-sm font-semibold">Spec proposal</h2>
      <p className="text-zinc-600 dark:text-zinc-400">This failure needs a spec: open the New proposal form filled in with its evidence.</p>
      <Button variant="primary" onClick={open} disabled={busy}>
        {busy ? "Preparing…" : "Create spec proposal"}
      </Button>
      {error ? <ErrorState title="Could not prepare the proposal" message={error} /> : null}
    </section>
  );
}
