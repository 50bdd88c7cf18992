/** Task progress; the numbers are in the accessible value, not only in the bar's width. */
export function ProgressBar({
  done,
  total,
  label = "Task progress",
  className = "",
}: {
  done: number;
  total: number;
  label?: string;
  className?: string;
}) {
  const pct = total > 0 ? Math.round((done / total) * 100) : 0;
  const complete = total > 0 && done === total;
  return (
    <div className={`flex items-center gap-2 ${className}`}>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-valuetext={total ? `${done} of ${total} tasks done` : "No tasks"}
        className="h-1.5 w-24 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
      >
        <div
          className={`h-full rounded-full transition-[width] ${complete ? "bg-emerald-500" : "bg-blue-500"}`}
          style={{ width: `${pct}%` }}
        />
      </div>
      <span className="w-10 text-right font-mono text-xs tabular-nums text-zinc-500 dark:text-zinc-400">
        {total ? `${done}/${total}` : "—"}
      </span>
    </div>
  );
}
