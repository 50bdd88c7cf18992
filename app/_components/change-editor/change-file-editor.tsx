"use client";

import Link from "@/app/_components/ui/link";
import { useEffect, useId, useState } from "react";
import { TRPCClientError, useQuery, useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";
import { changeHref } from "@/lib/url-state";
import { Markdown } from "../ui/markdown";
import { PageHeader } from "../shell/page-header";
import { Button, ErrorState, Notice } from "../ui/ui";

const INPUT = "block w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-950";
const BASE_FILES = ["proposal.md", "design.md", "tasks.md"] as const;

/**
 * The plain editor of a change's files (issue 13 item 1): a textarea with a preview. The file is
 * read with its version; Save sends that version back, and a file changed on disk meanwhile (an
 * agent, another tab, the CLI) is refused by the server (409): the editor keeps the text, says so,
 * and offers to reload the file from disk or to overwrite knowingly.
 */
export function ChangeFileEditor({ projectId, changeId, initialFile }: { projectId: string; changeId: string; initialFile?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const change = useQuery(trpc.openspec.showChange.queryOptions({ projectId, changeId }));
  const deltaFiles = [...new Set((change.data?.deltas ?? []).map((d) => `specs/${d.spec}/spec.md`))];
  const [file, setFile] = useState(initialFile ?? "proposal.md");
  const [newCapability, setNewCapability] = useState("");
  const opened = useQuery({
    ...trpc.openspec.readChangeFile.queryOptions({ projectId, changeId, file }),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  const [text, setText] = useState<string | null>(null);
  const [version, setVersion] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [tab, setTab] = useState<"write" | "preview">("write");

  // A file (re)opened: the editor takes its text and version.
  useEffect(() => {
    if (!opened.data) return;
    setText(opened.data.content);
    setVersion(opened.data.version);
  }, [opened.data]);

  const save = useMutation(
    trpc.openspec.writeChangeFile.mutationOptions({
      onSuccess: async (result) => {
        setVersion(result.version);
        setSaved(true);
        queryClient.setQueryData(trpc.openspec.readChangeFile.queryKey({ projectId, changeId, file }), result);
        await queryClient.invalidateQueries({ queryKey: trpc.openspec.showChange.queryKey({ projectId, changeId }) });
      },
    }),
  );
  const conflict = save.error instanceof TRPCClientError && save.error.data?.code === "CONFLICT";
  const dirty = text !== null && opened.data !== undefined && text !== opened.data.content;

  async function reload() {
    save.reset();
    const fresh = await queryClient.fetchQuery({
      ...trpc.openspec.readChangeFile.queryOptions({ projectId, changeId, file }),
      staleTime: 0,
    });
    setText(fresh.content);
    setVersion(fresh.version);
  }

  async function overwrite() {
    // Knowingly: take the version on disk now, keep the editor's text.
    const fresh = await queryClient.fetchQuery({
      ...trpc.openspec.readChangeFile.queryOptions({ projectId, changeId, file }),
      staleTime: 0,
    });
    save.mutate({ projectId, changeId, file, content: text ?? "", version: fresh.version });
  }

  function open(next: string) {
    if (dirty && !window.confirm("Discard the unsaved edits of this file?")) return;
    save.reset();
    setSaved(false);
    setText(null);
    setFile(next);
  }

  return (
    <>
      <PageHeader
        section="Specs"
        sectionHref="/specs"
        crumbs={[{ label: changeId, href: changeHref(projectId, changeId) }, { label: "Edit" }]}
        title={`Edit ${changeId}`}
        subtitle="Writes the file under the project's OpenSpec lock; a file changed on disk since you opened it is never overwritten silently."
      />
      <div className="flex flex-wrap items-end gap-2">
        <div className="space-y-1">
          <label htmlFor={`${id}-file`} className="block text-sm font-medium">
            File
          </label>
          <select id={`${id}-file`} value={file} onChange={(e) => open(e.target.value)} className={`${INPUT} font-mono`}>
            {[
              ...BASE_FILES,
              ...deltaFiles,
              ...(deltaFiles.includes(file) || (BASE_FILES as readonly string[]).includes(file) ? [] : [file]),
            ].map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </div>
        <form
          className="flex items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (/^[a-z0-9][a-z0-9-]*$/.test(newCapability)) open(`specs/${newCapability}/spec.md`);
          }}
        >
          <div className="space-y-1">
            <label htmlFor={`${id}-cap`} className="block text-sm font-medium">
              New delta spec
            </label>
            <input
              id={`${id}-cap`}
              value={newCapability}
              onChange={(e) => setNewCapability(e.target.value.trim())}
              placeholder="capability"
              className={`${INPUT} w-40 font-mono`}
            />
          </div>
          <Button type="submit">Open</Button>
        </form>
      </div>

      {opened.error ? <ErrorState title="Could not open the file" message={opened.error.message} /> : null}
      {conflict ? (
        <ErrorState title="Changed on disk" message={save.error?.message}>
          <div className="mt-2 flex flex-wrap gap-2">
            <Button onClick={reload}>Reload from disk</Button>
            <Button variant="danger" onClick={overwrite}>
              Overwrite with my text
            </Button>
          </div>
        </ErrorState>
      ) : save.error ? (
        <ErrorState title="Could not save" message={save.error.message} />
      ) : null}
      {saved && !dirty && !save.isPending ? <Notice onDismiss={() => setSaved(false)}>Saved {file}.</Notice> : null}

      <div className="mt-3 flex gap-1 sm:hidden" role="tablist" aria-label="Editor view">
        {(["write", "preview"] as const).map((t) => (
          <button
            key={t}
            role="tab"
            aria-selected={tab === t}
            onClick={() => setTab(t)}
            className={`rounded-md px-3 py-1 text-sm ${tab === t ? "bg-zinc-200 dark:bg-zinc-800" : ""}`}
          >
            {t === "write" ? "Write" : "Preview"}
          </button>
        ))}
      </div>
      <div className="mt-3 grid gap-4 sm:grid-cols-2">
        <div className={tab === "write" ? "" : "hidden sm:block"}>
          <label htmlFor={`${id}-text`} className="sr-only">
            {file}
          </label>
          <textarea
            id={`${id}-text`}
            aria-label={`Contents of ${file}`}
            value={text ?? ""}
            disabled={text === null}
            onChange={(e) => {
              setText(e.target.value);
              setSaved(false);
            }}
            rows={24}
            spellCheck={file !== "tasks.md"}
            className={`${INPUT} min-h-[50vh] font-mono text-[13px] leading-5`}
          />
        </div>
        <div
          className={`${tab === "preview" ? "" : "hidden sm:block"} min-w-0 overflow-auto rounded-lg border border-zinc-200 p-4 dark:border-zinc-800`}
          aria-label="Preview"
        >
          {text ? (
            <Markdown>{text}</Markdown>
          ) : (
            <p className="text-sm text-zinc-500">
              {opened.data && !opened.data.exists ? `${file} does not exist yet; saving creates it.` : "Empty."}
            </p>
          )}
        </div>
      </div>
      <div className="mt-3 flex items-center gap-2">
        <Button
          variant="primary"
          disabled={text === null || version === null || save.isPending || !dirty}
          onClick={() => save.mutate({ projectId, changeId, file, content: text ?? "", version: version ?? "absent" })}
        >
          {save.isPending ? "Saving…" : "Save"}
        </Button>
        <Link href={changeHref(projectId, changeId)} className="text-sm underline">
          Back to the change
        </Link>
      </div>
    </>
  );
}
