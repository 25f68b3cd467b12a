// Builds the agent's or the judges' LLM client from operator settings. Keys and endpoints come only from
// here; a repository config may pick a model name per request, nothing else.
import type { Settings } from "../settings.js";
import { createLlmClient, type LlmClientOptions } from "./client.js";
import { LlmNotConfigured, type Provider } from "./errors.js";
import type { LlmClient } from "./types.js";
import { priceTableSchema, type PriceTable } from "./usage.js";

type Role = "agent" | "judge";

interface ResolvedLlmSettings {
  provider: Provider;
  baseUrl?: string;
  apiKey?: string;
  model: string;
  keySettingName: string;
}

/** The client for a role, or undefined when the operator configured no LLM at all. */
export function llmFromSettings(
  settings: Settings,
  role: Role,
  extra: Pick<LlmClientOptions, "onUsage" | "retry" | "maxRetries" | "log"> = {},
): LlmClient | undefined {
  const resolved = resolveLlmSettings(settings, role);
  if (!resolved) return undefined;
  return createLlmClient({
    ...resolved,
    timeoutMs: settings.AUTOFIX_LLM_TIMEOUT_MS,
    prices: parsePrices(settings.AUTOFIX_LLM_PRICES),
    ...extra,
  });
}

export function resolveLlmSettings(settings: Settings, role: Role): ResolvedLlmSettings | undefined {
  const agent = {
    provider: settings.AUTOFIX_LLM_PROVIDER,
    baseUrl: settings.AUTOFIX_LLM_BASE_URL,
    apiKey: settings.AUTOFIX_LLM_API_KEY,
    model: settings.AUTOFIX_LLM_MODEL,
  };
  if (role === "agent") return complete(agent, "AUTOFIX_LLM", "AUTOFIX_LLM_API_KEY");

  const judge = {
    provider: settings.AUTOFIX_JUDGE_PROVIDER,
    baseUrl: settings.AUTOFIX_JUDGE_BASE_URL,
    apiKey: settings.AUTOFIX_JUDGE_API_KEY,
    model: settings.AUTOFIX_JUDGE_MODEL,
  };
  const judgeConfigured = Object.values(judge).some(Boolean);
  if (!judgeConfigured) return complete(agent, "AUTOFIX_LLM", "AUTOFIX_LLM_API_KEY");
  // A judge on another provider must not inherit the agent's endpoint or key: they belong to the other API.
  const sameProvider = (judge.provider ?? agent.provider ?? "openai") === (agent.provider ?? "openai");
  const merged = {
    provider: judge.provider ?? agent.provider,
    baseUrl: judge.baseUrl ?? (sameProvider ? agent.baseUrl : undefined),
    apiKey: judge.apiKey ?? (sameProvider ? agent.apiKey : undefined),
    model: judge.model ?? (sameProvider ? agent.model : undefined),
  };
  const keySettingName = judge.apiKey || !sameProvider ? "AUTOFIX_JUDGE_API_KEY" : "AUTOFIX_LLM_API_KEY";
  return complete(merged, "AUTOFIX_JUDGE", keySettingName);
}

function complete(
  values: { provider?: Provider; baseUrl?: string; apiKey?: string; model?: string },
  prefix: string,
  keySettingName: string,
): ResolvedLlmSettings | undefined {
  if (!Object.values(values).some(Boolean)) return undefined;
  if (!values.model) {
    throw new LlmNotConfigured(
      `${prefix}_MODEL is not set, but other ${prefix}_* settings are.`,
      `Set ${prefix}_MODEL to the model name (for example gpt-4.1 or claude-sonnet-4-5), or remove the other ${prefix}_* settings.`,
    );
  }
  const provider = values.provider ?? "openai";
  return { provider, baseUrl: values.baseUrl, apiKey: values.apiKey, model: values.model, keySettingName };
}

export function parsePrices(raw: string | undefined): PriceTable | undefined {
  if (!raw) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new LlmNotConfigured(
      `AUTOFIX_LLM_PRICES is not valid JSON (${(err as Error).message}).`,
      'Set it to JSON like {"gpt-4.1": {"inputPerMTok": 2, "outputPerMTok": 8}} or unset it.',
    );
  }
  const parsed = priceTableSchema.safeParse(json);
  if (!parsed.success) {
    throw new LlmNotConfigured(
      `AUTOFIX_LLM_PRICES does not match {"<model>": {"inputPerMTok": number, "outputPerMTok": number}}: ${parsed.error.issues[0]?.message}.`,
      "Fix the price table (US dollars per million tokens) or unset it.",
    );
  }
  return parsed.data;
}
