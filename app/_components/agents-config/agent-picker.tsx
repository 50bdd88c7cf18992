"use client";

import { useQuery, useTRPC } from "@/lib/trpc/react";

/** The launch form's "Sub-agent" select: the project's sub-agents Claude Code can load (`overrides.agent`). */
export function SubagentPicker({
  projectId,
  value,
  onChange,
  className,
}: {
  projectId: string;
  value: string;
  onChange(name: string): void;
  className: string;
}) {
  const trpc = useTRPC();
  const agents = useQuery({ ...trpc.claudeConfig.listAgents.queryOptions({ projectId }), enabled: Boolean(projectId), retry: false });
  const usable = (agents.data ?? []).filter((a) => a.problems.length === 0);
  return (
    <div>
      <label htmlFor="launch-agent" className="block text-xs text-zinc-500">
        Sub-agent
      </label>
      <select id="launch-agent" value={value} onChange={(e) => onChange(e.target.value)} className={className} disabled={!projectId}>
        <option value="">none (plain Claude Code)</option>
        {usable.map((a) => (
          <option key={a.name} value={a.name} title={a.fields.description}>
            {a.name}
          </option>
        ))}
      </select>
    </div>
  );
}
