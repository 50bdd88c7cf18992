import type { Decision, FailureGroup, Pattern } from "@/lib/schemas/errors";

/**
 * Failure groups clustered for the Errors tab (issue 13 item 3): one `beforeEach` failing in four
 * Playwright projects is four groups in the API (a group is per test case, and a test case is per
 * Playwright project) but one row here: same project, spec file, title path and error fingerprint.
 */
export type FailureCluster = {
  key: string;
  projectSlug: string;
  file: string;
  titlePath: string[];
  fingerprint: string;
  /** The API's groups, one per Playwright project, in list order. */
  groups: FailureGroup[];
  /** The most severe pattern of its groups. */
  pattern: Pattern;
  /** The groups' decision when they agree, else "mixed". */
  decision: Decision | "mixed";
  priority: number;
  occurrences: number;
  lastSeenAt: Date;
  active: boolean;
  lastMessage: string;
  flakiness: Flakiness;
};

/**
 * Flaky runs among the runs in which the test ran (failed, flaky or passed), summed over its groups'
 * counts; each group's are over the project's last `window` reports (`errors.flakinessRuns`).
 */
export type Flakiness = { flaky: number; ran: number; window: number; rate: number | null };

const SEVERITY: Record<Pattern, number> = { persistent: 3, recurring: 2, flaky: 1, new: 0 };

export const clusterKey = (g: Pick<FailureGroup, "projectSlug" | "file" | "titlePath" | "fingerprint">): string =>
  JSON.stringify([g.projectSlug, g.file, g.titlePath, g.fingerprint]);

export function flakinessOf(groups: Pick<FailureGroup, "flakiness">[]): Flakiness {
  let flaky = 0;
  let ran = 0;
  let window = 0;
  for (const g of groups) {
    flaky += g.flakiness.flaky;
    ran += g.flakiness.ran;
    window = Math.max(window, g.flakiness.window);
  }
  return { flaky, ran, window, rate: ran ? flaky / ran : null };
}

/** Clusters in the order their first group comes in the list (the API's sort stays the sort). */
export function clusterFailures(rows: FailureGroup[]): FailureCluster[] {
  const byKey = new Map<string, FailureGroup[]>();
  for (const row of rows) {
    const k = clusterKey(row);
    const list = byKey.get(k);
    if (list) list.push(row);
    else byKey.set(k, [row]);
  }
  return [...byKey.entries()].map(([key, groups]) => {
    const first = groups[0]!;
    const decisions = new Set(groups.map((g) => g.decision));
    return {
      key,
      projectSlug: first.projectSlug,
      file: first.file,
      titlePath: first.titlePath,
      fingerprint: first.fingerprint,
      groups: [...groups].sort((a, b) => a.projectName.localeCompare(b.projectName)),
      pattern: groups.reduce<Pattern>((p, g) => (SEVERITY[g.pattern] > SEVERITY[p] ? g.pattern : p), "new"),
      decision: decisions.size === 1 ? first.decision : "mixed",
      priority: Math.max(...groups.map((g) => g.priority)),
      occurrences: groups.reduce((n, g) => n + g.occurrences, 0),
      lastSeenAt: new Date(Math.max(...groups.map((g) => new Date(g.lastSeen.at).getTime()))),
      active: groups.some((g) => g.active),
      lastMessage: first.lastMessage,
      flakiness: flakinessOf(groups),
    };
  });
}

export function formatRate(f: Flakiness): string {
  return f.rate === null ? "—" : `${Math.round(f.rate * 100)}%`;
}
