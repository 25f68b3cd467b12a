// Promises the docs make about a job, checked as a maintainer would meet them: a cancel always ends the
// story whatever its reason says, and every judge call counts against the job's one spend cap.
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { labeledPayload, startAppHarness, type AppHarness, jobFinished, statusComments } from "../support/appHarness.js";
import { judgeBaseUrl, judgeEnv } from "../support/fakeJudge.js";
import { agentLlm, agentLlmEnv, startFakeJudge } from "../support/fakeJudge.js";
import { scriptConversation } from "../fixtures/llm/scripted.js";
import { gitAsync } from "../support/repoBuilder.js";

const full = "octo-org/widget";
const key = `${full}#7`;
const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module" }, null, 2),
  "src/math.js": "export const add = (a, b) => a - b;\n",
  "tools/agent.mjs": `import fs from "node:fs";\nconst f = "src/math.js";\nfs.writeFileSync(f, fs.readFileSync(f, "utf8").replace("a - b", "a + b"));\n`,
  "README.md": "# widget\n",
};

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

async function start(config: string, appSlug?: string) {
  h = await startAppHarness({ files, config, env: { ...judgeEnv }, appSlug });
  h.fake.addIssue(full, { number: 7, title: "add() subtracts", body: "`add(2, 3)` returns -1; it should return 5.", author: "reporter" });
  h.fake.setPermission(full, "maintainer", "write");
  return h;
}

function statusOf(harness: AppHarness): string {
  const found = statusComments(harness, full, 7);
  expect(found).toHaveLength(1);
  return found[0].body;
}

const finished = jobFinished;

describe("typed cancellation", () => {
  it("a cancel whose reason mentions shutting something down still ends with its status comment and outcome", async () => {
    const harness = await start(`agent:\n  preset: command\n  command: node -e "setInterval(() => {}, 1000)"\n  timeoutMinutes: 1\n`);
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, (j) => j.state === "running" && j.progress.step === "agent-1");
    const reason = "the maintainer is shutting down autofix for this repository";
    await harness.booted.queue.cancel(key, reason);
    const job = await harness.waitForJob(key, finished, 30_000);

    expect(job.state).toBe("cancelled");
    expect(job.outcome?.kind).toBe("cancelled");
    const status = statusOf(harness);
    expect(status).toContain("🛑 **autofix stopped working on this issue.**");
    expect(status).toContain(`The job was cancelled: ${reason}.`);
  });
});

describe("one spend meter per job", () => {
  it("judge answers that failed validation count against the cap, so the job stops instead of attempting again", async () => {
    const harness = await start(`agent:\n  preset: command\n  command: node tools/agent.mjs\nlimits:\n  attempts: 2\n  maxTokens: 2500\n`);
    const usage = { prompt_tokens: 900, completion_tokens: 120, total_tokens: 1020 };
    const answer = (content: string) => ({
      id: "c",
      object: "chat.completion",
      model: "judge-model-1",
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage,
    });
    const calls: string[] = [];
    nock(new URL(judgeBaseUrl).origin)
      .persist()
      .post("/v1/chat/completions")
      .reply(async (req: Request) => {
        const body = (await req.json()) as { messages: { role: string; content: string }[] };
        const semantic = /semantic gate/i.test(body.messages.find((m) => m.role === "system")?.content ?? "");
        calls.push(semantic ? "semantic" : "review");
        // The semantic judge never produces the structured answer; the reviewer approves.
        return [200, answer(semantic ? "I think it is fine." : JSON.stringify({ decision: "approve", summary: "Fine.", findings: [] }))] as never;
      });
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);

    expect(calls.sort()).toEqual(["review", "semantic", "semantic"]);
    expect(job.outcome?.kind).toBe("limit-reached");
    expect(job.steps.map((s) => s.name)).not.toContain("agent-2");
    expect(statusOf(harness)).toContain("3,060 used, limit 2,500");
    // Saved with the job, so a resumed job starts from it.
    expect(job.progress.spend).toMatchObject({ inputTokens: 2_700, outputTokens: 360, calls: 3 });
  });
});

describe("commit author", () => {
  it("follows the app's slug: an app installed as acme-fixer commits as acme-fixer[bot]", async () => {
    const harness = await start(`agent:\n  preset: command\n  command: node tools/agent.mjs\n`, "acme-fixer");
    startFakeJudge({});
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);
    expect(job.outcome?.kind).toBe("pr-opened");
    const author = (await gitAsync(harness.repo.bare, "log", "-1", "--format=%an <%ae>", "autofix/issue-7")).trim();
    expect(author).toBe("acme-fixer[bot] <acme-fixer[bot]@users.noreply.github.com>");
  });
});

describe("one spend meter per job, across attempts", () => {
  it("a built-in agent's second attempt gets only what the first attempt and the judges left, not a fresh cap", async () => {
    h = await startAppHarness({ files, config: "limits:\n  attempts: 2\n  maxTokens: 6000\n", env: { ...judgeEnv, ...agentLlmEnv } });
    const harness = h;
    harness.fake.addIssue(full, { number: 7, title: "add() subtracts", body: "`add(2, 3)` returns -1; it should return 5.", author: "reporter" });
    harness.fake.setPermission(full, "maintainer", "write");
    // The semantic judge rejects attempt 1 (2 judge calls of 1,020 tokens), so a second attempt starts.
    startFakeJudge({ semantic: { verdict: "no", confidence: 0.9, rationale: "Not what the issue asks." } });
    const turn = (calls: { name: string; arguments: Record<string, unknown> }[]) => ({ calls, inputTokens: 1_000, outputTokens: 50 });
    const { scope, bodies } = scriptConversation(
      "openai",
      [
        turn([{ name: "edit_file", arguments: { path: "src/math.js", old_text: "a - b", new_text: "a + b" } }]),
        turn([{ name: "finish", arguments: { summary: "Fixed add()." } }]),
        // Attempt 2: two calls bring the job to 6,240 tokens; a third would be past the cap.
        turn([{ name: "read_file", arguments: { path: "src/math.js" } }]),
        turn([{ name: "read_file", arguments: { path: "README.md" } }]),
        turn([{ name: "finish", arguments: { summary: "should never be asked" } }]),
      ],
      agentLlm,
    );
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);

    expect(bodies).toHaveLength(4);
    expect(scope.pendingMocks()).toHaveLength(1);
    expect(job.outcome?.kind).toBe("limit-reached");
    expect(statusOf(harness)).toContain("6,240 used, limit 6,000");
  });
});

describe("repair attempts", () => {
  it("judges that cannot run (their endpoint refuses the key) do not spend a second attempt", async () => {
    const harness = await start(`agent:\n  preset: command\n  command: node tools/agent.mjs\nlimits:\n  attempts: 2\n`);
    nock(new URL(judgeBaseUrl).origin)
      .persist()
      .post("/v1/chat/completions")
      .reply(401, { error: { message: "Incorrect API key provided.", type: "invalid_request_error" } });
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);

    expect(job.steps.map((s) => s.name)).not.toContain("agent-2");
    expect(job.outcome?.kind).toBe("gates-failed");
    const status = statusOf(harness);
    expect(status).toContain("After 1 attempt(s), the semantic, review gate(s) did not pass");
  });
});
