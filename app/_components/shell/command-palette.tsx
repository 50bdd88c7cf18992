"use client";

import { Command } from "cmdk";
import Fuse from "fuse.js";
import { useRouter } from "next/navigation";
import { useDeferredValue, useMemo, useState } from "react";
import { useQuery, useTRPC } from "@/lib/trpc/react";
import { PROJECT_PARAM, specHref } from "@/lib/url-state";
import { useSelectedProject } from "./selected-project";

type Entry = {
  id: string;
  group: "Actions" | "Projects" | "Changes" | "Specs" | "Failures" | "Deploys & CI" | "Sessions";
  label: string;
  hint: string;
  href: string;
};

const GROUPS: Entry["group"][] = ["Actions", "Projects", "Changes", "Specs", "Failures", "Deploys & CI", "Sessions"];
/** Per group: cmdk renders every item it is given, so a search over 5,000 failures shows the best few. */
const PER_GROUP = 8;
const FUSE_OPTIONS = { threshold: 0.4, ignoreLocation: true, includeScore: true, keys: [{ name: "label", weight: 3 }, "hint", "id"] };

/**
 * Each word fuzzy-matched on its own, results intersected and ranked by summed score: Fuse scores a
 * whole phrase against a whole field, so "dunning paymnts" would miss "Dunning for failed
 * subscription payments" (words apart, one typo) although each word matches well.
 */
function searchWords(fuse: Fuse<Entry>, q: string): Entry[] {
  const words = q.split(/\s+/).filter(Boolean);
  let scores: Map<Entry, number> | null = null;
  for (const word of words) {
    const hits = new Map(fuse.search(word).map((r) => [r.item, r.score ?? 0] as const));
    const next = new Map<Entry, number>();
    for (const [entry, score] of scores ?? hits) if (hits.has(entry)) next.set(entry, (scores ? score : 0) + hits.get(entry)!);
    scores = next;
  }
  return [...(scores ?? new Map<Entry, number>())].sort((a, b) => a[1] - b[1]).map(([entry]) => entry);
}

/**
 * The command palette: jump to any project, change, spec, failure or session by fuzzy name, or run
 * an action (new proposal, launch session, triage). cmdk gives the listbox semantics and arrow /
 * Enter navigation; Fuse ranks (cmdk's own filter is turned off, it would score every item).
 * Loaded on demand by the shell's PaletteLauncher, which owns the shortcut and the open state.
 */
