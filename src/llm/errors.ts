// Typed failures of the LLM client. Messages name the provider, the model and the setting to fix;
// they never carry the API key (bodies quoted from a provider pass through redactSecret first).
import { AutofixError } from "../errors.js";

export type Provider = "openai" | "anthropic";

/** The endpoint did not answer usefully after bounded retries (429, 5xx, network). */
export class LlmUnavailable extends AutofixError {
  constructor(provider: Provider, model: string, attempts: number, lastProblem: string, cause?: unknown) {
    super(
      "LLM_UNAVAILABLE",
      {
        what: `The ${provider} model endpoint did not give an answer for model ${model}.`,
        why: `${attempts} attempt(s) failed; the last one: ${lastProblem}.`,
        next: "Try again later; if it keeps happening, check the endpoint's status or rate limits (AUTOFIX_LLM_BASE_URL / AUTOFIX_JUDGE_BASE_URL).",
      },
      { retryable: true, data: { provider, model, attempts, lastProblem }, cause },
    );
  }
}

/** 401/403: the key is missing, wrong or lacks access. Names the setting, never its value. */
export class LlmAuthFailed extends AutofixError {
  /** detail: the provider's own message (already redacted), kept for the operator. */
  constructor(provider: Provider, status: number, keySettingName: string, detail?: string) {
    super(
      "LLM_AUTH_FAILED",
      {
        what: `The ${provider} endpoint refused autofix's credentials (HTTP ${status}${detail ? `: ${detail}` : ""}).`,
        why: `The API key in ${keySettingName} is missing, wrong, expired, or has no access to this model.`,
        next: `Set a valid key in ${keySettingName} (and check the base URL points at the provider the key belongs to), then restart autofix.`,
      },
      { retryable: false, data: { provider, status, keySettingName, ...(detail ? { detail } : {}) } },
    );
  }
}

export class LlmTimeout extends AutofixError {
  /** timeoutMs undefined: the caller's own time limit (its AbortSignal.timeout) ran out. */
  constructor(provider: Provider, model: string, timeoutMs: number | undefined) {
    super(
      "LLM_TIMEOUT",
      {
        what: `The ${provider} model ${model} did not answer in time.`,
        why:
          timeoutMs === undefined
            ? "The caller's time limit for this request ran out."
            : `No complete response arrived within ${timeoutMs} ms (AUTOFIX_LLM_TIMEOUT_MS).`,
        next: "Try again; for slow or local models raise AUTOFIX_LLM_TIMEOUT_MS.",
      },
      { retryable: true, data: { provider, model, timeoutMs } },
    );
  }
}

/** A 4xx other than auth and rate limits: the request itself is wrong (unknown model, bad parameter). */
export class LlmRequestRejected extends AutofixError {
  constructor(provider: Provider, model: string, status: number, detail: string) {
    super(
      "LLM_REQUEST_REJECTED",
      {
        what: `The ${provider} endpoint rejected the request for model ${model} (HTTP ${status}).`,
        why: detail || "The endpoint gave no reason.",
        next:
          status === 404
            ? "Check the model name (agent.model / gates.*.model or AUTOFIX_*_MODEL) and the base URL (it should end before /chat/completions or /v1/messages)."
            : "Check the model name and the endpoint's supported parameters; a repository can change only the model name.",
      },
      { retryable: false, data: { provider, model, status, detail } },
    );
  }
}

/** A 200 whose body is not the provider's response shape (a proxy's HTML page, a truncated body). */
export class LlmResponseInvalid extends AutofixError {
  /** usage: what the body reported, when it reported any (the provider bills the call all the same). */
  constructor(provider: Provider, model: string, detail: string, usage?: { inputTokens: number; outputTokens: number; costUsd?: number }) {
    super(
      "LLM_RESPONSE_INVALID",
      {
        what: `The ${provider} endpoint answered with something that is not a ${provider} response.`,
        why: detail,
        next: "Check that the base URL points at an endpoint speaking this provider's API (AUTOFIX_LLM_PROVIDER / AUTOFIX_LLM_BASE_URL).",
      },
      { retryable: true, data: { provider, model, detail, ...(usage ? { usage } : {}) } },
    );
  }
}

/** The model declined the task (safety refusal or content filter). */
export class LlmRefused extends AutofixError {
  constructor(provider: Provider, model: string, detail: string) {
    super(
      "LLM_REFUSED",
      {
        what: `The model ${model} refused to answer.`,
        why: detail || `The ${provider} endpoint reported a refusal or a content filter stop.`,
        next: "Read the issue for content a model would decline; rephrase it or handle this issue by hand.",
      },
      { retryable: false, data: { provider, model, detail } },
    );
  }
}

/** Structured output stayed invalid after the one corrective retry. We never guess a value. */
export class LlmOutputInvalid extends AutofixError {
  constructor(model: string, problems: string[], lastText: string) {
    super(
      "LLM_OUTPUT_INVALID",
      {
        what: `The model ${model} did not produce the structured answer autofix asked for.`,
        why: `Two answers in a row failed validation; the last problem: ${problems[problems.length - 1] ?? "unknown"}.`,
        next: "Try again, or configure a stronger model for this role (AUTOFIX_JUDGE_MODEL, gates.*.model).",
      },
      { retryable: true, data: { model, problems, lastText: lastText.slice(0, 2_000) } },
    );
  }
}

/** Settings name an LLM but leave out something it needs. */
export class LlmNotConfigured extends AutofixError {
  constructor(why: string, next: string) {
    super("LLM_SETTINGS_INVALID", { what: "The LLM settings are incomplete or wrong.", why, next }, { retryable: false });
  }
}

/** Remove every occurrence of the key (and its Bearer form) from text quoted in errors or logs. */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join("[redacted]");
}
