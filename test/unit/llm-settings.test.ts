// Which client operator settings produce for the agent and for the judges, and the small parsers around it.
import { describe, expect, it } from "vitest";
import { loadSettings } from "../../src/settings.js";
import { llmFromSettings, parsePrices, resolveLlmSettings } from "../../src/llm/fromSettings.js";
import { LlmNotConfigured } from "../../src/llm/errors.js";
import { backoffMs, parseRetryAfter } from "../../src/llm/http.js";
import { extractJson } from "../../src/llm/structured.js";
import { addUsage } from "../../src/llm/usage.js";
import { adjustForRejection } from "../../src/llm/wire.js";

const settings = (env: Record<string, string>) => loadSettings(env);

describe("llmFromSettings", () => {
  it("returns no client when no LLM is configured", () => {
    expect(llmFromSettings(settings({}), "agent")).toBeUndefined();
    expect(llmFromSettings(settings({}), "judge")).toBeUndefined();
  });

  it("builds the agent's client from AUTOFIX_LLM_*", () => {
    const client = llmFromSettings(settings({ AUTOFIX_LLM_PROVIDER: "anthropic", AUTOFIX_LLM_MODEL: "claude-sonnet-4-5", AUTOFIX_LLM_API_KEY: "k" }), "agent");
    expect(client?.provider).toBe("anthropic");
    expect(client?.defaultModel).toBe("claude-sonnet-4-5");
  });

  it("lets judges fall back to the agent's settings, or use their own model on the same endpoint", () => {
    const base = { AUTOFIX_LLM_PROVIDER: "openai", AUTOFIX_LLM_MODEL: "gpt-4.1", AUTOFIX_LLM_API_KEY: "k", AUTOFIX_LLM_BASE_URL: "http://vllm:8000/v1" };
    expect(resolveLlmSettings(settings(base), "judge")).toEqual({
      provider: "openai",
      model: "gpt-4.1",
      apiKey: "k",
      baseUrl: "http://vllm:8000/v1",
      keySettingName: "AUTOFIX_LLM_API_KEY",
    });
    expect(resolveLlmSettings(settings({ ...base, AUTOFIX_JUDGE_MODEL: "gpt-4.1-mini" }), "judge")).toMatchObject({
      model: "gpt-4.1-mini",
      baseUrl: "http://vllm:8000/v1",
      apiKey: "k",
    });
  });

  it("never sends the agent's key or endpoint to a judge on another provider", () => {
    const resolved = resolveLlmSettings(
      settings({
        AUTOFIX_LLM_PROVIDER: "openai",
        AUTOFIX_LLM_MODEL: "gpt-4.1",
        AUTOFIX_LLM_API_KEY: "openai-key",
        AUTOFIX_LLM_BASE_URL: "http://vllm:8000/v1",
        AUTOFIX_JUDGE_PROVIDER: "anthropic",
        AUTOFIX_JUDGE_MODEL: "claude-haiku-4-5",
      }),
      "judge",
    );
    expect(resolved).toEqual({
      provider: "anthropic",
      model: "claude-haiku-4-5",
      apiKey: undefined,
      baseUrl: undefined,
      keySettingName: "AUTOFIX_JUDGE_API_KEY",
    });
  });

  it("names the missing model setting when the rest is configured", () => {
    expect(() => llmFromSettings(settings({ AUTOFIX_LLM_API_KEY: "k" }), "agent")).toThrow(LlmNotConfigured);
    expect(() => llmFromSettings(settings({ AUTOFIX_LLM_API_KEY: "k" }), "agent")).toThrow(/AUTOFIX_LLM_MODEL/);
  });

  it("rejects a malformed price table with the variable's name", () => {
    expect(() => parsePrices("{oops")).toThrow(/AUTOFIX_LLM_PRICES is not valid JSON/);
    expect(() => parsePrices('{"gpt-4.1": {"input": 2}}')).toThrow(/AUTOFIX_LLM_PRICES does not match/);
    expect(parsePrices('{"gpt-4.1": {"inputPerMTok": 2, "outputPerMTok": 8}}')).toEqual({ "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8 } });
  });
});

describe("retry timing", () => {
  it("reads retry-after as seconds or as an HTTP date, and ignores garbage", () => {
    const now = Date.parse("2026-11-25T18:00:00Z");
    expect(parseRetryAfter("12", now)).toBe(12_000);
    expect(parseRetryAfter("Wed, 25 Nov 2026 18:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 25 Nov 2026 17:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("backs off exponentially with jitter and a cap", () => {
    const policy = { baseDelayMs: 1_000, maxDelayMs: 30_000 };
    expect(backoffMs(0, policy, () => 1)).toBe(1_000);
    expect(backoffMs(3, policy, () => 1)).toBe(8_000);
    expect(backoffMs(3, policy, () => 0)).toBe(4_000);
    expect(backoffMs(10, policy, () => 1)).toBe(30_000);
  });
});

describe("extractJson", () => {
  it("finds the object in plain JSON, in a fence, or between prose", () => {
    expect(extractJson('{"a":1}')).toEqual({ value: { a: 1 } });
    expect(extractJson('Sure!\n```json\n{"a": 2}\n```\nDone.')).toEqual({ value: { a: 2 } });
    expect(extractJson('My answer is {"a": 3} as requested.')).toEqual({ value: { a: 3 } });
  });

  it("finds the object when the prose around it has braces of its own", () => {
    expect(extractJson('The function {lastItems} is fixed. Verdict: {"verdict": "yes", "note": "uses {n} and \\"}\\""} Thanks {!}')).toEqual({
      value: { verdict: "yes", note: 'uses {n} and "}"' },
    });
  });

  it("says why when there is nothing usable", () => {
    expect(extractJson("no braces here")).toEqual({ error: "the answer contains no JSON object." });
    expect(extractJson('{"a": ')).toMatchObject({ error: expect.stringMatching(/not valid JSON/) });
  });
});

describe("adjustForRejection", () => {
  it("reads output caps and context overflows from the providers' own wording, and nothing else", () => {
    expect(adjustForRejection("max_tokens: 8192 > 4096, which is the maximum allowed number of output tokens for claude-3-haiku-20240307", 8192)).toEqual({
      quirks: { maxOutputTokensCap: 4096 },
      maxOutputTokens: 4096,
    });
    expect(
      adjustForRejection(
        "This model's maximum context length is 4096 tokens. However, you requested 4500 tokens (4000 in the messages, 500 in the completion).",
        500,
      ),
    ).toBeUndefined();
    expect(adjustForRejection("Unsupported parameter: 'temperature'", 8192)).toBeUndefined();
  });
});

describe("addUsage", () => {
  it("sums tokens and cost, keeping cost absent when no part was priced", () => {
    expect(addUsage({ inputTokens: 1, outputTokens: 2 }, { inputTokens: 3, outputTokens: 4 })).toEqual({ inputTokens: 4, outputTokens: 6 });
    expect(addUsage({ inputTokens: 1, outputTokens: 2, costUsd: 0.5 }, undefined, { inputTokens: 1, outputTokens: 0, costUsd: 0.25 })).toEqual({
      inputTokens: 2,
      outputTokens: 2,
      costUsd: 0.75,
    });
  });
});
