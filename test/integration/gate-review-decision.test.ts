// The review gate honours the model's decision as well as the severities of its findings.
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import type { Issue } from "../../src/forge/types.js";
import { createLlmClient } from "../../src/llm/index.js";
import { runReviewGate } from "../../src/gates/review.js";
import { buildDelta } from "../fixtures/cheats/buildDelta.js";
import { gateConfig } from "../fixtures/cheats/gateConfig.js";

const base = "https://judge.llm.test";
const issue: Issue = {
  number: 7,
  title: "sub() adds",
  body: "sub(3, 1) returns 4.",
  author: "reporter",
  state: "open",
  labels: ["autofix"],
  htmlUrl: "https://github.com/octo/calc/issues/7",
  comments: [],
};
const delta = buildDelta({ "src/calc.ts": "export const sub = (a, b) => a + b;\n" }, { "src/calc.ts": "export const sub = (a, b) => a - b;\n" });
const client = () =>
  createLlmClient({
    provider: "openai",
    baseUrl: `${base}/v1`,
    apiKey: "sk-judge-test",
    model: "judge-1",
    maxRetries: 0,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
  });
const chat = (content: string) => ({
  id: "c1",
  model: "judge-1",
  choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
  usage: { prompt_tokens: 900, completion_tokens: 80 },
});

afterEach(() => nock.cleanAll());

describe("review gate decision", () => {
  it("a review that requests changes fails the gate even when every finding is below blockAt", async () => {
    const answer = {
      decision: "request-changes",
      summary: "The fix has no test and renames a public export.",
      findings: [{ path: "src/calc.ts", line: 1, severity: "minor", text: "Add a test." }],
    };
    const scope = nock(base)
      .post("/v1/chat/completions")
      .reply(200, chat(JSON.stringify(answer)));
    const result = await runReviewGate({ issue, delta, llm: client(), config: gateConfig() });
    scope.done();
    expect(result.status).toBe("fail");
    expect(result.summary).toContain("requested changes");
    expect(result.reasons).toEqual(["The reviewer asked for changes: The fix has no test and renames a public export."]);
  });

  it("an approving review with findings below blockAt passes", async () => {
    const answer = { decision: "approve", summary: "Fine.", findings: [{ path: "src/calc.ts", line: 1, severity: "nit", text: "Spacing." }] };
    const scope = nock(base)
      .post("/v1/chat/completions")
      .reply(200, chat(JSON.stringify(answer)));
    const result = await runReviewGate({ issue, delta, llm: client(), config: gateConfig() });
    scope.done();
    expect(result.status).toBe("pass");
  });
});
