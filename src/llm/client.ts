// The LLM client: one interface over OpenAI-compatible and Anthropic endpoints, with timeouts, bounded
// retries, usage and cost on every call, and zod-validated structured output.
import type { z } from "zod";
import { anthropicWire } from "./anthropic.js";
import { LlmRequestRejected, LlmResponseInvalid, type Provider } from "./errors.js";
import { defaultRetryPolicy, postJson, type LlmLog, type RetryPolicy } from "./http.js";
import { openaiWire } from "./openai.js";
import { completeStructured } from "./structured.js";
import type { Completion, CompletionRequest, LlmClient, Usage } from "./types.js";
import { priceUsage, type PriceTable } from "./usage.js";
import { adjustForRejection, type WireFormat, type WireQuirks } from "./wire.js";

export interface LlmClientOptions {
  provider: Provider;
  /** Defaults: https://api.openai.com/v1 and https://api.anthropic.com. */
  baseUrl?: string;
  apiKey?: string;
  model: string;
  /** Per HTTP request (each retry gets its own). Default 120 s. */
  timeoutMs?: number;
  prices?: PriceTable;
  /** Retries after the first attempt on 429, 5xx and network errors. Default 4. */
  maxRetries?: number;
  onUsage?: (usage: Usage, model: string) => void;
  /** Backoff tuning; tests shorten it. */
  retry?: Partial<Omit<RetryPolicy, "maxRetries">>;
  /** The setting an operator must fix when the endpoint refuses the key. */
  keySettingName?: string;
  /** Retries are logged here (never the key). */
  log?: LlmLog;
}

const wires: Record<Provider, WireFormat> = { openai: openaiWire, anthropic: anthropicWire };

export function createLlmClient(options: LlmClientOptions): LlmClient {
  const wire = wires[options.provider];
  const url = wire.endpoint(options.baseUrl ?? wire.defaultBaseUrl);
  const headers = wire.headers(options.apiKey);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const retry: RetryPolicy = {
    ...defaultRetryPolicy,
    ...options.retry,
    maxRetries: options.maxRetries ?? defaultRetryPolicy.maxRetries,
  };
  const keySettingName = options.keySettingName ?? "AUTOFIX_LLM_API_KEY";

  // Per model: one endpoint may serve models of different dialects (gpt-4.1 and o3 behind one gateway).
  const quirksByModel = new Map<string, WireQuirks>();

  async function post(request: CompletionRequest, model: string): Promise<unknown> {
    const quirks = quirksByModel.get(model) ?? {};
    quirksByModel.set(model, quirks);
    const capped = (tokens: number | undefined) =>
      tokens !== undefined && quirks.maxOutputTokensCap !== undefined ? Math.min(tokens, quirks.maxOutputTokensCap) : tokens;
    let maxOutputTokens = capped(request.maxOutputTokens ?? wire.defaultMaxOutputTokens);
    // Learn the server's dialect and limits from its 400s and resend (bounded), rather than failing every job.
    for (let resend = 0; ; resend++) {
      try {
        return await postJson({
          provider: wire.provider,
          model,
          url,
          headers,
          body: wire.body({ ...request, maxOutputTokens }, model, quirks),
          timeoutMs,
          signal: request.signal,
          retry,
          apiKey: options.apiKey,
          keySettingName,
          log: options.log,
        });
      } catch (err) {
        if (!(err instanceof LlmRequestRejected) || resend >= 2) throw err;
        const detail = String(err.data.detail);
        const dialect = wire.quirkFor?.(detail, quirks);
        const limits = adjustForRejection(detail, maxOutputTokens);
        if (!dialect && !limits) throw err;
        Object.assign(quirks, dialect, limits?.quirks);
        maxOutputTokens = limits?.maxOutputTokens ?? capped(maxOutputTokens);
        options.log?.warn(
          { provider: wire.provider, model, adjusted: { ...dialect, ...limits } },
          "LLM endpoint rejected a request parameter; resending adjusted",
        );
      }
    }
  }

  /** Token counts a body we could not use still reported, in either wire's field names, priced like an answer. */
  function reportedUsage(json: unknown, model: string): Usage | undefined {
    const u = (json as { usage?: Record<string, unknown> } | null)?.usage;
    if (!u || typeof u !== "object") return undefined;
    const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
    const inputTokens = num(u.prompt_tokens) + num(u.input_tokens);
    const outputTokens = num(u.completion_tokens) + num(u.output_tokens);
    if (inputTokens + outputTokens === 0) return undefined;
    return priceUsage({ inputTokens, outputTokens }, [model], options.prices);
  }

  async function complete(request: CompletionRequest): Promise<Completion> {
    const model = request.model ?? options.model;
    const json = await post(request, model);
    const result = wire.parse(json, model);
    if (typeof result === "string") throw new LlmResponseInvalid(wire.provider, model, result, reportedUsage(json, model));
    const usage = priceUsage(result, [result.model, model], options.prices, wire.cacheMultipliers);
    options.onUsage?.(usage, result.model);
    return {
      text: result.text,
      toolCalls: result.toolCalls,
      stopReason: result.stopReason,
      usage,
      model: result.model,
    };
  }

  return {
    provider: wire.provider,
    defaultModel: options.model,
    complete,
    structured<T>(schema: z.ZodType<T>, request: Parameters<LlmClient["structured"]>[1]) {
      return completeStructured(complete, wire.provider, schema, request);
    },
  };
}
