// The LLM room's public face: build a client, from options or from operator settings, and its typed errors.
export { createLlmClient, type LlmClientOptions } from "./client.js";
export type { LlmLog } from "./http.js";
export { llmFromSettings, resolveLlmSettings, parsePrices } from "./fromSettings.js";
export { LlmAuthFailed, LlmNotConfigured, LlmOutputInvalid, LlmRefused, LlmRequestRejected, LlmResponseInvalid, LlmTimeout, LlmUnavailable } from "./errors.js";
export { addUsage, priceUsage, type PriceTable } from "./usage.js";
export { SpendMeter, SpendCapReached, meteredClient, type SpendTotals, type SpendCaps } from "./meter.js";
export { extractJson } from "./structured.js";
export type * from "./types.js";
