/**
 * Exponential backoff, the one rule for every server-side retry (session transient failures,
 * notification deliveries): `baseMs * 2^attempt`, capped at `maxMs`. With `jitter`, a random
 * point in the upper half of that (so retries of many sessions after one outage spread out).
 * The retries themselves are scheduled by their owners (a row's notBefore, a delivery timer),
 * which is why this is a delay, not a retry loop like p-retry's.
 */
export function backoffDelay(attempt: number, opts: { baseMs: number; maxMs: number; jitter?: boolean }): number {
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
  return opts.jitter ? Math.round(cap / 2 + Math.random() * (cap / 2)) : cap;
}
