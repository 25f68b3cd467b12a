// Spend of one job (agent and gates together), checked against the config's caps after every step.
import { AutofixError } from "../errors.js";
import type { LimitsConfig } from "../config/index.js";
import type { Usage } from "../llm/index.js";

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
  private spend: SpendRecord = { inputTokens: 0, outputTokens: 0, costUsd: 0, costIncomplete: false };
  private readonly startedAtMs: number;

  constructor(
    private readonly limits: Pick<LimitsConfig, "maxTokens" | "maxCostUsd" | "maxWallMinutes">,
    startedAt: Date = new Date(),
    initial?: SpendRecord,
  ) {
    this.startedAtMs = startedAt.getTime();
    if (initial) this.spend = { ...initial };
  }

  add(usage: Usage | undefined): void {
    if (!usage) return;
    this.spend.inputTokens += usage.inputTokens;
    this.spend.outputTokens += usage.outputTokens;
    if (usage.costUsd === undefined) {
      if (usage.inputTokens + usage.outputTokens > 0) this.spend.costIncomplete = true;
    } else this.spend.costUsd += usage.costUsd;
  }

  get total(): SpendRecord {
    return { ...this.spend };
  }

  get tokens(): number {
    return this.spend.inputTokens + this.spend.outputTokens;
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
    if (this.tokens > this.limits.maxTokens)
      return new SpendLimitReached("tokens", this.tokens.toLocaleString("en-US"), this.limits.maxTokens.toLocaleString("en-US"), "maxTokens");
    if (this.spend.costUsd > this.limits.maxCostUsd)
      return new SpendLimitReached("cost", `$${this.spend.costUsd.toFixed(2)}`, `$${this.limits.maxCostUsd}`, "maxCostUsd");
    if (this.remainingMs(now) <= 0) {
      const usedMin = ((now - this.startedAtMs) / 60_000).toFixed(1);
      return new SpendLimitReached("wall time", `${usedMin} min`, `${this.limits.maxWallMinutes} min`, "maxWallMinutes");
    }
    return undefined;
  }
}
