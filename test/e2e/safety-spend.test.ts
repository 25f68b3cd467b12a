// Spend caps and quotas as a maintainer meets them: a job that reaches its token, cost or wall-time cap
// stops without a PR, keeps its work on the branch and says which setting to raise; the spend shows in
// the PR body; the job past the repository's daily quota does not start.
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { gitAsync } from "../support/repoBuilder.js";
import { labeledPayload, startAppHarness, type AppHarness, jobFinished, statusComments } from "../support/appHarness.js";
import { agentLlm, agentLlmEnv, judgeEnv, startFakeJudge } from "../support/fakeJudge.js";
import { scriptConversation } from "../fixtures/llm/scripted.js";

const full = "octo-org/widget";
const key = `${full}#7`;

const agentScript = `import fs from "node:fs";
const [waitMs = "0"] = process.argv.slice(2);
await new Promise((r) => setTimeout(r, Number(waitMs)));
const file = "src/math.js";
fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("a - b", "a + b"));
`;

const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module" }, null, 2),
  "src/math.js": "export const add = (a, b) => a - b;\n",
  "tools/agent.mjs": agentScript,
  "README.md": "# widget\n",
};

const commandAgent = (args = "") => `agent:\n  preset: command\n  command: node tools/agent.mjs ${args}\n  timeoutMinutes: 1\n`;
// The cap is counted from the job's creation and checked before the agent too, so it must outlast any set-up
// (config, spawn) a loaded machine takes, while the agent alone, sleeping past it from its own start, always
// outlasts it. A cap of 0.01 min was reached before the agent under load: no work, no branch to keep.
const wallCapMinutes = 0.1;
const wallCapped = `${commandAgent(String(wallCapMinutes * 60_000 + 500))}limits:\n  maxWallMinutes: ${wallCapMinutes}\n`;

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

async function start(config: string, env: Record<string, string> = {}, issues = [7]) {
  h = await startAppHarness({ files, config, env: { ...judgeEnv, ...env } });
  for (const n of issues)
    h.fake.addIssue(full, { number: n, title: "add() subtracts", body: "`add(2, 3)` returns -1; it should return 5.", author: "reporter" });
  h.fake.setPermission(full, "maintainer", "write");
  return h;
}

function statusOf(harness: AppHarness, issue = 7): string {
  const found = statusComments(harness, full, issue);
  expect(found).toHaveLength(1);
  return found[0].body;
}

async function keptChange(harness: AppHarness, branch = "autofix/issue-7"): Promise<string> {
  return gitAsync(harness.repo.bare, "diff", "main", branch, "--", ".");
}

const finished = jobFinished;

