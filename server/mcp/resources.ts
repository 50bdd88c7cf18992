import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import type { Variables } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import { FailureIdInputSchema } from "@/lib/schemas/errors";
import { ChangeRefInputSchema, SpecRefInputSchema } from "@/lib/schemas/openspec";
import * as errors from "../errors/service";
import type { Runtime } from "../runtime";
import { assertInScope, scopedProject, type McpScope } from "./scope";

/**
 * Changes, specs and failures as MCP resources (JSON), for clients that attach context by URI
 * instead of calling a tool. The ids go through the same schemas as the tools; a bad or
 * out-of-scope URI is a protocol error with the service's message.
 */

type ResourceDeps = Pick<Runtime, "db" | "openspec">;

const JSON_TYPE = "application/json";
/** Listing every failure of a big project would flood the client; the newest active ones are what an agent wants. */
const FAILURE_LIST_LIMIT = 200;

export function registerResources(server: McpServer, deps: ResourceDeps, scope: McpScope): void {
  server.registerResource(
    "change",
    new ResourceTemplate("workdeck://changes/{projectId}/{changeId}", {
      list: async () => {
        const changes = await deps.openspec.listChanges({ projectId: scope.projectSlug ?? undefined });
        return {
          resources: changes.map((c) => ({
            uri: changeUri(c.projectSlug, c.id),
            name: `${c.projectSlug}/${c.id}`,
            title: c.title || c.id,
            mimeType: JSON_TYPE,
          })),
        };
      },
    }),
    { title: "OpenSpec change", description: "A change proposal with its tasks and spec deltas", mimeType: JSON_TYPE },
    async (uri, vars) => {
      const input = ChangeRefInputSchema.parse({ projectId: one(vars.projectId), changeId: one(vars.changeId) });
      scopedProject(scope, input.projectId);
      return json(uri.href, await deps.openspec.showChange(input));
    },
  );

  server.registerResource(
    "spec",
    new ResourceTemplate("workdeck://specs/{projectId}/{specId}", {
      list: async () => {
        const specs = await deps.openspec.listSpecs({ projectId: scope.projectSlug ?? undefined });
        return {
          resources: specs.map((s) => ({
            uri: specUri(s.projectSlug, s.id),
            name: `${s.projectSlug}/${s.id}`,
            title: s.id,
            mimeType: JSON_TYPE,
          })),
        };
      },
    }),
    { title: "OpenSpec spec", description: "A current spec with its requirements and scenarios", mimeType: JSON_TYPE },
    async (uri, vars) => {
      const input = SpecRefInputSchema.parse({ projectId: one(vars.projectId), specId: one(vars.specId) });
      scopedProject(scope, input.projectId);
      return json(uri.href, await deps.openspec.showSpec(input));
    },
  );

  server.registerResource(
    "failure",
    new ResourceTemplate("workdeck://failures/{failureId}", {
      list: () => {
        const failures = errors.listFailures(deps, {
          projectId: scope.projectSlug ?? undefined,
          status: "active",
          limit: FAILURE_LIST_LIMIT,
        });
        return {
          resources: failures.map((f) => ({
            uri: `workdeck://failures/${f.id}`,
            name: `failure-${f.id}`,
            title: `${f.projectSlug}: ${f.titlePath.join(" › ")}`,
            mimeType: JSON_TYPE,
          })),
        };
      },
    }),
    { title: "Failure group", description: "A Playwright failure group with its runs, errors and triage", mimeType: JSON_TYPE },
    (uri, vars) => {
      const input = FailureIdInputSchema.parse({ failureId: Number(one(vars.failureId)) });
      const failure = errors.getFailure(deps, input);
      assertInScope(scope, failure.projectSlug, `Failure #${failure.id}`);
      return json(uri.href, failure);
    },
  );
}

const changeUri = (project: string, id: string) => `workdeck://changes/${encodeURIComponent(project)}/${encodeURIComponent(id)}`;
const specUri = (project: string, id: string) => `workdeck://specs/${encodeURIComponent(project)}/${encodeURIComponent(id)}`;

function one(v: Variables[string] | undefined): string {
  const s = Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: JSON_TYPE, text: JSON.stringify(value, null, 2) }] };
}
