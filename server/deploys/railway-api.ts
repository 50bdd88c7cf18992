/**
 * Railway's public GraphQL API (https://backboard.railway.com/graphql/v2), the few queries the
 * poller needs: a project's services and environments, its latest deployments, and a
 * deployment's build and runtime logs. Plain fetch: four queries do not need a client library.
 */

export const RAILWAY_API_URL = "https://backboard.railway.com/graphql/v2";

export type RailwayDeployment = {
  id: string;
  status: string;
  createdAt: string;
  updatedAt: string | null;
  serviceId: string | null;
  environmentId: string | null;
  meta: Record<string, unknown> | null;
};

export type RailwayProject = { services: Map<string, string>; environments: Map<string, string>; deployments: RailwayDeployment[] };

export type LogLine = { message: string; timestamp: string; severity?: string | null };

const PROJECT_QUERY = `query WorkdeckProject($projectId: String!, $first: Int) {
  project(id: $projectId) {
    services { edges { node { id name } } }
    environments { edges { node { id name } } }
  }
  deployments(first: $first, input: { projectId: $projectId }) {
    edges { node { id status createdAt updatedAt serviceId environmentId meta } }
  }
}`;

const LOGS_QUERY = `query WorkdeckLogs($deploymentId: String!, $limit: Int) {
  buildLogs(deploymentId: $deploymentId, limit: $limit) { message timestamp severity }
  deploymentLogs(deploymentId: $deploymentId, limit: $limit) { message timestamp severity }
}`;

export class RailwayApiError extends Error {}

export class RailwayApi {
  constructor(
    private readonly token: string,
    private readonly url = RAILWAY_API_URL,
  ) {}

  private async query<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json().catch(() => null)) as { data?: T; errors?: { message: string }[] } | null;
    if (!res.ok || !body || body.errors?.length || !body.data) {
      throw new RailwayApiError(`Railway API: ${body?.errors?.map((e) => e.message).join("; ") || `HTTP ${res.status}`}`);
    }
    return body.data;
  }

  async project(projectId: string, first = 10): Promise<RailwayProject> {
    type Edges<T> = { edges: { node: T }[] };
    const data = await this.query<{
      project: { services: Edges<{ id: string; name: string }>; environments: Edges<{ id: string; name: string }> };
      deployments: Edges<RailwayDeployment>;
    }>(PROJECT_QUERY, { projectId, first });
    return {
      services: new Map(data.project.services.edges.map((e) => [e.node.id, e.node.name])),
      environments: new Map(data.project.environments.edges.map((e) => [e.node.id, e.node.name])),
      deployments: data.deployments.edges.map((e) => e.node),
    };
  }

  /** The tail of a deployment's build log, then its runtime log (a crash shows there). */
  async logTail(deploymentId: string, lines = 40): Promise<string> {
    const data = await this.query<{ buildLogs: LogLine[]; deploymentLogs: LogLine[] }>(LOGS_QUERY, { deploymentId, limit: 500 });
    const pick = (logs: LogLine[]) => logs.slice(-lines).map((l) => l.message);
    const build = pick(data.buildLogs);
    const runtime = pick(data.deploymentLogs);
    return [...(build.length ? ["[build]", ...build] : []), ...(runtime.length ? ["[deploy]", ...runtime] : [])].join("\n");
  }
}
