"use client";

import { useQuery, useQueryClient, useTRPC } from "@/lib/trpc/react";
import { useMutation } from "@/lib/trpc/use-mutation";

/** The project's sub-agents and skills, and the mutations that refresh both lists when they land. */
export function useClaudeFiles(projectId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries(trpc.claudeConfig.pathFilter());
  return {
    agents: useQuery({ ...trpc.claudeConfig.listAgents.queryOptions({ projectId }), enabled: Boolean(projectId) }),
    skills: useQuery({ ...trpc.claudeConfig.listSkills.queryOptions({ projectId }), enabled: Boolean(projectId) }),
    saveAgent: useMutation(trpc.claudeConfig.saveAgent.mutationOptions({ onSuccess: refresh })),
    deleteAgent: useMutation(trpc.claudeConfig.deleteAgent.mutationOptions({ onSuccess: refresh })),
    saveSkill: useMutation(trpc.claudeConfig.saveSkill.mutationOptions({ onSuccess: refresh })),
    deleteSkill: useMutation(trpc.claudeConfig.deleteSkill.mutationOptions({ onSuccess: refresh })),
    refresh,
  };
}
