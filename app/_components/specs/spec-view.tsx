"use client";

import { plural } from "@/lib/format";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { DetailSkeleton } from "./change-view";
import { Markdown } from "../ui/markdown";
import { PageHeader } from "../shell/page-header";
import { EmptyState, Section } from "../ui/ui";
import { IssueTable, ValidationBadge } from "./validation";
import { DetailLoadError } from "../shell/detail-load-error";

export function SpecView({ projectId, specId }: { projectId: string; specId: string }) {
  const trpc = useTRPC();
  const spec = useQuery(trpc.openspec.showSpec.queryOptions({ projectId, specId }));
  const crumbs = specId.split("/").map((label) => ({ label }));

  if (spec.isPending) return <DetailSkeleton projectId={projectId} label={specId} />;
  if (spec.isError)
    return (
      <DetailLoadError
        header={{ section: "Specs", sectionHref: "/specs", projectSlug: projectId, crumbs, title: specId }}
        error={spec.error}
        missing="No such spec in this project"
        failed="Could not load this spec"
      />
    );

  const s = spec.data;
  return (
    <>
      <PageHeader
        section="Specs"
        sectionHref="/specs"
        projectSlug={projectId}
        crumbs={crumbs}
        title={s.title}
        subtitle={
          <span className="flex flex-wrap items-center gap-2">
            <span className="font-mono">{s.id}</span>
            <ValidationBadge validation={s.validation} />
            <span>{plural(s.requirementCount, "requirement")}</span>
          </span>
        }
      />
      <div className="max-w-4xl space-y-8">
        <Section id="purpose" title="Purpose">
          {s.purpose ? (
            <Markdown>{s.purpose}</Markdown>
          ) : (
            <EmptyState title="No Purpose section">
              OpenSpec expects a “## Purpose” section that says why this capability exists.
            </EmptyState>
          )}
        </Section>
        {s.validation.issues.length ? (
          <Section id="validation" title="Validation" count={s.validation.issues.length}>
            <IssueTable issues={s.validation.issues} />
          </Section>
        ) : null}
        <Section id="requirements" title="Requirements" count={s.requirements.length}>
          {s.requirements.length ? (
            <ol className="space-y-3">
              {s.requirements.map((r, i) => (
                <li key={i} className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
                  <h3 className="text-sm font-semibold">{r.name ?? "(unnamed requirement)"}</h3>
                  {r.text ? <Markdown className="mt-2">{r.text}</Markdown> : null}
                  {r.scenarios.length ? (
                    <ul className="mt-3 space-y-2">
                      {r.scenarios.map((sc, j) => (
                        <li key={j} className="rounded-md bg-zinc-50 px-3 py-2 dark:bg-zinc-900">
                          <p className="text-xs font-semibold text-zinc-600 dark:text-zinc-300">Scenario: {sc.name ?? "(unnamed)"}</p>
                          <Markdown className="mt-1">{sc.rawText}</Markdown>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <p className="mt-2 text-xs text-amber-700 dark:text-amber-400">No scenarios.</p>
                  )}
                </li>
              ))}
            </ol>
          ) : (
            <EmptyState title="No requirements parsed" />
          )}
        </Section>
        {!s.validation.issues.length ? (
          <Section id="validation" title="Validation">
            <IssueTable issues={[]} />
          </Section>
        ) : null}
        {/* When parsing fell short (a broken spec), the file itself is the best evidence. */}
        <details
          className="rounded-lg border border-zinc-200 dark:border-zinc-800"
          open={!s.validation.valid && s.requirements.length === 0}
        >
          <summary className="cursor-pointer px-4 py-2 text-sm font-medium">spec.md source</summary>
          <pre className="overflow-x-auto border-t border-zinc-200 px-4 py-3 font-mono text-xs leading-5 whitespace-pre-wrap dark:border-zinc-800">
            {s.markdown}
          </pre>
        </details>
      </div>
    </>
  );
}
