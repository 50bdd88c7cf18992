import { AppError } from "../app-error";

/**
 * Who is on the other end of an MCP connection. A session Workdeck launched reaches /api/mcp with
 * its run's agent token, which names the session and so its project: that connection sees and
 * changes that project only. `workdeck mcp --project <slug>` and `/api/mcp?project=<slug>` (a
 * full-token or tokenless loopback caller) narrow it the same way; without either, every project.
 */
export type McpScope = {
  /** Only this project, or every project when null. */
  projectSlug: string | null;
  /** The launched session behind an agent token (for the record; its project is `projectSlug`). */
  sessionId: number | null;
};

export const UNSCOPED: McpScope = { projectSlug: null, sessionId: null };

/** Refuses a project outside the scope; returns the project to use (the scope's when none is given). */
export function scopedProject(scope: McpScope, projectId: string | undefined): string | undefined {
  if (!scope.projectSlug) return projectId;
  if (projectId !== undefined && projectId !== scope.projectSlug) {
    throw new AppError(
      "FORBIDDEN",
      `This MCP connection is scoped to project "${scope.projectSlug}"; "${projectId}" is out of reach.`,
      "out_of_scope",
    );
  }
  return scope.projectSlug;
}

/** Refuses an item (failure, session) whose project is outside the scope. */
export function assertInScope(scope: McpScope, projectSlug: string, what: string): void {
  if (scope.projectSlug && projectSlug !== scope.projectSlug) {
    throw new AppError(
      "FORBIDDEN",
      `${what} belongs to project "${projectSlug}"; this MCP connection is scoped to "${scope.projectSlug}".`,
      "out_of_scope",
    );
  }
}
