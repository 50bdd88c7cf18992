"use client";

import type { Session, SessionEvent } from "@/lib/schemas/sessions";
import { Badge } from "../ui/ui";
import { agentsUsed } from "./session-agents-model";

/** "Ran as … · sub-agents … · skills …" on a session page; nothing when it used none. */
export function SessionAgents({ session, events }: { session: Session; events: SessionEvent[] | undefined }) {
  const used = agentsUsed(events ?? [], session.options);
  if (!used.mainAgent && !used.subagents.length && !used.skills.length) return null;
  return (
    <dl aria-label="Agents and skills used" className="mb-4 flex flex-wrap items-center gap-x-4 gap-y-1 text-sm">
      {used.mainAgent ? (
        <div className="flex items-center gap-1.5">
          <dt className="text-zinc-500">Ran as</dt>
          <dd>
            <Badge tone="violet">{used.mainAgent}</Badge>
          </dd>
        </div>
      ) : null}
      {used.subagents.length ? (
        <div className="flex items-center gap-1.5">
          <dt className="text-zinc-500">Sub-agents</dt>
          {used.subagents.map((a) => (
            <dd key={a}>
              <Badge tone="blue">{a}</Badge>
            </dd>
          ))}
        </div>
      ) : null}
      {used.skills.length ? (
        <div className="flex items-center gap-1.5">
          <dt className="text-zinc-500">Skills</dt>
          {used.skills.map((s) => (
            <dd key={s}>
              <Badge tone="green">{s}</Badge>
            </dd>
          ))}
        </div>
      ) : null}
    </dl>
  );
}
