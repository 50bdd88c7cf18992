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

type ResourceDeps = Pick<Runtime, "sqlStore" | "openspec">;

const JSON_TYPE = "application/json";
/** Listing every failure of a big project would flood the client; the newest active ones are what an agent wants. */
const FAILURE_LIST_LIMIT = 200;

export function registerResources(server: McpServer, deps: ResourceDeps, scope: McpScope): void {
  const listScope = { projectId: scope.projectSlug ?? undefined };
  registerOpenSpecResource(server, scope, {
    name: "change",
    meta: { title: "OpenSpec change", description: "A change proposal with its tasks and spec deltas" },
    list: async () =>
      (await deps.openspec.listChanges(listScope)).map((c) => ({ projectSlug: c.projectSlug, id: c.id, title: c.title || c.id })),
    parse: (projectId, changeId) => ChangeRefInputSchema.parse({ projectId, changeId }),
    show: (input) => deps.openspec.showChange(input),
  });
  registerOpenSpecResource(server, scope, {
    name: "spec",
    meta: { title: "OpenSpec spec", description: "A current spec with its requirements and scenarios" },
    list: async () => (await deps.openspec.listSpecs(listScope)).map((s) => ({ projectSlug: s.projectSlug, id: s.id, title: s.id })),
    parse: (projectId, specId) => SpecRefInputSchema.parse({ projectId, specId }),
    show: (input) => deps.openspec.showSpec(input),
  });

  server.registerResource(
    "failure",
    new ResourceTemplate("workdeck://failures/{failureId}", {
      list: async () => {
        const failures = await errors.listFailures(deps, {
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
    async (uri, vars) => {
      const input = FailureIdInputSchema.parse({ failureId: Number(one(vars.failureId)) });
      const failure = await errors.getFailure(deps, input);
      assertInScope(scope, failure.projectSlug, `Failure #${failure.id}`);
      return json(uri.href, failure);
    },
  );
}

/**
 * A change or a spec as a resource, `workdeck://<name>s/{projectId}/{<name>Id}`: listed within the
 * scope; read with its ids through the tools' schema, refused outside the scope.
 */
function registerOpenSpecResource<I extends { projectId: string }>(
  server: McpServer,
  scope: McpScope,
  r: {
    name: "change" | "spec";
    meta: { title: string; description: string };
    list: () => Promise<{ projectSlug: string; id: string; title: string }[]>;
    parse: (projectId: string, id: string) => I;
    show: (input: I) => Promise<unknown>;
  },
): void {
  const uriOf = (project: string, id: string) => `workdeck://${r.name}s/${encodeURIComponent(project)}/${encodeURIComponent(id)}`;
  server.registerResource(
    r.name,
    new ResourceTemplate(`workdeck://${r.name}s/{projectId}/{${r.name}Id}`, {
      list: async () => ({
        resources: (await r.list()).map((item) => ({
          uri: uriOf(item.projectSlug, item.id),
          name: `${item.projectSlug}/${item.id}`,
          title: item.title,
          mimeType: JSON_TYPE,
        })),
      }),
    }),
    { ...r.meta, mimeType: JSON_TYPE },
    async (uri, vars) => {
      const input = r.parse(one(vars.projectId), one(vars[`${r.name}Id`]));
      scopedProject(scope, input.projectId);
      return json(uri.href, await r.show(input));
    },
  );
}

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
