// OpenAI-compatible chat completions wire format (OpenAI, vLLM, Ollama, LM Studio, OpenRouter, gateways).
// https://platform.openai.com/docs/api-reference/chat/create
import { z } from "zod";
import type { CompletionRequest, ToolCall } from "./types.js";
import { joinUrl, parseToolArguments, type WireFormat, type WireQuirks, type WireResult } from "./wire.js";

const toolCallSchema = z.object({
  id: z.string(),
  type: z.string().optional(),
  function: z.object({
    name: z.string(),
    // Some compatible servers send the arguments as an object instead of a JSON string.
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
  }),
});

const responseSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        finish_reason: z.string().nullish(),
        message: z.object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z.array(toolCallSchema).nullish(),
        }),
      }),
    )
    .min(1),
  usage: z
    .object({
      prompt_tokens: z.number().nullish(),
      completion_tokens: z.number().nullish(),
      prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
    })
    .nullish(),
});

export const openaiWire: WireFormat = {
  provider: "openai",
  defaultBaseUrl: "https://api.openai.com/v1",
  cacheMultipliers: { write: 1, read: 1 },

  endpoint: (baseUrl) => joinUrl(baseUrl, "/chat/completions"),

  headers: (apiKey): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {}),

  body(request: CompletionRequest, model: string, quirks: WireQuirks) {
    const messages: unknown[] = [{ role: "system", content: request.system }];
    for (const message of request.messages) {
      if (message.role === "tool") {
        messages.push({ role: "tool", tool_call_id: message.toolCallId, content: message.content });
      } else if (message.role === "assistant" && message.toolCalls?.length) {
        messages.push({
          role: "assistant",
          content: message.content || null,
          tool_calls: message.toolCalls.map((call) => ({
            id: call.id,
            type: "function",
            function: { name: call.name, arguments: JSON.stringify(call.arguments) },
          })),
        });
      } else {
        messages.push({ role: message.role, content: message.content });
      }
    }
    return {
      model,
      messages,
      ...(request.tools?.length
        ? {
            tools: request.tools.map((tool) => ({
              type: "function",
              function: { name: tool.name, description: tool.description, parameters: tool.parameters },
            })),
          }
        : {}),
      // `max_tokens` first: every compatible server understands it; OpenAI's reasoning models refuse it.
      ...(request.maxOutputTokens
        ? quirks.maxCompletionTokens
          ? { max_completion_tokens: request.maxOutputTokens }
          : { max_tokens: request.maxOutputTokens }
        : {}),
    };
  },

  quirkFor(detail: string, quirks: WireQuirks) {
    if (!quirks.maxCompletionTokens && /max_completion_tokens/.test(detail)) return { maxCompletionTokens: true };
    return undefined;
  },

  parse(json: unknown, requestedModel: string): WireResult | string {
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) return `It is not a chat completion: ${parsed.error.issues[0]?.message ?? "unknown shape"}.`;
    const response = parsed.data;
    const choice = response.choices[0];
    const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).map((call) => parseToolArguments(call.id, call.function.name, call.function.arguments));
    const refusal = choice.message.refusal ?? undefined;
    const finish = choice.finish_reason ?? "";
    const stopReason =
      refusal || finish === "content_filter"
        ? "refusal"
        : finish === "length"
          ? "max_tokens"
          : toolCalls.length > 0 || finish === "tool_calls" || finish === "function_call"
            ? "tool_calls"
            : finish === "stop"
              ? "end"
              : "other";
    return {
      text: choice.message.content ?? "",
      toolCalls,
      stopReason,
      refusalDetail: refusal || (finish === "content_filter" ? "The endpoint's content filter stopped the answer." : undefined),
      inputTokens: response.usage?.prompt_tokens ?? 0,
      cacheReadTokens: response.usage?.prompt_tokens_details?.cached_tokens ?? 0,
      outputTokens: response.usage?.completion_tokens ?? 0,
      model: response.model ?? requestedModel,
    };
  },
};
