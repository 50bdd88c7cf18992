"use client";

import { Badge } from "../ui/ui";
import type { AgentsUsed } from "./session-agents-model";

/** "Ran as … · sub-agents … · skills …" on a session page (loaded only for a session that used any). */
export function SessionAgents({ used }: { used: AgentsUsed }) {
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
