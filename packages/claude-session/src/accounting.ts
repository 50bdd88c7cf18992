import type { ResultMessage } from "./messages";

/**
 * Cost, tokens and turns of one run (one `claude` process) of a session.
 *
 * What the binary reports (observed 2.1.329, reference §3.5): within one process each
 * `result.total_cost_usd` and `modelUsage` are RUNNING totals, while `num_turns` and
 * `usage` are per result (per prompt). After `--resume`, 2.1.329 continues the totals
 * saved in the transcript (2.1.197 starts again from zero). So the run's own spend is
 * the latest total minus what was carried over, and carry-over is detected from the
 * first result: its cumulative `modelUsage` tokens exceed its own `usage`.
 */
export type Totals = { costUsd: number; inputTokens: number; outputTokens: number; numTurns: number };

export const ZERO_TOTALS: Totals = { costUsd: 0, inputTokens: 0, outputTokens: 0, numTurns: 0 };

export class RunAccounting {
  private results = 0;
  private carriedCost = 0;
  private carriedIn = 0;
  private carriedOut = 0;
  private latestCost = 0;
  private latestIn = 0;
  private latestOut = 0;
  private turns = 0;

  /** `prior`: the session's totals recorded before this run (used when the CLI carries them over). */
  constructor(
    private readonly prior: Totals = ZERO_TOTALS,
    /** The run resumes an earlier one (`--resume`): only then can totals be carried over. */
    private readonly resumed = false,
  ) {}

  observe(result: ResultMessage): void {
    const model = modelUsageTokens(result);
    const own = usageTokens(result);
    if (this.results === 0 && this.resumed) {
      // Carry-over: the cumulative counters already hold more than this result's own calls.
      if (model.input > own.input) {
        this.carriedIn = model.input - own.input;
        this.carriedOut = model.output - own.output;
        this.carriedCost = Math.min(this.prior.costUsd, result.total_cost_usd);
      }
    }
    this.results++;
    this.latestCost = Math.max(this.latestCost, result.total_cost_usd);
    this.latestIn = Math.max(this.latestIn, model.input || this.latestIn + own.input);
    this.latestOut = Math.max(this.latestOut, model.output || this.latestOut + own.output);
    this.turns += result.num_turns;
  }

  /** This run's own spend. */
  get run(): Totals {
    return {
      costUsd: round6(Math.max(0, this.latestCost - this.carriedCost)),
      inputTokens: Math.max(0, this.latestIn - this.carriedIn),
      outputTokens: Math.max(0, this.latestOut - this.carriedOut),
      numTurns: this.turns,
    };
  }

  /** The session's totals including this run. */
  get session(): Totals {
    const run = this.run;
    return {
      costUsd: round6(this.prior.costUsd + run.costUsd),
      inputTokens: this.prior.inputTokens + run.inputTokens,
      outputTokens: this.prior.outputTokens + run.outputTokens,
      numTurns: this.prior.numTurns + run.numTurns,
    };
  }
}

/** Input = fresh + cache creation + cache read tokens (all billed input). */
function modelUsageTokens(result: ResultMessage): { input: number; output: number } {
  let input = 0;
  let output = 0;
  for (const m of Object.values(result.modelUsage ?? {})) {
    input += m.inputTokens + m.cacheReadInputTokens + m.cacheCreationInputTokens;
    output += m.outputTokens;
  }
  return { input, output };
}

function usageTokens(result: ResultMessage): { input: number; output: number } {
  const u = result.usage;
  if (!u) return { input: 0, output: 0 };
  return { input: u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0), output: u.output_tokens };
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
