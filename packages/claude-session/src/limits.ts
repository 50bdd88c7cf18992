/**
 * Usage-limit texts across CLI versions (reference/claude-cli.md §5.2, §5.3) and
 * their reset times. The structured `rate_limit_event` is preferred; these are the
 * fallback for older CLIs and json/text output, where only the words are left.
 */

export type LimitType = "five_hour" | "seven_day" | "seven_day_opus" | "seven_day_sonnet" | "overage" | "unknown";

export type UsageLimitText = { resetsAt: Date | null; limitType: LimitType };

// "hit your … limit" (2.1.x), "usage limit reached" (1.0-2.0), "limit reached ∙ resets" (2.0 TUI),
// "out of extra usage", "Your group's usage limit is set to $0" (team pools).
const USAGE_LIMIT_RE =
  /hit your (?:[\w-]+ )?limit|usage limit reached|limit reached\s*·\s*resets|out of extra usage|usage limit is set to/i;

const LEGACY_RE = /usage limit reached\|(\d{9,})/i;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// "resets 7am (Europe/Berlin)", "resets Nov 24, 9am (…)", "resets Apr 23 at 4pm (…)", "resets 4:50am",
// "Your limit will reset at 5pm (Europe/Warsaw)", "… reset at Oct 6, 6pm."
const RESET_RE =
  /\breset(?:s)?(?: at)? (?:(?<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?<day>\d{1,2})(?:,| at) ?)?(?<h>\d{1,2})(?::(?<m>\d{2}))?\s?(?<ap>am|pm)(?: \((?<tz>[^)]+)\))?/i;

/** `∙` (U+2219, 2.0 TUI) and `•` normalised to `·` (U+00B7). */
export function normaliseLimitText(text: string): string {
  return text.replace(/[∙•]/g, "·");
}

/** Is this result/error text a usage limit (any known version)? */
export function isUsageLimitText(text: string): boolean {
  return USAGE_LIMIT_RE.test(normaliseLimitText(text));
}

export function limitTypeFromText(text: string): LimitType {
  if (/Opus/i.test(text)) return "seven_day_opus";
  if (/Sonnet/i.test(text)) return "seven_day_sonnet";
  if (/extra usage|usage credit/i.test(text)) return "overage";
  if (/weekly/i.test(text)) return "seven_day";
  if (/5-hour|session/i.test(text)) return "five_hour";
  return "unknown";
}

/**
 * Parses a usage-limit text: null when it is not one. `now` is when the message was
 * written; `defaultTimeZone` is the CLI's zone when the text names none.
 */
export function parseUsageLimitText(text: string, now: Date = new Date(), defaultTimeZone?: string): UsageLimitText | null {
  const t = normaliseLimitText(text);
  const legacy = LEGACY_RE.exec(t);
  if (legacy) return { resetsAt: new Date(Number(legacy[1]) * 1000), limitType: "five_hour" };
  if (!isUsageLimitText(t) && !/limit will reset/i.test(t)) return null;
  let limitType = limitTypeFromText(t);
  const m = RESET_RE.exec(t);
  let resetsAt: Date | null = null;
  if (m?.groups) {
    const g = m.groups;
    let hour = Number(g.h) % 12;
    if (g.ap!.toLowerCase() === "pm") hour += 12;
    const minute = g.m ? Number(g.m) : 0;
    const zone = g.tz && isTimeZone(g.tz) ? g.tz : defaultTimeZone && isTimeZone(defaultTimeZone) ? defaultTimeZone : undefined;
    if (g.mon) {
      const month = MONTHS.findIndex((x) => x.toLowerCase() === g.mon!.toLowerCase());
      const today = wallClock(now, zone);
      let at = zonedInstant(today.year, month, Number(g.day), hour, minute, zone);
      // The next occurrence of that date (a reset is never more than a week or so in the past).
      if (at.getTime() < now.getTime() - 86_400_000) at = zonedInstant(today.year + 1, month, Number(g.day), hour, minute, zone);
      resetsAt = at;
    } else {
      const today = wallClock(now, zone);
      let at = zonedInstant(today.year, today.month, today.day, hour, minute, zone);
      if (at.getTime() <= now.getTime()) at = zonedInstant(today.year, today.month, today.day + 1, hour, minute, zone);
      resetsAt = at;
    }
    // A bare "your limit" with a weekly-looking date reset is a weekly window.
    if (limitType === "unknown" && g.mon && resetsAt.getTime() - now.getTime() > 86_400_000) limitType = "seven_day";
  }
  if (limitType === "unknown") limitType = "five_hour";
  return { resetsAt, limitType };
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

type WallClock = { year: number; month: number; day: number; hour: number; minute: number; second: number };

/** The wall-clock reading of an instant in a zone (undefined = the process's local zone). */
function wallClock(at: Date, zone: string | undefined): WallClock {
  if (!zone)
    return {
      year: at.getFullYear(),
      month: at.getMonth(),
      day: at.getDate(),
      hour: at.getHours(),
      minute: at.getMinutes(),
      second: at.getSeconds(),
    };
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: get("year"),
    month: get("month") - 1,
    day: get("day"),
    hour: get("hour") % 24,
    minute: get("minute"),
    second: get("second"),
  };
}

/** The instant at which the wall clock of `zone` reads the given time (month 0-based; day may overflow). */
function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, zone: string | undefined): Date {
  if (!zone) return new Date(year, month, day, hour, minute, 0, 0);
  const asUtc = Date.UTC(year, month, day, hour, minute);
  // Two passes settle the zone offset, DST edges included.
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const w = wallClock(new Date(guess), zone);
    const offset = Date.UTC(w.year, w.month, w.day, w.hour, w.minute, w.second) - guess;
    guess = asUtc - offset;
  }
  return new Date(guess);
}
