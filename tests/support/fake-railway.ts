import http from "node:http";
import type { AddressInfo } from "node:net";
import { buildSchema, graphql } from "graphql";

/**
 * A local stand-in for Railway's public GraphQL API (backboard.railway.com/graphql/v2): the part
 * of its documented schema the poller reads (project services/environments, deployments with
 * their status enum and meta, build and deployment logs), executed by graphql-js, so a query
 * naming a field or argument the schema lacks fails here as it would there. Bearer token auth.
 */
const SDL = /* GraphQL */ `
  scalar DateTime
  scalar JSON

  enum DeploymentStatus {
    BUILDING
    CRASHED
    DEPLOYING
    FAILED
    INITIALIZING
    NEEDS_APPROVAL
    QUEUED
    REMOVED
    REMOVING
    SKIPPED
    SLEEPING
    SUCCESS
    WAITING
  }

  input DeploymentStatusInput {
    in: [DeploymentStatus!]
    notIn: [DeploymentStatus!]
  }
  input DeploymentListInput {
    projectId: String
    serviceId: String
    environmentId: String
    includeDeleted: Boolean
    status: DeploymentStatusInput
  }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type Deployment {
    id: String!
    status: DeploymentStatus!
    createdAt: DateTime!
    updatedAt: DateTime!
    projectId: String!
    serviceId: String
    environmentId: String!
    meta: JSON
    staticUrl: String
    url: String
    canRedeploy: Boolean!
  }
  type QueryDeploymentsConnectionEdge {
    cursor: String!
    node: Deployment!
  }
  type QueryDeploymentsConnection {
    edges: [QueryDeploymentsConnectionEdge!]!
    pageInfo: PageInfo!
  }

  type Service {
    id: String!
    name: String!
  }
  type ProjectServicesConnectionEdge {
    cursor: String!
    node: Service!
  }
  type ProjectServicesConnection {
    edges: [ProjectServicesConnectionEdge!]!
    pageInfo: PageInfo!
  }
  type Environment {
    id: String!
    name: String!
  }
  type ProjectEnvironmentsConnectionEdge {
    cursor: String!
    node: Environment!
  }
  type ProjectEnvironmentsConnection {
    edges: [ProjectEnvironmentsConnectionEdge!]!
    pageInfo: PageInfo!
  }
  type Project {
    id: String!
    name: String!
    services: ProjectServicesConnection!
    environments: ProjectEnvironmentsConnection!
  }

  type LogAttribute {
    key: String!
    value: String!
  }
  type Log {
    message: String!
    timestamp: DateTime!
    severity: String
    attributes: [LogAttribute!]!
  }

  type Query {
    project(id: String!): Project!
    deployment(id: String!): Deployment!
    deployments(first: Int, after: String, last: Int, before: String, input: DeploymentListInput!): QueryDeploymentsConnection!
    buildLogs(deploymentId: String!, limit: Int, filter: String, startDate: DateTime, endDate: DateTime): [Log!]!
    deploymentLogs(deploymentId: String!, limit: Int, filter: String, startDate: DateTime, endDate: DateTime): [Log!]!
  }
`;

const schema = buildSchema(SDL);
const PAGE_INFO = { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null };

export type FakeDeployment = {
  id: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  serviceId: string;
  environmentId: string;
  meta: Record<string, unknown>;
  buildLogs: string[];
  deployLogs: string[];
};

/** A failed build of deployment `d-1` (commit abc1234def, "Upgrade the runtime" on main), 2 min 30 s long. */
export function failedDeployment(buildLogs: string[]): Partial<FakeDeployment> & { id: string; status: string } {
  return {
    id: "d-1",
    status: "FAILED",
    createdAt: "2026-12-04T10:00:00.000Z",
    updatedAt: "2026-12-04T10:02:30.000Z",
    meta: { commitHash: "abc1234def", commitMessage: "Upgrade the runtime", branch: "main" },
    buildLogs,
  };
}

