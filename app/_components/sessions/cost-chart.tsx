import { useId } from "react";

export type CostBar = { label: string; value: number; title?: string };

/**
 * A small bar chart as inline SVG: no chart library for a dozen bars. The picture is
 * decorative detail; `summary` (and each bar's <title>) is what assistive technology reads.
 */
export function CostChart({
  bars,
  summary,
  format,
  height = 96,
}: {
  bars: CostBar[];
  summary: string;
  format(v: number): string;
  height?: number;
}) {
  const id = useId();
  const max = Math.max(...bars.map((b) => b.value), 0);
  const barWidth = 18;
  const gap = 6;
  const width = Math.max(bars.length * (barWidth + gap) - gap, 1);
  const plot = height - 16;
  return (
    <figure className="space-y-1">
      <svg
        role="img"
        aria-labelledby={id}
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        className="max-w-full overflow-visible text-zinc-800 dark:text-zinc-200"
      >
        <title id={id}>{summary}</title>
        <line x1={0} x2={width} y1={plot + 0.5} y2={plot + 0.5} className="stroke-zinc-300 dark:stroke-zinc-700" />
        {bars.map((b, i) => {
          const h = max > 0 ? Math.max(b.value > 0 ? 2 : 0, Math.round((b.value / max) * (plot - 4))) : 0;
          const x = i * (barWidth + gap);
          return (
            <g key={`${b.label}-${i}`}>
              <rect x={x} y={plot - h} width={barWidth} height={h} rx={2} className="fill-blue-500/80 dark:fill-blue-400/80">
                <title>{`${b.title ?? b.label}: ${format(b.value)}`}</title>
              </rect>
              <text x={x + barWidth / 2} y={height - 2} textAnchor="middle" className="fill-zinc-500 text-[9px]">
                {b.label}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="text-xs text-zinc-500 dark:text-zinc-400">{summary}</figcaption>
    </figure>
  );
}
