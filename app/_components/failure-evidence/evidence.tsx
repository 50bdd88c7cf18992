"use client";

import { useQuery, useTRPC } from "@/lib/trpc/react";
import { Section } from "../ui/ui";

const url = (failureId: number, a: { reportId: number; retry: number; index: number }) =>
  `/api/attachments/${failureId}/${a.reportId}/${a.retry}/${a.index}`;

/**
 * Evidence on the failure page (issue 13 item 4): the failing line (a link into your editor when
 * `editorUrl` is configured), then the latest run's screenshots inline, videos playable and traces
 * downloadable with the command that opens them in Playwright's trace viewer. Files the server
 * cannot reach (written on CI) are named, not linked.
 */
export function FailureEvidence({ failureId }: { failureId: number }) {
  const trpc = useTRPC();
  const evidence = useQuery(trpc.errors.evidence.queryOptions({ failureId }));
  const data = evidence.data;
  if (!data) return null;
  const latest = data.attachments.length ? Math.max(...data.attachments.map((a) => a.reportId)) : null;
  const shown = data.attachments.filter((a) => a.reportId === latest && a.name !== "error-context");
  if (!data.source && !shown.length) return null;
  return (
    <Section title="Evidence" id="evidence">
      <div className="space-y-3">
        {data.source ? (
          <p className="text-sm [overflow-wrap:anywhere]">
            Failing line:{" "}
            {data.source.href ? (
              <a
                href={data.source.href}
                className="font-mono underline"
                aria-label={`Open ${data.source.file} line ${data.source.line} in your editor`}
              >
                {data.source.file}:{data.source.line}:{data.source.column}
              </a>
            ) : (
              <span
                className="font-mono"
                title="Set editorUrl in projects.config.ts (e.g. vscode://file/{path}:{line}:{column}) to open it in your editor"
              >
                {data.source.file}:{data.source.line}:{data.source.column}
              </span>
            )}
          </p>
        ) : null}
        {shown.length ? (
          <ul className="grid gap-3 sm:grid-cols-2" aria-label="Attachments">
            {shown.map((a) => (
              <li
                key={`${a.retry}-${a.index}`}
                className="min-w-0 space-y-1 rounded-md border border-zinc-200 p-2 text-sm dark:border-zinc-800"
              >
                <p className="text-xs text-zinc-500">
                  {a.name} · attempt {a.retry + 1}
                </p>
                {!a.reachable ? (
                  <p className="text-xs text-zinc-500">Not reachable from this server (it stays on the machine that ran the tests).</p>
                ) : a.contentType.startsWith("image/") ? (
                  <a href={url(failureId, a)} target="_blank" rel="noreferrer">
                    <img
                      src={url(failureId, a)}
                      alt={`${a.name}, attempt ${a.retry + 1}`}
                      className="max-h-80 w-full rounded object-contain"
                    />
                  </a>
                ) : a.contentType.startsWith("video/") ? (
                  <video
                    src={url(failureId, a)}
                    controls
                    preload="metadata"
                    className="w-full rounded"
                    aria-label={`${a.name}, attempt ${a.retry + 1}`}
                  />
                ) : a.contentType === "application/zip" || a.name === "trace" ? (
                  <div className="space-y-1">
                    <a href={url(failureId, a)} download="trace.zip" className="underline">
                      Download trace.zip
                    </a>
                    <p className="text-xs text-zinc-500">Open it in Playwright&apos;s trace viewer:</p>
                    <code className="block overflow-x-auto rounded bg-zinc-100 px-2 py-1 font-mono text-xs dark:bg-zinc-900">
                      npx playwright show-trace trace.zip
                    </code>
                  </div>
                ) : (
                  <a href={url(failureId, a)} className="underline">
                    Open {a.name}
                  </a>
                )}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </Section>
  );
}
