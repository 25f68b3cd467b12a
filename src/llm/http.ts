// One POST to a model endpoint with a per-request timeout, bounded retries (429, 5xx, network) with
// exponential backoff and jitter, `retry-after` honoured up to a cap, and cancellation that stops at once.
import { throwIfAborted } from "../errors.js";
import { LlmAuthFailed, LlmRequestRejected, LlmResponseInvalid, LlmTimeout, LlmUnavailable, redactSecret, type Provider } from "./errors.js";

export interface RetryPolicy {
  /** Retries after the first attempt; attempts = maxRetries + 1. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `retry-after` longer than this means the endpoint is out for a while: give up instead of sleeping. */
  maxRetryAfterMs: number;
  /** Injectable so tests can record the waits instead of sleeping them. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

export interface PostJsonRequest {
  provider: Provider;
  model: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  retry: RetryPolicy;
  /** Redacted from anything quoted back from the endpoint. */
  apiKey?: string;
  /** The setting an operator fixes after a 401/403. */
  keySettingName: string;
  /** Told about each retry (problem already redacted). */
  log?: LlmLog;
}

/** The subset of a pino logger the client uses. */
export interface LlmLog {
  warn(obj: object, msg?: string): void;
}

// 529 is Anthropic's "overloaded". 501/505 say the endpoint will never serve this request.
const retryableStatuses = new Set([408, 409, 425, 429, 529]);
const isRetryableStatus = (status: number) => retryableStatuses.has(status) || (status >= 500 && status !== 501 && status !== 505);

export async function postJson(request: PostJsonRequest): Promise<unknown> {
  const { provider, model, retry, signal } = request;
  const sleep = retry.sleep ?? sleepAbortable;
  const random = retry.random ?? Math.random;
  let lastProblem = "no attempt was made";
  let lastCause: unknown;
  let attempts = 0;
  for (let attempt = 0; attempt <= retry.maxRetries; attempt++) {
    throwIfCallerAborted(signal, provider, model);
    attempts = attempt + 1;
    let waitMs: number | undefined;
    const timeoutSignal = AbortSignal.timeout(request.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeoutSignal]) : timeoutSignal;
    let status: number;
    let bodyText: string;
    let retryAfter: string | null = null;
    try {
      // Raced against the signal as well: not every fetch implementation (or interceptor) honours it.
      const response = await untilAborted(
        fetch(request.url, {
          method: "POST",
          headers: { "content-type": "application/json", ...request.headers },
          body: JSON.stringify(request.body),
          signal: combined,
        }),
        combined,
      );
      status = response.status;
      retryAfter = response.headers.get("retry-after");
      bodyText = await untilAborted(response.text(), combined);
    } catch (err) {
      throwIfCallerAborted(signal, provider, model);
      if (timeoutSignal.aborted) throw new LlmTimeout(provider, model, request.timeoutMs);
      lastProblem = `network error: ${redactSecret(describeNetworkError(err), request.apiKey)}`;
      lastCause = err;
      status = 0;
      bodyText = "";
    }

    if (status >= 200 && status < 300) return parseBody(bodyText, provider, model, request.apiKey);
    if (status === 401 || status === 403) throw new LlmAuthFailed(provider, status, request.keySettingName, errorDetail(bodyText, request.apiKey) || undefined);
    if (status !== 0 && !isRetryableStatus(status)) {
      throw new LlmRequestRejected(provider, model, status, errorDetail(bodyText, request.apiKey));
    }
    if (status !== 0) {
      lastProblem = `HTTP ${status}${errorDetail(bodyText, request.apiKey) ? `: ${errorDetail(bodyText, request.apiKey)}` : ""}`;
      const askedMs = parseRetryAfter(retryAfter, Date.now());
      if (askedMs !== undefined && askedMs > retry.maxRetryAfterMs) {
        lastProblem += ` (asked to wait ${Math.round(askedMs / 1000)} s, more than autofix waits)`;
        break;
      }
      waitMs = askedMs;
    }
    if (attempt === retry.maxRetries) break;
    waitMs ??= backoffMs(attempt, retry, random);
    request.log?.warn({ provider, model, attempt: attempts, problem: lastProblem, waitMs }, "LLM request failed; retrying");
    try {
      await sleep(waitMs, signal);
    } catch (err) {
      throwIfCallerAborted(signal, provider, model);
      throw err;
    }
  }
  throw new LlmUnavailable(provider, model, attempts, lastProblem, lastCause);
}

/** Exponential backoff with jitter: base·2^attempt, capped, then scaled into [50%, 100%]. */
export function backoffMs(attempt: number, retry: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">, random: () => number): number {
  const exponential = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
  return Math.round(exponential * (0.5 + random() / 2));
}

/** `retry-after` as delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** Cancellation as the job's error; a caller's AbortSignal.timeout running out reads as a timeout, not a cancel. */
function throwIfCallerAborted(signal: AbortSignal | undefined, provider: Provider, model: string): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  if (reason instanceof DOMException && reason.name === "TimeoutError") throw new LlmTimeout(provider, model, undefined);
  throwIfAborted(signal);
}

export function sleepAbortable(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function parseBody(text: string, provider: Provider, model: string, apiKey?: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const start = redactSecret(text.slice(0, 200), apiKey).replace(/\s+/g, " ");
    throw new LlmResponseInvalid(provider, model, `The body is not JSON (it starts with "${start}").`);
  }
}

/** The provider's own error message when the body has one (both APIs use `error.message`). */
function errorDetail(text: string, apiKey?: string): string {
  let detail = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === "string") detail = parsed.error;
    else if (typeof parsed.error?.message === "string") detail = parsed.error.message;
    else if (typeof parsed.message === "string") detail = parsed.message;
  } catch {
    // not JSON: quote the start of the body
  }
  return redactSecret(detail.replace(/\s+/g, " ").trim().slice(0, 500), apiKey);
}

function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? ` (${cause.message})` : "";
    return `${err.message}${causeText}`;
  }
  return String(err);
}
