// Structured output over both wire formats: a zod schema in, a typed value out, one corrective turn, then a typed error.
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createLlmClient } from "../../src/llm/client.js";
import { LlmOutputInvalid, LlmRefused } from "../../src/llm/errors.js";
import type { Usage } from "../../src/llm/types.js";

const verdictSchema = z.object({
  verdict: z.enum(["yes", "partly", "no", "unsure"]),
  confidence: z.number().min(0).max(1),
  reasons: z.array(z.string()),
});

const openaiAnswer = (content: string, tokens = { prompt: 500, completion: 40 }, finish = "stop") => ({
  id: "chatcmpl-C1",
  object: "chat.completion",
  created: 1764095531,
  model: "gpt-4.1-mini-2025-04-14",
  choices: [{ index: 0, message: { role: "assistant", content, refusal: null, annotations: [] }, logprobs: null, finish_reason: finish }],
  usage: { prompt_tokens: tokens.prompt, completion_tokens: tokens.completion, total_tokens: tokens.prompt + tokens.completion },
});

const anthropicAnswer = (text: string, stop = "end_turn") => ({
  id: "msg_01",
  type: "message",
  role: "assistant",
  model: "claude-haiku-4-5-20251001",
  content: [{ type: "text", text }],
  stop_reason: stop,
  stop_sequence: null,
  usage: { input_tokens: 300, output_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
});

const judge = (onUsage?: (u: Usage, m: string) => void) =>
  createLlmClient({
    provider: "openai",
    apiKey: "sk-judge",
    model: "gpt-4.1-mini",
    retry: { baseDelayMs: 1 },
    prices: { "gpt-4.1-mini": { inputPerMTok: 0.4, outputPerMTok: 1.6 } },
    onUsage,
  });

afterEach(() => nock.cleanAll());

describe("structured output", () => {
  it("describes the schema in the system prompt and returns the typed value from a ```json fence", async () => {
    let system = "";
    const scope = nock("https://api.openai.com")
      .post("/v1/chat/completions", (body) => ((system = body.messages[0].content), true))
      .reply(200, openaiAnswer('Here is my verdict:\n```json\n{"verdict": "yes", "confidence": 0.92, "reasons": ["fixes the slice"]}\n```'));
    const result = await judge().structured(verdictSchema, { system: "You judge diffs.", prompt: "Does the diff fix the issue?" });
    scope.done();
    expect(result.value).toEqual({ verdict: "yes", confidence: 0.92, reasons: ["fixes the slice"] });
    expect(result.model).toBe("gpt-4.1-mini-2025-04-14");
    expect(system).toMatch(/^You judge diffs\./);
    expect(system).toMatch(/single JSON object/);
    expect(system).toContain('"verdict"');
    expect(system).toContain('"partly"');
  });

  it("shows the model its schema error once, accepts the corrected answer and sums usage of both calls", async () => {
    const bodies: any[] = [];
    const scope = nock("https://api.openai.com")
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .reply(200, openaiAnswer('{"verdict": "maybe", "confidence": 1.5, "reasons": []}', { prompt: 500, completion: 20 }))
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .reply(200, openaiAnswer('{"verdict": "unsure", "confidence": 0.5, "reasons": []}', { prompt: 600, completion: 25 }));
    const seen: Usage[] = [];
    const result = await judge((u) => seen.push(u)).structured(verdictSchema, { system: "s", prompt: "judge" });
    scope.done();
    expect(result.value.verdict).toBe("unsure");
    const correction = bodies[1].messages;
    expect(correction[2]).toEqual({ role: "assistant", content: '{"verdict": "maybe", "confidence": 1.5, "reasons": []}' });
    expect(correction[3].content).toMatch(/does not match the schema/);
    expect(correction[3].content).toMatch(/verdict/);
    expect(correction[3].content).toMatch(/confidence/);
    expect(result.usage.inputTokens).toBe(1100);
    expect(result.usage.outputTokens).toBe(45);
    expect(result.usage.costUsd).toBeCloseTo((1100 * 0.4 + 45 * 1.6) / 1_000_000, 12);
    expect(seen).toHaveLength(2);
  });

  it("repairs an answer that is not JSON at all", async () => {
    const bodies: any[] = [];
    nock("https://api.openai.com")
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .reply(200, openaiAnswer("I think the diff looks fine overall."))
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .reply(200, openaiAnswer('{"verdict": "yes", "confidence": 0.8, "reasons": ["ok"]}'));
    const result = await judge().structured(verdictSchema, { system: "s", prompt: "judge" });
    expect(result.value.confidence).toBe(0.8);
    expect(bodies[1].messages[3].content).toMatch(/no JSON object/);
  });

  it("throws LlmOutputInvalid after two invalid answers instead of guessing", async () => {
    const scope = nock("https://api.openai.com")
      .post("/v1/chat/completions")
      .reply(200, openaiAnswer('{"verdict": "yes", "confidence": "high"'))
      .post("/v1/chat/completions")
      .reply(200, openaiAnswer('{"verdict": "yes", "confidence": "high", "reasons": []}'));
    const error = await judge()
      .structured(verdictSchema, { system: "s", prompt: "judge" })
      .catch((e: unknown) => e);
    scope.done();
    expect(error).toBeInstanceOf(LlmOutputInvalid);
    const problems = (error as LlmOutputInvalid).data.problems as string[];
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/not valid JSON/);
    expect(problems[1]).toMatch(/confidence/);
  });

  it("asks for a shorter answer when the first one was cut off at the token limit", async () => {
    const bodies: any[] = [];
    nock("https://api.openai.com")
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .reply(200, openaiAnswer('{"verdict": "yes", "confidence": 0.9, "reasons": ["a very long', undefined, "length"))
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .reply(200, openaiAnswer('{"verdict": "yes", "confidence": 0.9, "reasons": []}'));
    await judge().structured(verdictSchema, { system: "s", prompt: "judge", maxOutputTokens: 64 });
    expect(bodies[1].messages[3].content).toMatch(/cut off/);
    expect(bodies[0].max_tokens).toBe(64);
  });

  it("throws LlmRefused when the model refuses, without a corrective retry", async () => {
    const scope = nock("https://api.anthropic.com").post("/v1/messages").reply(200, anthropicAnswer("I can't help with that.", "refusal"));
    const client = createLlmClient({ provider: "anthropic", apiKey: "k-anthropic", model: "claude-haiku-4-5" });
    const error = await client.structured(verdictSchema, { system: "s", prompt: "judge" }).catch((e: unknown) => e);
    scope.done();
    expect(error).toBeInstanceOf(LlmRefused);
    expect((error as LlmRefused).code).toBe("LLM_REFUSED");
  });

  it("works over the Anthropic wire format with a per-request model chosen by the repository", async () => {
    let sent: any;
    nock("https://api.anthropic.com")
      .post("/v1/messages", (body) => ((sent = body), true))
      .reply(200, anthropicAnswer('{"verdict": "no", "confidence": 0.75, "reasons": ["touches unrelated files"]}'));
    const client = createLlmClient({ provider: "anthropic", apiKey: "k-anthropic", model: "claude-haiku-4-5" });
    const result = await client.structured(verdictSchema, { system: "s", prompt: "judge", model: "claude-opus-4-1" });
    expect(sent.model).toBe("claude-opus-4-1");
    expect(result.value).toEqual({ verdict: "no", confidence: 0.75, reasons: ["touches unrelated files"] });
  });
});
