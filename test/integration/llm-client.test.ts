// The LLM client against recorded-shape responses of both APIs, served by nock over global fetch.
import { readFileSync } from "node:fs";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { JobCancelled } from "../../src/errors.js";
import { createLlmClient, type LlmClientOptions } from "../../src/llm/client.js";
import { LlmAuthFailed, LlmRequestRejected, LlmResponseInvalid, LlmTimeout, LlmUnavailable } from "../../src/llm/errors.js";
import type { Usage } from "../../src/llm/types.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/llm/${name}`, import.meta.url), "utf8"));
const apiKey = "sk-test-0123456789abcdefsecret";

function recordingRetry() {
  const waits: number[] = [];
  return { waits, retry: { sleep: async (ms: number) => void waits.push(ms), baseDelayMs: 10, random: () => 1 } };
}

function openai(extra: Partial<LlmClientOptions> = {}) {
  return createLlmClient({ provider: "openai", apiKey, model: "gpt-4.1", retry: { baseDelayMs: 1 }, ...extra });
}
function anthropic(extra: Partial<LlmClientOptions> = {}) {
  return createLlmClient({ provider: "anthropic", apiKey, model: "claude-sonnet-4-5", retry: { baseDelayMs: 1 }, ...extra });
}

afterEach(() => nock.cleanAll());