export function CommandPalette({ open, onOpenChange: setOpen }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const [search, setSearch] = useState("");
  const router = useRouter();
  const trpc = useTRPC();
  const { slug, projects, nameOf } = useSelectedProject();

  // Fetched on first open, then kept fresh by the pages' live invalidations.
  const work = useQuery({ ...trpc.work.listAll.queryOptions({}), enabled: open });
  const specs = useQuery({ ...trpc.openspec.listSpecs.queryOptions({}), enabled: open });

  const entries = useMemo(() => {
    const q = slug ? `?${PROJECT_PARAM}=${encodeURIComponent(slug)}` : "";
    const out: Entry[] = [
      {
        id: "action:new-proposal",
        group: "Actions",
        label: "New proposal",
        hint: slug ? `in ${nameOf(slug)}` : "OpenSpec change",
        href: `/specs/new${q}`,
      },
      { id: "action:launch-session", group: "Actions", label: "Launch session", hint: "Sessions tab", href: `/sessions${q}` },
      {
        id: "action:triage",
        group: "Actions",
        label: "Triage failures",
        hint: "untriaged failures first",
        href: `/errors${q ? `${q}&` : "?"}decision=pending`,
      },
      {
        id: "action:settings",
        group: "Actions",
        label: "Settings",
        hint: "configuration, accounts, hooks, notifications",
        href: "/settings",
      },
    ];
    for (const p of projects)
      out.push({
        id: `project:${p.slug}`,
        group: "Projects",
        label: p.name,
        hint: p.slug,
        href: `/work?${PROJECT_PARAM}=${encodeURIComponent(p.slug)}`,
      });
    for (const s of specs.data ?? [])
      out.push({
        id: `spec:${s.projectSlug}/${s.id}`,
        group: "Specs",
        label: s.id,
        hint: nameOf(s.projectSlug),
        href: specHref(s.projectSlug, s.id),
      });
    for (const item of work.data ?? []) {
      const project = item.projectSlug ? nameOf(item.projectSlug) : "";
      if (item.type === "change") {
        const changeId = item.key.slice(item.key.lastIndexOf("/") + 1);
        out.push({ id: item.key, group: "Changes", label: item.title, hint: `${changeId} · ${project} · ${item.detail}`, href: item.href });
        if (item.status !== "done" && item.projectSlug)
          out.push({ id: `launch:${item.key}`, group: "Actions", label: `Launch session: ${item.title}`, hint: project, href: item.href }); // the change page holds the Launch session button
      } else if (item.type === "failure") {
        out.push({ id: item.key, group: "Failures", label: item.title, hint: `${project} · ${item.detail}`, href: item.href });
        if (item.status === "open")
          out.push({ id: `triage:${item.key}`, group: "Actions", label: `Triage: ${item.title}`, hint: project, href: item.href });
      } else if (item.type === "ci" || item.type === "review" || item.type === "deploy") {
        out.push({ id: item.key, group: "Deploys & CI", label: item.title, hint: `${project} · ${item.detail}`, href: item.href });
      } else {
        out.push({ id: item.key, group: "Sessions", label: item.title, hint: `${project} · ${item.detail}`, href: item.href });
      }
    }
    return out;
  }, [projects, specs.data, work.data, slug, nameOf]);

  const fuse = useMemo(() => new Fuse(entries, FUSE_OPTIONS), [entries]);
  const q = useDeferredValue(search.trim());
  const shown = useMemo(() => {
    // With nothing typed: the actions and projects, and the top of the work list.
    const ranked = q ? searchWords(fuse, q) : entries.filter((e) => !e.id.startsWith("launch:") && !e.id.startsWith("triage:"));
    const byGroup = new Map<Entry["group"], Entry[]>();
    for (const e of ranked) {
      const list = byGroup.get(e.group) ?? [];
      if (list.length < (q ? PER_GROUP : e.group === "Actions" || e.group === "Projects" ? 20 : 5)) list.push(e);
      byGroup.set(e.group, list);
    }
    // Searching, places come first and actions last: Enter on "dunning" opens the change, it does not launch a session.
    const order = q ? [...GROUPS.slice(1), GROUPS[0]!] : GROUPS;
    return order.map((g) => [g, byGroup.get(g) ?? []] as const).filter(([, list]) => list.length);
  }, [q, fuse, entries]);

  const go = (href: string) => {
    setOpen(false);
    setSearch("");
    router.push(href);
  };

  return (
    <Command.Dialog
      open={open}
      onOpenChange={setOpen}
      label="Command palette"
      shouldFilter={false}
      overlayClassName="fixed inset-0 z-40 bg-zinc-950/30"
      contentClassName="fixed left-1/2 top-24 z-50 w-[min(40rem,calc(100vw-2rem))] -translate-x-1/2 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-2xl dark:border-zinc-700 dark:bg-zinc-900"
    >
      <Command.Input
        value={search}
        onValueChange={setSearch}
        placeholder="Jump to a project, change, spec, failure or session…"
        className="h-12 w-full border-b border-zinc-200 bg-transparent px-4 text-sm outline-none dark:border-zinc-700"
      />
      <Command.List className="max-h-[60vh] overflow-auto p-2">
        {work.isPending && open ? <Command.Loading>Loading…</Command.Loading> : null}
        <Command.Empty className="px-3 py-6 text-center text-sm text-zinc-500">No matches.</Command.Empty>
        {shown.map(([group, list]) => (
          <Command.Group
            key={group}
            heading={group}
            className="mb-2 [&_[cmdk-group-heading]]:px-2 [&_[cmdk-group-heading]]:py-1 [&_[cmdk-group-heading]]:text-[11px] [&_[cmdk-group-heading]]:font-semibold [&_[cmdk-group-heading]]:uppercase [&_[cmdk-group-heading]]:text-zinc-500"
          >
            {list.map((e) => (
              <Command.Item
                key={e.id}
                value={e.id}
                onSelect={() => go(e.href)}
                className="flex cursor-pointer items-baseline gap-2 rounded-md px-2 py-1.5 text-sm data-[selected=true]:bg-zinc-100 dark:data-[selected=true]:bg-zinc-800"
              >
                <span className="truncate">{e.label}</span>
                <span className="ml-auto shrink-0 truncate text-xs text-zinc-500">{e.hint}</span>
              </Command.Item>
            ))}
          </Command.Group>
        ))}
      </Command.List>
    </Command.Dialog>
  );
}
