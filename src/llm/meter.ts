// One job's spend, owned by the LLM layer: every call made through a metered client is recorded (failed
// and corrective calls included, with whatever usage the provider reported), whoever made it (built-in
// agent, judges), across every attempt. Command agents add what their CLI printed. The pipeline saves the
// totals with the job's progress, so a resumed job starts from what was already spent.
import { AutofixError } from "../errors.js";
import { completeStructured } from "./structured.js";
import type { Completion, CompletionRequest, LlmClient, Usage } from "./types.js";

export interface SpendTotals {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** True when some usage had no price, so costUsd is a lower bound. */
  costIncomplete: boolean;
  /** Calls recorded (model calls and agent CLI runs that reported usage). */
  calls: number;
}

export interface SpendCaps {
  maxTokens: number;
  maxCostUsd: number;
}

/** A call refused before it was made: the job's token or cost cap is already used up. */
export class SpendCapReached extends AutofixError {
  constructor(what: "tokens" | "cost", used: string, limit: string) {
    super(
      "SPEND_CAP_REACHED",
      {
        what: `No further model call was made: the job already used its ${what} cap (${used} used, limit ${limit}).`,
        why: "Every call of a job (agent and judges, every attempt) counts against one cap per job.",
        next: `Raise \`limits.${what === "tokens" ? "maxTokens" : "maxCostUsd"}\` in .github/autofix.yml if this issue needs more, then comment \`/autofix retry\`.`,
      },
      { data: { cap: what, used, limit } },
    );
  }
}

export class SpendMeter {
  private totals: SpendTotals = { inputTokens: 0, outputTokens: 0, costUsd: 0, costIncomplete: false, calls: 0 };
  private readonly listeners: ((totals: SpendTotals) => void)[] = [];

  constructor(
    readonly caps: SpendCaps,
    initial?: Partial<SpendTotals>,
  ) {
    if (initial) this.totals = { ...this.totals, ...initial };
  }

  /** Adds one call's usage (undefined: the call reported none, e.g. an HTTP error). */
  record(usage: Usage | undefined): void {
    if (!usage) return;
    const t = this.totals;
    t.calls += 1;
    t.inputTokens += usage.inputTokens;
    t.outputTokens += usage.outputTokens;
    if (usage.costUsd === undefined) {
      if (usage.inputTokens + usage.outputTokens > 0) t.costIncomplete = true;
    } else t.costUsd += usage.costUsd;
    for (const listener of this.listeners) listener(this.total);
  }

  /** Called after every record (the pipeline saves the totals with the job). */
  onRecord(listener: (totals: SpendTotals) => void): void {
    this.listeners.push(listener);
  }

  get total(): SpendTotals {
    return { ...this.totals };
  }

  get tokens(): number {
    return this.totals.inputTokens + this.totals.outputTokens;
  }

  /** What the job may still spend; zero or less means the next call is refused. */
  remaining(): { tokens: number; costUsd: number } {
    return { tokens: this.caps.maxTokens - this.tokens, costUsd: this.caps.maxCostUsd - this.totals.costUsd };
  }

  /** The cap already used up, as the error a refused call throws; undefined while there is room. */
  exhausted(): SpendCapReached | undefined {
    const left = this.remaining();
    if (left.tokens <= 0) return new SpendCapReached("tokens", this.tokens.toLocaleString("en-US"), this.caps.maxTokens.toLocaleString("en-US"));
    if (left.costUsd <= 0) return new SpendCapReached("cost", `$${this.totals.costUsd.toFixed(2)}`, `$${this.caps.maxCostUsd}`);
    return undefined;
  }
}

/** Usage a failed call carried (a provider that billed an answer autofix could not use). */
function usageOfError(err: unknown): Usage | undefined {
  if (!(err instanceof AutofixError)) return undefined;
  const usage = err.data.usage as Usage | undefined;
  return usage && typeof usage.inputTokens === "number" ? usage : undefined;
}

/**
 * The client a job's agent and judges use: every call is recorded on the job's meter before its answer
 * (or its error) goes back, a call is refused once the cap is used up, and no single answer may ask for
 * more output tokens than the job has left.
 */
export function meteredClient(client: LlmClient, meter: SpendMeter): LlmClient {
  const complete = async (request: CompletionRequest): Promise<Completion> => {
    const over = meter.exhausted();
    if (over) throw over;
    const left = Math.max(1, Math.floor(meter.remaining().tokens));
    const maxOutputTokens = request.maxOutputTokens === undefined ? undefined : Math.min(request.maxOutputTokens, left);
    try {
      const completion = await client.complete({ ...request, ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }) });
      meter.record(completion.usage);
      return completion;
    } catch (err) {
      meter.record(usageOfError(err));
      throw err;
    }
  };
  return {
    provider: client.provider,
    defaultModel: client.defaultModel,
    complete,
    // Through the metered `complete`, so a corrective retry and an answer that failed validation count too.
    structured: (schema, request) => completeStructured(complete, client.provider, schema, request),
  };
}
