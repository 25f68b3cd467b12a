// "Tests weakened" flags reach both judges, which must answer each one: an unanswered flag or an answer
// with a concern fails the judge; answered flags are kept for the report and the PR body.
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import type { Issue } from "../../src/forge/types.js";
import { runReviewGate } from "../../src/gates/review.js";
import { runSemanticGate } from "../../src/gates/semantic.js";
import type { TestFlag } from "../../src/gates/types.js";
import { renderPrBody } from "../../src/pipeline/render.js";
import { createLlmClient } from "../../src/llm/index.js";
import { buildDelta } from "../fixtures/cheats/buildDelta.js";
import { gateConfig } from "../fixtures/cheats/gateConfig.js";

const base = "https://judge.flags.test";
const issue: Issue = {
  number: 9,
  title: "sub() adds",
  body: "sub(3, 1) returns 4.",
  author: "r",
  state: "open",
  labels: ["autofix"],
  htmlUrl: "https://github.com/o/r/issues/9",
  comments: [],
};
const testFile = "def test_sub():\n    assert sub(3, 1) == 2\n";
const delta = buildDelta({ "tests/test_calc.py": testFile }, { "tests/test_calc.py": testFile.replace("== 2", "== 4") });
const flags: TestFlag[] = [
  { code: "EXPECTED_VALUES_ONLY", path: "tests/test_calc.py", message: "tests/test_calc.py: the test changed while no code under test did." },
];

const llm = () =>
  createLlmClient({
    provider: "openai",
    baseUrl: `${base}/v1`,
    apiKey: "k",
    model: "judge-1",
    timeoutMs: 5_000,
    maxRetries: 0,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
  });
const reply = (content: Record<string, unknown>) => ({
  id: "c",
  model: "judge-1",
  choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: JSON.stringify(content) } }],
  usage: { prompt_tokens: 10, completion_tokens: 5 },
});
const semanticAnswer = (extra: Record<string, unknown>) =>
  reply({ verdict: "yes", confidence: 0.9, rationale: "Fine.", unrelatedPaths: [], questions: [], ...extra });
const reviewAnswer = (extra: Record<string, unknown>) => reply({ decision: "approve", summary: "Fine.", findings: [], ...extra });

afterEach(() => nock.cleanAll());

describe("the semantic judge with tests-weakened flags", () => {
  it("shows the flags in the prompt and fails when the judge leaves one unanswered", async () => {
    let prompt = "";
    const scope = nock(base)
      .post(
        "/v1/chat/completions",
        (body: { messages: { role: string; content: string }[] }) => ((prompt = body.messages.map((m) => m.content).join("\n")), true),
      )
      .reply(200, semanticAnswer({}));
    const result = await runSemanticGate({ issue, delta, llm: llm(), config: gateConfig(), testFlags: flags });
    scope.done();
    expect(prompt).toContain("1. [EXPECTED_VALUES_ONLY] tests/test_calc.py: the test changed");
    expect(result.status).toBe("fail");
    expect(result.reasons.join("\n")).toContain("did not address flag 1 (EXPECTED_VALUES_ONLY, tests/test_calc.py)");
  });

  it("fails on an answer with a concern and passes once every flag is cleared", async () => {
    nock(base)
      .post("/v1/chat/completions")
      .reply(200, semanticAnswer({ flagAnswers: [{ flag: 1, concern: true, answer: "The expectation now matches the bug." }] }));
    const concerned = await runSemanticGate({ issue, delta, llm: llm(), config: gateConfig(), testFlags: flags });
    expect(concerned.status).toBe("fail");
    expect(concerned.reasons).toContain("Tests weakened (EXPECTED_VALUES_ONLY, tests/test_calc.py): The expectation now matches the bug.");

    nock(base)
      .post("/v1/chat/completions")
      .reply(200, semanticAnswer({ flagAnswers: [{ flag: 1, concern: false, answer: "The issue says the old expectation was a typo." }] }));
    const cleared = await runSemanticGate({ issue, delta, llm: llm(), config: gateConfig(), testFlags: flags });
    expect(cleared.status).toBe("pass");
    expect(cleared.flagAnswers).toEqual([
      { code: "EXPECTED_VALUES_ONLY", path: "tests/test_calc.py", answer: "The issue says the old expectation was a typo.", concern: false },
    ]);
  });

  it("asks nothing about flags when there are none", async () => {
    let prompt = "";
    nock(base)
      .post("/v1/chat/completions", (body: { messages: { content: string }[] }) => ((prompt = body.messages.map((m) => m.content).join("\n")), true))
      .reply(200, semanticAnswer({}));
    const result = await runSemanticGate({ issue, delta, llm: llm(), config: gateConfig() });
    expect(result.status).toBe("pass");
    expect(prompt).not.toContain("the deterministic gate flagged these changes");
  });
});

describe("the review judge with tests-weakened flags", () => {
  it("fails without an answer, passes with one, and the PR body lists the flag as a checkbox", async () => {
    nock(base).post("/v1/chat/completions").reply(200, reviewAnswer({}));
    const open = await runReviewGate({ issue, delta, llm: llm(), config: gateConfig(), testFlags: flags });
    expect(open.status).toBe("fail");
    expect(open.summary).toContain('did not clear the "tests weakened" flags');

    nock(base)
      .post("/v1/chat/completions")
      .reply(200, reviewAnswer({ flagAnswers: [{ flag: 1, concern: false, answer: "Justified by the issue." }] }));
    const cleared = await runReviewGate({ issue, delta, llm: llm(), config: gateConfig(), testFlags: flags });
    expect(cleared.status).toBe("pass");

    const body = renderPrBody({
      issueNumber: 9,
      issueTitle: "sub() adds",
      delta,
      results: [{ gate: "deterministic", status: "pass", summary: "Passed.", reasons: [], durationMs: 1, testFlags: flags }, cleared],
      checkUrls: {},
      agentRun: { agent: "builtin", durationMs: 1, isolation: "bubblewrap", outputTail: "" } as never,
      attempts: 1,
      spend: { inputTokens: 0, outputTokens: 0, costUsd: 0 } as never,
      failing: [],
    });
    expect(body).toContain("### Tests weakened: check before merging");
    expect(body).toContain("- [ ] `EXPECTED_VALUES_ONLY` tests/test_calc.py: the test changed while no code under test did.");
  });
});
