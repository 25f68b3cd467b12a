// Token usage and its price: every call is counted, retries and corrective turns included, so a job's
// spend is what the provider will bill.
import { z } from "zod";
import type { Usage } from "./types.js";

export const priceTableSchema = z.record(
  z.string().min(1),
  z
    .object({
      inputPerMTok: z.number().nonnegative(),
      outputPerMTok: z.number().nonnegative(),
      /** Prompt-cache prices. Defaults: Anthropic 1.25× (write) and 0.1× (read) the input price; OpenAI-compatible
       *  endpoints the full input price (their discounts vary by model: configure it to count it). */
      cacheWritePerMTok: z.number().nonnegative().optional(),
      cacheReadPerMTok: z.number().nonnegative().optional(),
    })
    .strict(),
);
export type PriceTable = z.infer<typeof priceTableSchema>;

/** Prices the call under the model the endpoint reports, else the one requested (aliases vs dated names). */
export function priceUsage(
  tokens: { inputTokens: number; outputTokens: number; cacheWriteTokens?: number; cacheReadTokens?: number },
  models: string[],
  prices: PriceTable | undefined,
  cacheMultipliers: { write: number; read: number } = { write: 1, read: 1 },
): Usage {
  const usage: Usage = { inputTokens: tokens.inputTokens, outputTokens: tokens.outputTokens };
  const price = prices ? models.map((m) => prices[m]).find(Boolean) : undefined;
  if (price) {
    const cacheWrite = tokens.cacheWriteTokens ?? 0;
    const cacheRead = tokens.cacheReadTokens ?? 0;
    const plainInput = tokens.inputTokens - cacheWrite - cacheRead;
    usage.costUsd =
      (plainInput * price.inputPerMTok +
        cacheWrite * (price.cacheWritePerMTok ?? price.inputPerMTok * cacheMultipliers.write) +
        cacheRead * (price.cacheReadPerMTok ?? price.inputPerMTok * cacheMultipliers.read) +
        tokens.outputTokens * price.outputPerMTok) /
      1_000_000;
  }
  return usage;
}

/** Sum of usages; costUsd is present when any part had one (unpriced parts count as 0). */
export function addUsage(...parts: (Usage | undefined)[]): Usage {
  const total: Usage = { inputTokens: 0, outputTokens: 0 };
  for (const part of parts) {
    if (!part) continue;
    total.inputTokens += part.inputTokens;
    total.outputTokens += part.outputTokens;
    if (part.costUsd !== undefined) total.costUsd = (total.costUsd ?? 0) + part.costUsd;
  }
  return total;
}
