/** Display formatting shared by server and client components. */

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "3 minutes ago", "yesterday", "in 2 days". */
export function formatRelative(value: string | number | Date, now: number = Date.now()): string {
  const time = new Date(value).getTime();
  if (Number.isNaN(time)) return "unknown";
  const seconds = Math.round((time - now) / 1000);
  if (Math.abs(seconds) < 45) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(seconds, "second");
}

const absolute = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

export function formatDateTime(value: string | number | Date): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "unknown" : absolute.format(date);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The local calendar day (YYYY-MM-DD) of a timestamp, for the date-range filter. */
export function localDay(value: string | number | Date): string {
  const d = new Date(value);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * Priority in words (issue 13): the stored scale stays 1–5 with 5 the most urgent, which the
 * triage rules and the API keep; people read the word.
 */
export const PRIORITY_WORDS = { 5: "Urgent", 4: "High", 3: "Medium", 2: "Low", 1: "Minimal" } as const;
export type PriorityWord = (typeof PRIORITY_WORDS)[keyof typeof PRIORITY_WORDS];

export function priorityWord(priority: number): PriorityWord {
  const p = Math.min(5, Math.max(1, Math.round(priority))) as keyof typeof PRIORITY_WORDS;
  return PRIORITY_WORDS[p];
}

/**
 * One vocabulary for every status a page shows (work items, sessions, agents, failures, triage,
 * changes), so "Running" or "Needs you" means the same on every tab. Keyed by the stored value;
 * the same value always reads the same, whichever domain it comes from.
 */
export const STATUS_WORDS = {
  // Work items (All Work, the board)
  needs_you: "Needs you",
  in_progress: "In progress",
  open: "Open",
  failed: "Failed",
  done: "Done",
  ignored: "Ignored",
  // Sessions
  queued: "Queued",
  running: "Running",
  completed: "Completed",
  stopped: "Stopped",
  interrupted: "Interrupted",
  crashed: "Crashed",
  // Agents (hooks), and an agent's health on the board
  ended: "Ended",
  idle: "Idle",
  stuck: "Stuck",
  // Failures
  active: "Active",
  inactive: "Inactive",
  resolved: "Resolved",
  // Triage decisions
  pending: "Pending",
  needs_spec: "Needs spec",
  one_off_fix: "One-off fix",
  ignore: "Ignore",
  // Failure patterns
  new: "New",
  flaky: "Flaky",
  recurring: "Recurring",
  persistent: "Persistent",
  // A test's outcome in one run (a failure's run history)
  passed: "Passed",
  skipped: "Skipped",
  // Changes
  draft: "Draft",
} as const;
export type StatusValue = keyof typeof STATUS_WORDS;

/** The word for a stored status; an unknown value reads as itself, with its underscores spaced. */
export function statusWord(value: string): string {
  return (STATUS_WORDS as Record<string, string>)[value] ?? value.replace(/_/g, " ");
}
