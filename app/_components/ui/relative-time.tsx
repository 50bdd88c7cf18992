"use client";

import { formatDateTime, formatRelative } from "@/lib/format";

/**
 * Server and browser render "n minutes ago" a moment apart; the text may
 * differ by a unit, which is expected, so hydration is told not to mind.
 */
export function RelativeTime({ value }: { value: string }) {
  return (
    <time dateTime={value} title={formatDateTime(value)} suppressHydrationWarning className="whitespace-nowrap tabular-nums">
      {formatRelative(value)}
    </time>
  );
}