describe("OpenAI-compatible chat completions", () => {
  it("sends the system prompt and messages with a bearer key and returns text, usage and the served model", async () => {
    let sent: Record<string, any> = {};
    const scope = nock("https://api.openai.com")
      .matchHeader("authorization", `Bearer ${apiKey}`)
      .post("/v1/chat/completions", (body) => ((sent = body), true))
      .reply(200, fixture("openai-text.json"));
    const completion = await openai().complete({ system: "You fix bugs.", messages: [{ role: "user", content: "Why?" }] });
    scope.done();
    expect(sent.model).toBe("gpt-4.1");
    expect(sent.messages).toEqual([
      { role: "system", content: "You fix bugs." },
      { role: "user", content: "Why?" },
    ]);
    expect(completion.text).toMatch(/off-by-one/);
    expect(completion.stopReason).toBe("end");
    expect(completion.model).toBe("gpt-4.1-2025-04-14");
    expect(completion.usage).toEqual({ inputTokens: 812, outputTokens: 41 });
  });

  it("uses a custom base URL (vLLM, Ollama, gateways) and keeps its query string", async () => {
    const scope = nock("http://llm.internal:8000")
      .post("/openai/v1/chat/completions")
      .query({ "api-version": "2024-10-21" })
      .reply(200, fixture("openai-text.json"));
    await openai({ baseUrl: "http://llm.internal:8000/openai/v1/?api-version=2024-10-21" }).complete({
      system: "s",
      messages: [{ role: "user", content: "u" }],
    });
    scope.done();
  });

  it("offers tools as functions, replays tool history with JSON-string arguments and parses tool calls", async () => {
    let sent: Record<string, any> = {};
    const scope = nock("https://api.openai.com")
      .post("/v1/chat/completions", (body) => ((sent = body), true))
      .reply(200, fixture("openai-tool-calls.json"));
    const completion = await openai().complete({
      system: "s",
      messages: [
        { role: "user", content: "Fix the bug." },
        { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "list_files", arguments: { dir: "." } }] },
        { role: "tool", toolCallId: "call_1", name: "list_files", content: "src/list.js" },
      ],
      tools: [{ name: "read_file", description: "Read a file", parameters: { type: "object", properties: { path: { type: "string" } } } }],
      maxOutputTokens: 1000,
    });
    scope.done();
    expect(sent.tools).toEqual([
      {
        type: "function",
        function: { name: "read_file", description: "Read a file", parameters: { type: "object", properties: { path: { type: "string" } } } },
      },
    ]);
    expect(sent.max_tokens).toBe(1000);
    expect(sent.messages[2]).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "list_files", arguments: '{"dir":"."}' } }],
    });
    expect(sent.messages[3]).toEqual({ role: "tool", tool_call_id: "call_1", content: "src/list.js" });
    expect(completion.stopReason).toBe("tool_calls");
    expect(completion.toolCalls).toEqual([
      { id: "call_Qm1dT5aY9hF3nKx2LrV8wE0c", name: "read_file", arguments: { path: "src/list.js", start_line: 1, end_line: 40 } },
      { id: "call_7bW2pZcN4sJ6vT1qXy3mK9aD", name: "search", arguments: { pattern: "lastItems" } },
    ]);
  });

  it("hands over a tool call with broken JSON arguments as empty arguments plus the parse error", async () => {
    nock("https://api.openai.com").post("/v1/chat/completions").reply(200, fixture("openai-tool-call-bad-arguments.json"));
    const completion = await openai().complete({ system: "s", messages: [{ role: "user", content: "u" }] });
    expect(completion.toolCalls[0]).toMatchObject({ name: "read_file", arguments: {} });
    expect(completion.toolCalls[0].argumentsError).toMatch(/not valid JSON/);
  });

  it("reports a refusal and a content-filter stop as refusals, and a length stop as max_tokens", async () => {
    nock("https://api.openai.com")
      .post("/v1/chat/completions")
      .reply(200, fixture("openai-refusal.json"))
      .post("/v1/chat/completions")
      .reply(200, fixture("openai-content-filter.json"))
      .post("/v1/chat/completions")
      .reply(200, fixture("openai-length.json"));
    const client = openai();
    const request = { system: "s", messages: [{ role: "user" as const, content: "u" }] };
    expect((await client.complete(request)).stopReason).toBe("refusal");
    expect((await client.complete(request)).stopReason).toBe("refusal");
    expect((await client.complete(request)).stopReason).toBe("max_tokens");
  });

  it("waits out a 429 storm as long as retry-after says, then returns the answer", async () => {
    const { waits, retry } = recordingRetry();
    const scope = nock("https://api.openai.com")
      .post("/v1/chat/completions")
      .times(3)
      .reply(429, fixture("openai-error-429.json"), { "retry-after": "2" })
      .post("/v1/chat/completions")
      .reply(200, fixture("openai-text.json"));
    const completion = await openai({ retry }).complete({ system: "s", messages: [{ role: "user", content: "u" }] });
    scope.done();
    expect(completion.text).toMatch(/off-by-one/);
    expect(waits).toEqual([2000, 2000, 2000]);
  });

  it("reads retry-after given as an HTTP date", async () => {
    const { waits, retry } = recordingRetry();
    const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
    nock("https://api.openai.com")
      .post("/v1/chat/completions")
      .reply(429, fixture("openai-error-429.json"), { "retry-after": inFiveSeconds })
      .post("/v1/chat/completions")
      .reply(200, fixture("openai-text.json"));
    await openai({ retry }).complete({ system: "s", messages: [{ role: "user", content: "u" }] });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(3_000);
    expect(waits[0]).toBeLessThanOrEqual(5_000);
  });

  it("logs each retry for the operator without the key", async () => {
    const { retry } = recordingRetry();
    const lines: [object, string | undefined][] = [];
    nock("https://api.openai.com")
      .post("/v1/chat/completions")
      .reply(503, { error: { message: `upstream overloaded (key ${apiKey})` } })
      .post("/v1/chat/completions")
      .reply(200, fixture("openai-text.json"));
    await openai({ retry, log: { warn: (obj, msg) => lines.push([obj, msg]) } }).complete({ system: "s", messages: [{ role: "user", content: "u" }] });
    expect(lines).toHaveLength(1);
    expect(lines[0][1]).toBe("LLM request failed; retrying");
    expect(lines[0][0]).toMatchObject({ provider: "openai", model: "gpt-4.1", attempt: 1, waitMs: 10 });
    expect(JSON.stringify(lines)).toContain("upstream overloaded (key [redacted])");
    expect(JSON.stringify(lines)).not.toContain(apiKey);
  });

  it("gives up with a retryable LlmUnavailable after bounded attempts when the 429s never stop", async () => {
    const { waits, retry } = recordingRetry();
    const scope = nock("https://api.openai.com").post("/v1/chat/completions").times(4).reply(429, fixture("openai-error-429.json"), { "retry-after": "1" });
    const error = await openai({ retry, maxRetries: 3 })
      .complete({ system: "s", messages: [{ role: "user", content: "u" }] })
      .catch((e: unknown) => e);
    scope.done();
    expect(error).toBeInstanceOf(LlmUnavailable);
    expect(error).toMatchObject({ code: "LLM_UNAVAILABLE", retryable: true, data: { attempts: 4 } });
    expect((error as Error).message).toMatch(/HTTP 429: Rate limit reached/);
    expect(waits).toEqual([1000, 1000, 1000]);
  });

  it("does not sleep through a retry-after longer than it is willing to wait", async () => {
    const { waits, retry } = recordingRetry();
    nock("https://api.openai.com").post("/v1/chat/completions").reply(429, fixture("openai-error-429.json"), { "retry-after": "3600" });
    const error = await openai({ retry })
      .complete({ system: "s", messages: [{ role: "user", content: "u" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmUnavailable);
    expect((error as Error).message).toMatch(/asked to wait 3600 s/);
    expect(waits).toEqual([]);
  });

  it("retries 5xx and network errors with growing backoff", async () => {
    const { waits, retry } = recordingRetry();
    const scope = nock("https://api.openai.com")
      .post("/v1/chat/completions")
      .reply(500, fixture("openai-error-500.json"))
      .post("/v1/chat/completions")
      .replyWithError({ code: "ECONNRESET", message: "socket hang up" })
      .post("/v1/chat/completions")
      .reply(503, "<html>upstream unavailable</html>")
      .post("/v1/chat/completions")
      .reply(200, fixture("openai-text.json"));
    await openai({ retry }).complete({ system: "s", messages: [{ role: "user", content: "u" }] });
    scope.done();
    expect(waits).toEqual([10, 20, 40]);
  });

  it("stops at once on a 401 and names the setting to fix, never the key", async () => {
    nock("https://api.openai.com").post("/v1/chat/completions").reply(401, fixture("openai-error-401.json"));
    const error = await openai({ keySettingName: "AUTOFIX_JUDGE_API_KEY" })
      .complete({ system: "s", messages: [{ role: "user", content: "u" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmAuthFailed);
    expect((error as Error).message).toMatch(/AUTOFIX_JUDGE_API_KEY/);
    expect(JSON.stringify(error) + (error as Error).message).not.toContain(apiKey);
  });

  it("quotes the endpoint's reason for a rejected request with the key redacted", async () => {
    nock("https://api.openai.com")
      .post("/v1/chat/completions")
      .reply(400, { error: { message: `Unsupported parameter 'max_tokens' for key ${apiKey}`, type: "invalid_request_error" } })
      .post("/v1/chat/completions")
      .reply(404, fixture("openai-error-404-model.json"));
    const client = openai();
    const rejected = await client.complete({ system: "s", messages: [{ role: "user", content: "u" }] }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(LlmRequestRejected);
    expect((rejected as Error).message).toMatch(/Unsupported parameter 'max_tokens' for key \[redacted\]/);
    expect(JSON.stringify((rejected as LlmRequestRejected).data)).not.toContain(apiKey);
    const missingModel = await client.complete({ system: "s", messages: [{ role: "user", content: "u" }], model: "gpt-9-imaginary" }).catch((e: unknown) => e);
    expect((missingModel as LlmRequestRejected).explanation.next).toMatch(/model name/);
  });

  it("switches to max_completion_tokens for a model that refuses max_tokens, and remembers it", async () => {
    const bodies: any[] = [];
    const scope = nock("https://api.openai.com")
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .reply(400, {
        error: {
          message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
          type: "invalid_request_error",
          param: "max_tokens",
          code: "unsupported_parameter",
        },
      })
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .times(2)
      .reply(200, fixture("openai-text.json"));
    const client = openai({ model: "o3" });
    const request = { system: "s", messages: [{ role: "user" as const, content: "u" }], maxOutputTokens: 300 };
    await client.complete(request);
    await client.complete(request);
    scope.done();
    expect(bodies.map((b) => [b.max_tokens, b.max_completion_tokens])).toEqual([
      [300, undefined],
      [undefined, 300],
      [undefined, 300],
    ]);
  });

  it("learns a model's output cap from its rejection and keeps to it", async () => {
    const bodies: any[] = [];
    const scope = nock("https://api.openai.com")
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .reply(400, {
        error: {
          message: "max_tokens is too large: 8192. This model supports at most 4096 completion tokens, whereas you provided 8192.",
          type: "invalid_request_error",
          param: "max_tokens",
          code: "invalid_value",
        },
      })
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .times(2)
      .reply(200, fixture("openai-text.json"));
    const client = openai({ model: "gpt-4-turbo" });
    const request = { system: "s", messages: [{ role: "user" as const, content: "u" }], maxOutputTokens: 8192 };
    await client.complete(request);
    await client.complete(request);
    scope.done();
    expect(bodies.map((b) => b.max_tokens)).toEqual([8192, 4096, 4096]);
  });

  it("shrinks one request's output to what a small-context server has room for", async () => {
    const bodies: any[] = [];
    const scope = nock("http://vllm.local:8000")
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .reply(400, {
        object: "error",
        message:
          "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens (808 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.",
        type: "BadRequestError",
        param: null,
        code: 400,
      })
      .post("/v1/chat/completions", (body) => (bodies.push(body), true))
      .times(2)
      .reply(200, fixture("openai-text.json"));
    const client = openai({ baseUrl: "http://vllm.local:8000/v1", model: "qwen2.5-coder-7b" });
    const request = { system: "s", messages: [{ role: "user" as const, content: "u" }], maxOutputTokens: 8192 };
    await client.complete(request);
    await client.complete(request);
    scope.done();
    expect(bodies.map((b) => b.max_tokens)).toEqual([8192, 8192 - 808 - 16, 8192]);
  });

  it("says the endpoint is not an OpenAI endpoint when a 200 carries an HTML page", async () => {
    nock("https://api.openai.com").post("/v1/chat/completions").reply(200, "<html>captive portal</html>");
    const error = await openai()
      .complete({ system: "s", messages: [{ role: "user", content: "u" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmResponseInvalid);
  });

  it("gives up with LlmTimeout when the server never answers within the timeout", async () => {
    nock("https://api.openai.com").post("/v1/chat/completions").delay(5_000).reply(200, fixture("openai-text.json"));
    const error = await openai({ timeoutMs: 200 })
      .complete({ system: "s", messages: [{ role: "user", content: "u" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmTimeout);
    expect(error).toMatchObject({ code: "LLM_TIMEOUT", data: { timeoutMs: 200 } });
  });

  it("reports the caller's own time limit running out as a timeout, not as a cancelled job", async () => {
    nock("https://api.openai.com").post("/v1/chat/completions").delay(5_000).reply(200, fixture("openai-text.json"));
    const error = await openai({ timeoutMs: 10_000 })
      .complete({ system: "s", messages: [{ role: "user", content: "u" }], signal: AbortSignal.timeout(100) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmTimeout);
    expect((error as LlmTimeout).explanation.why).toBe("The caller's time limit for this request ran out.");
  });

  it("stops a request in flight when the job is cancelled", async () => {
    nock("https://api.openai.com").post("/v1/chat/completions").delay(5_000).reply(200, fixture("openai-text.json"));
    const controller = new AbortController();
    setTimeout(() => controller.abort("the label was removed"), 50);
    const error = await openai({ timeoutMs: 10_000 })
      .complete({ system: "s", messages: [{ role: "user", content: "u" }], signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobCancelled);
    expect((error as Error).message).toMatch(/the label was removed/);
  });

  it("stops during a backoff sleep when the job is cancelled, without another request", async () => {
    const scope = nock("https://api.openai.com").post("/v1/chat/completions").reply(429, fixture("openai-error-429.json"), { "retry-after": "30" });
    const second = nock("https://api.openai.com").post("/v1/chat/completions").reply(200, fixture("openai-text.json"));
    const controller = new AbortController();
    const pending = createLlmClient({ provider: "openai", apiKey, model: "gpt-4.1" })
      .complete({ system: "s", messages: [{ role: "user", content: "u" }], signal: controller.signal })
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    scope.done();
    controller.abort("superseded by a newer job");
    const error = await pending;
    expect(error).toBeInstanceOf(JobCancelled);
    expect(second.isDone()).toBe(false);
  });

  it("prices each call from the price table and reports usage through onUsage", async () => {
    nock("https://api.openai.com").post("/v1/chat/completions").reply(200, fixture("openai-text.json"));
    const seen: [Usage, string][] = [];
    const completion = await openai({
      prices: { "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8 } },
      onUsage: (usage, model) => seen.push([usage, model]),
    }).complete({ system: "s", messages: [{ role: "user", content: "u" }] });
    // 812 input tokens at $2/M + 41 output tokens at $8/M
    expect(completion.usage.costUsd).toBeCloseTo((812 * 2 + 41 * 8) / 1_000_000, 12);
    expect(seen).toEqual([[completion.usage, "gpt-4.1-2025-04-14"]]);
  });

  it("prices cached prompt tokens at the full input price unless the table names a cache price", async () => {
    const answer = fixture("openai-text.json");
    answer.usage = { prompt_tokens: 10_000, completion_tokens: 100, total_tokens: 10_100, prompt_tokens_details: { cached_tokens: 8_000 } };
    nock("https://api.openai.com").post("/v1/chat/completions").times(2).reply(200, answer);
    const request = { system: "s", messages: [{ role: "user" as const, content: "u" }] };
    const plain = await openai({ prices: { "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8 } } }).complete(request);
    expect(plain.usage.costUsd).toBeCloseTo((10_000 * 2 + 100 * 8) / 1_000_000, 12);
    const discounted = await openai({ prices: { "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 0.5 } } }).complete(request);
    expect(discounted.usage.costUsd).toBeCloseTo((2_000 * 2 + 8_000 * 0.5 + 100 * 8) / 1_000_000, 12);
    expect(discounted.usage.inputTokens).toBe(10_000);
  });
});

describe("Anthropic Messages", () => {
  it("sends x-api-key, anthropic-version, a top-level system prompt and a default max_tokens", async () => {
    let sent: Record<string, any> = {};
    const scope = nock("https://api.anthropic.com")
      .matchHeader("x-api-key", apiKey)
      .matchHeader("anthropic-version", "2023-06-01")
      .post("/v1/messages", (body) => ((sent = body), true))
      .reply(200, fixture("anthropic-text.json"));
    const completion = await anthropic().complete({ system: "You fix bugs.", messages: [{ role: "user", content: "Why?" }] });
    scope.done();
    expect(sent).toMatchObject({ model: "claude-sonnet-4-5", max_tokens: 4096 });
    // cache breakpoints: after the system prompt and on the newest block
    expect(sent.system).toEqual([{ type: "text", text: "You fix bugs.", cache_control: { type: "ephemeral" } }]);
    expect(sent.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Why?", cache_control: { type: "ephemeral" } }] }]);
    expect(completion).toMatchObject({ stopReason: "end", model: "claude-sonnet-4-5-20250929", usage: { inputTokens: 1843, outputTokens: 97 } });
  });

  it("drops prompt-cache breakpoints for a gateway that rejects them, and remembers it", async () => {
    const bodies: any[] = [];
    const scope = nock("http://gateway.local")
      .post("/v1/messages", (body) => (bodies.push(body), true))
      .reply(400, { type: "error", error: { type: "invalid_request_error", message: "system.0.cache_control: Extra inputs are not permitted" } })
      .post("/v1/messages", (body) => (bodies.push(body), true))
      .times(2)
      .reply(200, fixture("anthropic-text.json"));
    const client = anthropic({ baseUrl: "http://gateway.local" });
    const request = { system: "s", messages: [{ role: "user" as const, content: "u" }] };
    await client.complete(request);
    await client.complete(request);
    scope.done();
    expect(JSON.stringify(bodies[0])).toContain("cache_control");
    expect(bodies[1].system).toBe("s");
    expect(JSON.stringify(bodies.slice(1))).not.toContain("cache_control");
  });

  it("accepts a base URL pasted with /v1", async () => {
    const scope = nock("http://gateway.local").post("/anthropic/v1/messages").reply(200, fixture("anthropic-text.json"));
    await anthropic({ baseUrl: "http://gateway.local/anthropic/v1" }).complete({ system: "s", messages: [{ role: "user", content: "u" }] });
    scope.done();
  });

  it("offers tools with input_schema, sends tool results as user tool_result blocks and parses tool_use", async () => {
    let sent: Record<string, any> = {};
    nock("https://api.anthropic.com")
      .post("/v1/messages", (body) => ((sent = body), true))
      .reply(200, fixture("anthropic-tool-use.json"));
    const completion = await anthropic().complete({
      system: "s",
      messages: [
        { role: "user", content: "Fix the bug." },
        {
          role: "assistant",
          content: "Listing first.",
          toolCalls: [
            { id: "toolu_1", name: "list_files", arguments: { dir: "." } },
            { id: "toolu_2", name: "list_files", arguments: { dir: "src" } },
          ],
        },
        { role: "tool", toolCallId: "toolu_1", name: "list_files", content: "src/" },
        { role: "tool", toolCallId: "toolu_2", name: "list_files", content: "Error: no such directory", isError: true },
      ],
      tools: [{ name: "read_file", description: "Read a file", parameters: { type: "object" } }],
    });
    expect(sent.tools).toEqual([{ name: "read_file", description: "Read a file", input_schema: { type: "object" } }]);
    expect(sent.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Fix the bug." }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Listing first." },
          { type: "tool_use", id: "toolu_1", name: "list_files", input: { dir: "." } },
          { type: "tool_use", id: "toolu_2", name: "list_files", input: { dir: "src" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "src/" },
          { type: "tool_result", tool_use_id: "toolu_2", content: "Error: no such directory", is_error: true, cache_control: { type: "ephemeral" } },
        ],
      },
    ]);
    expect(completion.stopReason).toBe("tool_calls");
    expect(completion.text).toBe("I'll look at the module first.");
    expect(completion.toolCalls).toEqual([
      { id: "toolu_01A09q90qw90lq917835lq9", name: "read_file", arguments: { path: "src/list.js", start_line: 1, end_line: 40 } },
    ]);
  });

  it("maps stop_reason refusal and max_tokens", async () => {
    nock("https://api.anthropic.com")
      .post("/v1/messages")
      .reply(200, fixture("anthropic-refusal.json"))
      .post("/v1/messages")
      .reply(200, fixture("anthropic-max-tokens.json"));
    const client = anthropic();
    const request = { system: "s", messages: [{ role: "user" as const, content: "u" }] };
    expect((await client.complete(request)).stopReason).toBe("refusal");
    expect((await client.complete(request)).stopReason).toBe("max_tokens");
  });

  it("prices prompt-cache writes and reads apart while counting them all as input tokens", async () => {
    const answer = {
      ...fixture("anthropic-text.json"),
      usage: { input_tokens: 1_000, cache_creation_input_tokens: 2_000, cache_read_input_tokens: 10_000, output_tokens: 500 },
    };
    nock("https://api.anthropic.com").post("/v1/messages").reply(200, answer);
    const completion = await anthropic({ prices: { "claude-sonnet-4-5": { inputPerMTok: 3, outputPerMTok: 15 } } }).complete({
      system: "s",
      messages: [{ role: "user", content: "u" }],
    });
    expect(completion.usage.inputTokens).toBe(13_000);
    // 1,000 at $3/M + 2,000 at $3.75/M + 10,000 at $0.30/M + 500 at $15/M
    expect(completion.usage.costUsd).toBeCloseTo((1_000 * 3 + 2_000 * 3.75 + 10_000 * 0.3 + 500 * 15) / 1_000_000, 12);
  });

  it("retries 529 overloaded and 429 rate limits, then answers", async () => {
    const { waits, retry } = recordingRetry();
    const scope = nock("https://api.anthropic.com")
      .post("/v1/messages")
      .reply(529, fixture("anthropic-error-529.json"))
      .post("/v1/messages")
      .reply(429, fixture("anthropic-error-429.json"), { "retry-after": "7" })
      .post("/v1/messages")
      .reply(200, fixture("anthropic-text.json"));
    await anthropic({ retry }).complete({ system: "s", messages: [{ role: "user", content: "u" }] });
    scope.done();
    expect(waits).toEqual([10, 7000]);
  });

  it("turns a 401 into LlmAuthFailed naming the agent's key setting", async () => {
    nock("https://api.anthropic.com").post("/v1/messages").reply(401, fixture("anthropic-error-401.json"));
    const error = await anthropic()
      .complete({ system: "s", messages: [{ role: "user", content: "u" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmAuthFailed);
    expect((error as LlmAuthFailed).explanation.next).toMatch(/AUTOFIX_LLM_API_KEY/);
  });
});
