"use client";

import dynamic from "next/dynamic";
import Link from "@/app/_components/ui/link";
import { useState } from "react";
import type { DeltaView } from "@/lib/schemas/openspec";
import { plural, statusWord } from "@/lib/format";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { changeHref, specHref } from "@/lib/url-state";
import { ChangeTasks } from "../change-editor/change-tasks";
import { LaunchSessionButton } from "../sessions/launch-session-button";
import { Markdown } from "../ui/markdown";
import { PageHeader } from "../shell/page-header";
import { RelativeTime } from "../ui/relative-time";
import { Badge, Button, buttonClass, EmptyState, ListSkeleton, Section, Skeleton } from "../ui/ui";
import { IssueTable, ValidationBadge } from "./validation";
import { DetailLoadError } from "../shell/detail-load-error";

// Loaded on the first "Archive" click: the dialog (and its archive preview) is not part of reading a change.
const ArchiveDialog = dynamic(() => import("./archive-dialog").then((m) => m.ArchiveDialog), { ssr: false });

const GROUP_TONE = { draft: "neutral", active: "blue", completed: "green" } as const;

export function ChangeView({ projectId, changeId }: { projectId: string; changeId: string }) {
  const trpc = useTRPC();
  const change = useQuery(trpc.openspec.showChange.queryOptions({ projectId, changeId }));
  const [archiveOpen, setArchiveOpen] = useState(false);
  const [archiveUsed, setArchiveUsed] = useState(false);

  if (change.isPending) return <DetailSkeleton projectId={projectId} label={changeId} />;
  if (change.isError)
    return (
      <DetailLoadError
        header={{ section: "Specs", sectionHref: "/specs", projectSlug: projectId, crumbs: [{ label: changeId }], title: changeId }}
        error={change.error}
        missing="This change is not in the project any more"
        failed="Could not load this change"
        missingNote=" — it may have been archived or deleted."
      />
    );

  const c = change.data;
  return (
    <>
      <PageHeader
        section="Specs"
        sectionHref="/specs"
        projectSlug={projectId}
        crumbs={[{ label: "Changes" }, { label: c.id }]}
        title={c.title}
        subtitle={
          <span className="flex flex-wrap items-center gap-2">
            <span className="font-mono">{c.id}</span>
            <Badge tone={GROUP_TONE[c.group]}>{statusWord(c.group === "completed" ? "completed" : c.group)}</Badge>
            <ValidationBadge validation={c.validation} />
            <span>
              modified <RelativeTime value={c.lastModified} />
            </span>
          </span>
        }
        actions={
          <>
            <LaunchSessionButton projectId={projectId} workItem={{ kind: "spec", changeId: c.id }} variant="secondary" />
            <Link href={`${changeHref(projectId, c.id)}/edit`} className={buttonClass("secondary")}>
              Edit files
            </Link>
            <Button
              variant="secondary"
              onClick={() => {
                setArchiveUsed(true);
                setArchiveOpen(true);
              }}
            >
              Archive
            </Button>
          </>
        }
      />
      {archiveUsed ? (
        <ArchiveDialog projectId={projectId} changeId={c.id} open={archiveOpen} onClose={() => setArchiveOpen(false)} />
      ) : null}

      <div className="grid grid-cols-[minmax(0,1fr)] gap-8 lg:grid-cols-[minmax(0,1fr)_20rem]">
        <div className="min-w-0 space-y-8">
          <Section id="proposal" title="Proposal">
            {c.proposal ? (
              <Markdown className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">{c.proposal}</Markdown>
            ) : (
              <EmptyState title="No proposal.md" />
            )}
          </Section>
          {c.design ? (
            <Section id="design" title="Design">
              <Markdown className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">{c.design}</Markdown>
            </Section>
          ) : null}
          <Section id="deltas" title="Deltas" count={c.deltas.length}>
            <Deltas projectId={projectId} deltas={c.deltas} />
          </Section>
          <Section id="validation" title="Validation" count={c.validation.issues.length}>
            <IssueTable issues={c.validation.issues} />
          </Section>
        </div>
        <aside className="space-y-8">
          <Section id="tasks" title="Tasks">
            <ChangeTasks projectId={projectId} change={c} />
          </Section>
          {c.files.length ? (
            <Section id="files" title="Files" count={c.files.length}>
              <ul className="space-y-0.5 font-mono text-xs text-zinc-600 dark:text-zinc-400">
                {c.files.map((f) => (
                  <li key={f} className="truncate" title={f}>
                    {f}
                  </li>
                ))}
              </ul>
            </Section>
          ) : null}
        </aside>
      </div>
    </>
  );
}

const OP_TONE = { ADDED: "green", MODIFIED: "blue", REMOVED: "red", RENAMED: "violet" } as const;

function Deltas({ projectId, deltas }: { projectId: string; deltas: DeltaView[] }) {
  if (!deltas.length)
    return <EmptyState title="No delta specs">Add specs/&lt;capability&gt;/spec.md to this change to say what it changes.</EmptyState>;
  const bySpec = new Map<string, DeltaView[]>();
  for (const d of deltas) bySpec.set(d.spec, [...(bySpec.get(d.spec) ?? []), d]);
  return (
    <div className="space-y-6">
      {[...bySpec].map(([spec, items]) => (
        <div key={spec} className="space-y-2">
          <h3 className="text-sm font-medium">
            <Link href={specHref(projectId, spec)} className="font-mono hover:underline">
              {spec}
            </Link>
            <span className="ml-2 text-xs font-normal text-zinc-500">{plural(items.length, "delta")}</span>
          </h3>
          <ul className="space-y-2">
            {items.map((d, i) => (
              <li key={i} className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800" data-testid="delta">
                <div className="flex flex-wrap items-center gap-2">
                  <Badge tone={OP_TONE[d.operation]}>{d.operation}</Badge>
                  {d.rename ? (
                    <span className="text-sm">
                      <span className="font-medium">{d.rename.from}</span> <span aria-label="renamed to">→</span>{" "}
                      <span className="font-medium">{d.rename.to}</span>
                    </span>
                  ) : (
                    <span className="text-sm font-medium">{d.requirement?.name ?? "(unnamed requirement)"}</span>
                  )}
                </div>
                {d.requirement?.text ? <Markdown className="mt-2">{d.requirement.text}</Markdown> : null}
                {d.requirement?.scenarios.length ? (
                  <ul className="mt-2 space-y-2">
                    {d.requirement.scenarios.map((s, j) => (
                      <li key={j} className="rounded-md bg-zinc-50 px-3 py-2 dark:bg-zinc-900">
                        <p className="text-xs font-semibold text-zinc-600 dark:text-zinc-300">Scenario: {s.name ?? "(unnamed)"}</p>
                        <Markdown className="mt-1">{s.rawText}</Markdown>
                      </li>
                    ))}
                  </ul>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}

export function DetailSkeleton({ projectId, label }: { projectId: string; label: string }) {
  return (
    <>
      <PageHeader
        section="Specs"
        sectionHref="/specs"
        projectSlug={projectId}
        crumbs={[{ label }]}
        title={<Skeleton className="h-6 w-72" />}
      />
      <ListSkeleton rows={6} label={`Loading ${label}`} />
    </>
  );
}