export class FakeRailway {
  readonly projects = new Map<
    string,
    { name: string; services: Map<string, string>; environments: Map<string, string>; deployments: FakeDeployment[] }
  >();
  /** Every query received, in order, with whether its token was accepted. */
  readonly queries: { query: string; authorized: boolean }[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly token: string,
  ) {}

  static async start(token = "railway-token-abc123"): Promise<FakeRailway> {
    let fake: FakeRailway | null = null;
    const server = http.createServer((req, res) => void fake!.answer(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    fake = new FakeRailway(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql/v2`, token);
    return fake;
  }

  addProject(id: string, o: { services: Record<string, string>; environments: Record<string, string> }): void {
    this.projects.set(id, {
      name: id,
      services: new Map(Object.entries(o.services)),
      environments: new Map(Object.entries(o.environments)),
      deployments: [],
    });
  }

  /** Adds or moves a deployment (newest first, as Railway lists them). */
  upsertDeployment(projectId: string, d: Partial<FakeDeployment> & { id: string; status: string }): void {
    const p = this.projects.get(projectId)!;
    const existing = p.deployments.find((x) => x.id === d.id);
    if (existing) Object.assign(existing, d);
    else
      p.deployments.unshift({
        createdAt: d.updatedAt ?? new Date().toISOString(),
        updatedAt: new Date().toISOString(),
        serviceId: "svc-api",
        environmentId: "env-production",
        meta: {},
        buildLogs: [],
        deployLogs: [],
        ...d,
      });
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server.closeAllConnections(), this.server.close(() => r())));
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = "";
    for await (const c of req) raw += c;
    const authorized = req.headers.authorization === `Bearer ${this.token}`;
    const { query, variables } = JSON.parse(raw) as { query: string; variables?: Record<string, unknown> };
    this.queries.push({ query, authorized });
    const send = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (!authorized) {
      send(200, { errors: [{ message: "Not Authorized" }], data: null });
      return;
    }
    const result = await graphql({ schema, source: query, variableValues: variables, rootValue: this.root() });
    send(200, result);
  }

  private root() {
    const project = (id: string) => {
      const p = this.projects.get(id);
      if (!p) throw new Error("Project not found");
      return p;
    };
    const edges = <T>(items: T[]) => ({ edges: items.map((node, i) => ({ cursor: String(i), node })), pageInfo: PAGE_INFO });
    const deployment = (d: FakeDeployment, projectId: string) => ({ ...d, projectId, canRedeploy: true, staticUrl: null, url: null });
    const find = (id: string) => {
      for (const [pid, p] of this.projects) for (const d of p.deployments) if (d.id === id) return { d, pid };
      throw new Error("Deployment not found");
    };
    const logs = (lines: string[], limit?: number) =>
      lines.slice(-(limit ?? 500)).map((message, i) => ({
        message,
        timestamp: new Date(Date.UTC(2026, 11, 4, 10, 0, i)).toISOString(),
        severity: "info",
        attributes: [],
      }));
    return {
      project: ({ id }: { id: string }) => {
        const p = project(id);
        return {
          id,
          name: p.name,
          services: edges([...p.services].map(([sid, name]) => ({ id: sid, name }))),
          environments: edges([...p.environments].map(([eid, name]) => ({ id: eid, name }))),
        };
      },
      deployment: ({ id }: { id: string }) => {
        const { d, pid } = find(id);
        return deployment(d, pid);
      },
      deployments: ({ first, input }: { first?: number; input: { projectId?: string; serviceId?: string; environmentId?: string } }) => {
        const p = project(input.projectId ?? "");
        const list = p.deployments.filter(
          (d) => (!input.serviceId || d.serviceId === input.serviceId) && (!input.environmentId || d.environmentId === input.environmentId),
        );
        return edges(list.slice(0, first ?? 50).map((d) => deployment(d, input.projectId!)));
      },
      buildLogs: ({ deploymentId, limit }: { deploymentId: string; limit?: number }) => logs(find(deploymentId).d.buildLogs, limit),
      deploymentLogs: ({ deploymentId, limit }: { deploymentId: string; limit?: number }) => logs(find(deploymentId).d.deployLogs, limit),
    };
  }
}
