// The LLM client's contract, shared by the built-in agent and the semantic and review gates.
import type { z } from "zod";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Present when a price table is configured for the model. */
  costUsd?: number;
}

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  /** Parsed JSON arguments (invalid JSON arrives as {} with `argumentsError`). */
  arguments: Record<string, unknown>;
  argumentsError?: string;
}

export type ChatMessage =
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ToolCall[] }
  | {
      role: "tool";
      toolCallId: string;
      name: string;
      content: string;
      /** The tool refused or failed; Anthropic receives it as `is_error` so the model treats it as one. */
      isError?: boolean;
    };

export interface CompletionRequest {
  system: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  maxOutputTokens?: number;
  model?: string;
  signal?: AbortSignal;
}

export type StopReason = "end" | "tool_calls" | "max_tokens" | "refusal" | "other";

export interface Completion {
  text: string;
  toolCalls: ToolCall[];
  stopReason: StopReason;
  usage: Usage;
  model: string;
}

export interface LlmClient {
  readonly provider: "openai" | "anthropic";
  /** The model used when a request names none. */
  readonly defaultModel: string;
  complete(request: CompletionRequest): Promise<Completion>;
  /** A zod schema in, a typed value out; one corrective retry, then a typed error. */
  structured<T>(
    schema: z.ZodType<T>,
    request: { system: string; prompt: string; model?: string; signal?: AbortSignal; maxOutputTokens?: number },
  ): Promise<{ value: T; usage: Usage; model: string }>;
}
