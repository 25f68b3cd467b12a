// What a provider's wire format must provide: where to POST, which headers, how to encode a request and
// decode a response. The client adds transport, retries, usage and cost around it.
import type { CompletionRequest, StopReason, ToolCall } from "./types.js";
import type { Provider } from "./errors.js";

export interface WireResult {
  text: string;
  toolCalls: ToolCall[];
  stopReason: StopReason;
  /** The provider's own words when it refused. */
  refusalDetail?: string;
  /** All input tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** Of inputTokens: written to / read from the provider's prompt cache (priced differently). */
  cacheWriteTokens?: number;
  cacheReadTokens?: number;
  model: string;
}

/** Differences between servers of one wire format, learnt from their rejections. */
export interface WireQuirks {
  /** OpenAI reasoning models refuse `max_tokens` and want `max_completion_tokens`. */
  maxCompletionTokens?: boolean;
  /** The model's largest output, learnt from a rejection naming it. */
  maxOutputTokensCap?: number;
  /** An Anthropic-compatible gateway that rejects prompt-cache breakpoints. */
  noCacheControl?: boolean;
}

/**
 * What to change after a 400 that names a token limit, or undefined when nothing would help.
 * A model's output cap is remembered; a context overflow (vLLM and friends) only shrinks this request.
 */
export function adjustForRejection(
  detail: string,
  sentMaxOutputTokens: number | undefined,
): { quirks?: Partial<WireQuirks>; maxOutputTokens?: number } | undefined {
  // OpenAI: "...supports at most 4096 completion tokens..."; Anthropic: "max_tokens: 8192 > 4096, which is the maximum allowed..."
  const cap = /at most (\d+) completion tokens/i.exec(detail) ?? /max_tokens: \d+ > (\d+)/i.exec(detail);
  if (cap && sentMaxOutputTokens !== undefined && Number(cap[1]) < sentMaxOutputTokens) {
    return { quirks: { maxOutputTokensCap: Number(cap[1]) }, maxOutputTokens: Number(cap[1]) };
  }
  // vLLM: "maximum context length is 8192 tokens. However, you requested 9000 tokens (808 in the messages, 8192 in the completion)"
  const context = /maximum context length is (\d+) tokens[\s\S]*?\((\d+) in the messages/i.exec(detail);
  if (context) {
    const room = Number(context[1]) - Number(context[2]) - 16;
    if (room >= 256 && (sentMaxOutputTokens === undefined || room < sentMaxOutputTokens)) return { maxOutputTokens: room };
  }
  return undefined;
}

export interface WireFormat {
  provider: Provider;
  defaultBaseUrl: string;
  /** Output tokens asked for when a request names none (Anthropic requires a number). */
  defaultMaxOutputTokens?: number;
  /** Cache prices as multiples of the input price, when the price table gives none. */
  cacheMultipliers: { write: number; read: number };
  endpoint(baseUrl: string): string;
  headers(apiKey: string | undefined): Record<string, string>;
  body(request: CompletionRequest, model: string, quirks: WireQuirks): unknown;
  /** A quirk to switch on after the endpoint rejected a request with this detail, if one would help. */
  quirkFor?(rejectionDetail: string, quirks: WireQuirks): Partial<WireQuirks> | undefined;
  /** The decoded completion, or a sentence saying why the body is not one. */
  parse(json: unknown, requestedModel: string): WireResult | string;
}

/** Append a path to a base URL, keeping its query (Azure-style `?api-version=`) and avoiding `//`. */
export function joinUrl(baseUrl: string, path: string): string {
  const url = new URL(baseUrl);
  url.pathname = url.pathname.replace(/\/+$/, "") + path;
  return url.toString();
}

/** Tool arguments arrive as a JSON string (OpenAI) or an object (Anthropic, some compatible servers). */
export function parseToolArguments(id: string, name: string, raw: unknown): ToolCall {
  if (raw === undefined || raw === null || raw === "") return { id, name, arguments: {} };
  if (typeof raw === "object" && !Array.isArray(raw)) return { id, name, arguments: raw as Record<string, unknown> };
  if (typeof raw === "string") {
    try {
      const value: unknown = JSON.parse(raw);
      if (value && typeof value === "object" && !Array.isArray(value)) {
        return { id, name, arguments: value as Record<string, unknown> };
      }
      return { id, name, arguments: {}, argumentsError: "The arguments must be a JSON object." };
    } catch (err) {
      return { id, name, arguments: {}, argumentsError: `The arguments are not valid JSON: ${(err as Error).message}` };
    }
  }
  return { id, name, arguments: {}, argumentsError: "The arguments must be a JSON object." };
}
