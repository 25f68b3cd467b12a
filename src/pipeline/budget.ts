// Spend of one job (agent and gates together), checked against the config's caps after every step. The
// tokens and cost live on the job's SpendMeter (the LLM layer records every call there); this adds wall time.
import { AutofixError } from "../errors.js";
import type { LimitsConfig } from "../config/index.js";
import { SpendMeter, type Usage } from "../llm/index.js";

export interface SpendRecord {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** True when some usage had no price, so costUsd is a lower bound. */
  costIncomplete: boolean;
}

export class SpendLimitReached extends AutofixError {
  constructor(cap: "tokens" | "cost" | "wall time", used: string, limit: string, setting: string) {
    super(
      "SPEND_LIMIT",
      {
        what: `The job stopped because it reached its ${cap} cap (${used} used, limit ${limit}).`,
        why: "Every job has caps on tokens, cost and wall time so a run can never spend without bound.",
        next: `Raise \`limits.${setting}\` in .github/autofix.yml if this issue needs more, then comment \`/autofix retry\`.`,
      },
      { data: { cap, used, limit } },
    );
  }
}

export class Budget {
  private readonly startedAtMs: number;
  readonly meter: SpendMeter;

  constructor(
    private readonly limits: Pick<LimitsConfig, "maxTokens" | "maxCostUsd" | "maxWallMinutes">,
    startedAt: Date = new Date(),
    meter?: SpendMeter,
  ) {
    this.startedAtMs = startedAt.getTime();
    this.meter = meter ?? new SpendMeter({ maxTokens: limits.maxTokens, maxCostUsd: limits.maxCostUsd });
  }

  /** Usage no metered client saw (what a command agent's CLI printed). */
  add(usage: Usage | undefined): void {
    this.meter.record(usage);
  }

  get total(): SpendRecord {
    const { inputTokens, outputTokens, costUsd, costIncomplete } = this.meter.total;
    return { inputTokens, outputTokens, costUsd, costIncomplete };
  }

  get tokens(): number {
    return this.meter.tokens;
  }

  /** Remaining wall time, for bounding the next step. */
  remainingMs(now = Date.now()): number {
    return this.limits.maxWallMinutes * 60_000 - (now - this.startedAtMs);
  }

  /** Throws SpendLimitReached when a cap is exceeded. */
  check(now = Date.now()): void {
    const over = this.exceeded(now);
    if (over) throw over;
  }

  /** The first cap exceeded, as the error that explains it; undefined while within every cap. */
  exceeded(now = Date.now()): SpendLimitReached | undefined {
    const spend = this.total;
    // Reached, not only passed: a used-up cap refuses every further model call anyway.
    if (this.tokens >= this.limits.maxTokens)
      return new SpendLimitReached("tokens", this.tokens.toLocaleString("en-US"), this.limits.maxTokens.toLocaleString("en-US"), "maxTokens");
    if (spend.costUsd >= this.limits.maxCostUsd)
      return new SpendLimitReached("cost", `$${spend.costUsd.toFixed(2)}`, `$${this.limits.maxCostUsd}`, "maxCostUsd");
    if (this.remainingMs(now) <= 0) {
      const usedMin = ((now - this.startedAtMs) / 60_000).toFixed(1);
      return new SpendLimitReached("wall time", `${usedMin} min`, `${this.limits.maxWallMinutes} min`, "maxWallMinutes");
    }
    return undefined;
  }
}