describe("spend caps", () => {
  it("a built-in agent spending past limits.maxTokens stops: no PR, the change kept on its branch, the cap and its setting named", async () => {
    const harness = await start("limits:\n  maxTokens: 2000\n", agentLlmEnv);
    const judge = startFakeJudge({});
    const { scope } = scriptConversation(
      "openai",
      [
        {
          text: "add() subtracts.",
          calls: [{ name: "edit_file", arguments: { path: "src/math.js", old_text: "a - b", new_text: "a + b" } }],
          inputTokens: 2_400,
          outputTokens: 150,
        },
      ],
      agentLlm,
    );
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);
    scope.done();

    expect(job.outcome?.kind).toBe("limit-reached");
    expect(job.outcome?.branch).toBe("autofix/issue-7");
    expect(harness.fake.pullsOf(full)).toHaveLength(0);
    // Stopped before the gates: nothing more was spent on judging.
    expect(judge.calls).toEqual([]);
    expect(harness.fake.checkRuns).toEqual([]);
    const status = statusOf(harness);
    expect(status).toContain("reached its tokens cap");
    expect(status).toContain("2,550 used, limit 2,000");
    expect(status).toContain("`limits.maxTokens`");
    expect(status).toContain("`/autofix retry`");
    expect(status).toContain("autofix/issue-7");
    const diff = await keptChange(harness);
    expect(diff).toContain("+export const add = (a, b) => a + b;");
    expect(diff.match(/^diff --git/gm)).toHaveLength(1);
  });

  it("judges pushing the cost past limits.maxCostUsd stop the run before a second attempt, with the work kept", async () => {
    const prices = JSON.stringify({ "judge-model-1": { inputPerMTok: 1_000, outputPerMTok: 1_000 } });
    const harness = await start(`${commandAgent()}limits:\n  attempts: 2\n  maxCostUsd: 1\n`, { AUTOFIX_LLM_PRICES: prices });
    startFakeJudge({ semantic: { verdict: "no", confidence: 0.9, rationale: "Not what the issue asks." } });
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);

    expect(job.outcome?.kind).toBe("limit-reached");
    expect(job.steps.map((s) => s.name)).not.toContain("agent-2");
    expect(harness.fake.pullsOf(full)).toHaveLength(0);
    const status = statusOf(harness);
    expect(status).toContain("reached its cost cap");
    expect(status).toMatch(/\$2\.04 used, limit \$1\)/);
    expect(status).toContain("`limits.maxCostUsd`");
    expect(await keptChange(harness)).toContain("+export const add = (a, b) => a + b;");
  });

  it("a run outlasting limits.maxWallMinutes stops after the agent, with the work kept and no PR", async () => {
    const harness = await start(wallCapped);
    const judge = startFakeJudge({});
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);

    expect(job.outcome?.kind).toBe("limit-reached");
    expect(harness.fake.pullsOf(full)).toHaveLength(0);
    expect(judge.calls).toEqual([]);
    const status = statusOf(harness);
    expect(status).toContain("reached its wall time cap");
    expect(status).toContain(`limit ${wallCapMinutes} min`);
    expect(status).toContain("`limits.maxWallMinutes`");
    expect(await keptChange(harness)).toContain("+export const add = (a, b) => a + b;");
  });

  it("a run stopped by a cap while the issue's PR is open keeps its work on a side branch, leaving the PR's branch alone", async () => {
    const opts = { files, config: commandAgent(), env: { ...judgeEnv } };
    h = await startAppHarness(opts);
    const harness = h;
    harness.fake.addIssue(full, { number: 7, title: "add() subtracts", body: "`add(2, 3)` returns -1.", author: "reporter" });
    harness.fake.setPermission(full, "maintainer", "write");
    startFakeJudge({});
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const first = await harness.waitForJob(key, finished);
    expect(first.outcome?.kind).toBe("pr-opened");
    const prHead = (await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7")).trim();

    // The maintainer lowers the wall-time cap; the next run outlasts it.
    opts.config = wallCapped;
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const second = await harness.waitForJob(key, (j) => j.id !== first.id && finished(j));
    expect(second.outcome?.kind).toBe("limit-reached");
    const side = `autofix/issue-7-limit-${second.id.slice(0, 8)}`;
    expect(second.outcome?.branch).toBe(side);
    expect((await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7")).trim()).toBe(prHead);
    expect(await keptChange(harness, side)).toContain("+export const add = (a, b) => a + b;");
    expect(harness.fake.pullsOf(full)).toHaveLength(1);
    expect(statusOf(harness)).toContain(side);
  });

  it("the PR body states what the job spent, judges included", async () => {
    const prices = JSON.stringify({ "judge-model-1": { inputPerMTok: 2, outputPerMTok: 10 } });
    const harness = await start(commandAgent(), { AUTOFIX_LLM_PRICES: prices });
    startFakeJudge({});
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);
    expect(job.outcome?.kind).toBe("pr-opened");
    const [pr] = harness.fake.pullsOf(full);
    // Two judge calls of 900 input + 120 output tokens at $2 / $10 per million; the command agent reports none.
    expect(pr.body).toContain("- Spend: 1,800 input + 240 output tokens, cost $0.0060");
  });
});

describe("daily quota", () => {
  it("the job past limits.runsPerDay does not start and says how to raise the limit, whatever order the workers claim jobs in", async () => {
    const harness = await start(`${commandAgent()}limits:\n  runsPerDay: 2\n`, { AUTOFIX_CONCURRENCY: "2", AUTOFIX_PER_INSTALLATION: "2" }, [7, 8, 9]);
    startFakeJudge({});
    // Labelled one after another: each label is decided (its job created) before the next arrives. Labels on
    // different issues arriving together are decided side by side, so creation order is then not receipt order.
    for (const n of [7, 8, 9]) {
      await harness.deliver("issues", labeledPayload({ issue: n, title: "add() subtracts" }));
      await harness.waitForJob(`${full}#${n}`, () => true);
    }
    const jobs = await Promise.all([7, 8, 9].map((n) => harness.waitForJob(`${full}#${n}`, finished)));

    expect(jobs.map((j) => j.outcome?.kind)).toEqual(["pr-opened", "pr-opened", "limit-reached"]);
    const refused = jobs[2];
    expect(refused.steps.map((s) => s.name)).toEqual(["config", "quota"]);
    const status = statusOf(harness, 9);
    expect(status).toContain("already ran 2 autofix jobs in the last 24 hours (limit 2)");
    expect(status).toContain("`limits.runsPerDay`");
    expect(
      harness.fake
        .pullsOf(full)
        .map((p) => p.head.ref)
        .sort(),
    ).toEqual(["autofix/issue-7", "autofix/issue-8"]);
  });

  it("the job past the operator's AUTOFIX_INSTALLATION_RUNS_PER_DAY does not start and says who can raise it", async () => {
    const harness = await start(commandAgent(), { AUTOFIX_INSTALLATION_RUNS_PER_DAY: "1" }, [7, 8]);
    startFakeJudge({});
    for (const n of [7, 8]) await harness.deliver("issues", labeledPayload({ issue: n, title: "add() subtracts" }));
    const jobs = await Promise.all([7, 8].map((n) => harness.waitForJob(`${full}#${n}`, finished)));

    expect(jobs.map((j) => j.outcome?.kind)).toEqual(["pr-opened", "limit-reached"]);
    const status = statusOf(harness, 8);
    expect(status).toContain("This installation already ran 1 autofix jobs in the last 24 hours (operator limit 1)");
    expect(status).toContain("AUTOFIX_INSTALLATION_RUNS_PER_DAY");
    expect(harness.fake.pullsOf(full)).toHaveLength(1);
  });
});
