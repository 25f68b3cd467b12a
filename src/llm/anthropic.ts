// Anthropic Messages wire format. https://docs.anthropic.com/en/api/messages
import { z } from "zod";
import type { ChatMessage, CompletionRequest, ToolCall } from "./types.js";
import { joinUrl, parseToolArguments, type WireFormat, type WireQuirks, type WireResult } from "./wire.js";

/** The Messages API requires max_tokens; this is used when a request sets none. */
export const anthropicDefaultMaxTokens = 4_096;

const blockSchema = z.looseObject({ type: z.string() });
const textBlockSchema = z.object({ type: z.literal("text"), text: z.string() });
const toolUseBlockSchema = z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown() });

const responseSchema = z.object({
  model: z.string().optional(),
  content: z.array(blockSchema),
  stop_reason: z.string().nullish(),
  usage: z
    .object({
      input_tokens: z.number().nullish(),
      output_tokens: z.number().nullish(),
      cache_creation_input_tokens: z.number().nullish(),
      cache_read_input_tokens: z.number().nullish(),
    })
    .nullish(),
});

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: "user" | "assistant";
  content: Block[];
}

/** Tool results travel in user messages; consecutive same-role turns merge so roles alternate. */
function toAnthropicMessages(messages: ChatMessage[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  const push = (role: "user" | "assistant", blocks: Block[]) => {
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const message of messages) {
    if (message.role === "tool") {
      push("user", [{ type: "tool_result", tool_use_id: message.toolCallId, content: message.content, ...(message.isError ? { is_error: true } : {}) }]);
    } else if (message.role === "assistant") {
      const blocks: Block[] = [];
      if (message.content) blocks.push({ type: "text", text: message.content });
      for (const call of message.toolCalls ?? []) {
        blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments });
      }
      // The API rejects an empty assistant turn.
      if (blocks.length === 0) blocks.push({ type: "text", text: "(no text)" });
      push("assistant", blocks);
    } else {
      push("user", [{ type: "text", text: message.content }]);
    }
  }
  return out;
}

function toolsOf(request: CompletionRequest) {
  return request.tools?.length ? { tools: request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })) } : {};
}

export const anthropicWire: WireFormat = {
  provider: "anthropic",
  defaultBaseUrl: "https://api.anthropic.com",
  cacheMultipliers: { write: 1.25, read: 0.1 },
  defaultMaxOutputTokens: anthropicDefaultMaxTokens,

  // Operators often paste the base with `/v1`; accept both forms.
  endpoint: (baseUrl) => joinUrl(baseUrl.replace(/\/v1\/?$/, ""), "/v1/messages"),

  headers: (apiKey) => ({ "anthropic-version": "2023-06-01", ...(apiKey ? { "x-api-key": apiKey } : {}) }),

  body(request: CompletionRequest, model: string, quirks: WireQuirks) {
    const messages = toAnthropicMessages(request.messages);
    if (quirks.noCacheControl) {
      return { model, system: request.system, messages, max_tokens: request.maxOutputTokens ?? anthropicDefaultMaxTokens, ...toolsOf(request) };
    }
    // Prompt caching: a breakpoint after the system prompt (tools + system) and one on the newest block, so
    // each turn of an agent conversation re-reads the previous turns at a tenth of the input price.
    // https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching
    const lastMessage = messages[messages.length - 1];
    if (lastMessage) {
      const lastBlock = lastMessage.content[lastMessage.content.length - 1];
      lastMessage.content[lastMessage.content.length - 1] = { ...lastBlock, cache_control: { type: "ephemeral" } };
    }
    return {
      model,
      system: [{ type: "text", text: request.system, cache_control: { type: "ephemeral" } }],
      messages,
      max_tokens: request.maxOutputTokens ?? anthropicDefaultMaxTokens,
      ...toolsOf(request),
    };
  },

  quirkFor(detail: string, quirks: WireQuirks) {
    if (!quirks.noCacheControl && /cache_control/.test(detail)) return { noCacheControl: true };
    return undefined;
  },

  parse(json: unknown, requestedModel: string): WireResult | string {
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) return `It is not a Messages API response: ${parsed.error.issues[0]?.message ?? "unknown shape"}.`;
    const response = parsed.data;
    const texts: string[] = [];
    const toolCalls: ToolCall[] = [];
    for (const block of response.content) {
      const text = textBlockSchema.safeParse(block);
      if (text.success) texts.push(text.data.text);
      const toolUse = toolUseBlockSchema.safeParse(block);
      if (toolUse.success) toolCalls.push(parseToolArguments(toolUse.data.id, toolUse.data.name, toolUse.data.input));
    }
    const stop = response.stop_reason ?? "";
    const stopReason =
      stop === "refusal"
        ? "refusal"
        : stop === "max_tokens"
          ? "max_tokens"
          : stop === "tool_use" || toolCalls.length > 0
            ? "tool_calls"
            : stop === "end_turn" || stop === "stop_sequence"
              ? "end"
              : "other";
    const usage = response.usage;
    return {
      text: texts.join("\n"),
      toolCalls,
      stopReason,
      refusalDetail: stopReason === "refusal" ? texts.join("\n") || "The model stopped with a refusal." : undefined,
      // Cached prompt tokens are still input the job consumed (they count against token budgets); the price
      // differs, so they are reported apart as well.
      inputTokens: (usage?.input_tokens ?? 0) + (usage?.cache_creation_input_tokens ?? 0) + (usage?.cache_read_input_tokens ?? 0),
      cacheWriteTokens: usage?.cache_creation_input_tokens ?? 0,
      cacheReadTokens: usage?.cache_read_input_tokens ?? 0,
      outputTokens: usage?.output_tokens ?? 0,
      model: response.model ?? requestedModel,
    };
  },
};
