// The fourth gate: the repository's own CI on the bot's draft PR, followed through check events and
// polling, repaired by the agent when red, and said plainly when it never runs.
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { git, gitAsync } from "../support/repoBuilder.js";
import { installationId, labeledPayload, startAppHarness, type AppHarness } from "../support/appHarness.js";
import { judgeEnv, startFakeJudge } from "../support/fakeJudge.js";
import { installFakeCi, type FakeCi } from "../support/fakeCi.js";
import type { JobRecord } from "../../src/jobs/types.js";

const full = "octo-org/widget";
const key = `${full}#7`;
const branch = "autofix/issue-7";

// Fixes add(); when the CI log in its prompt says mul is wrong, fixes mul too. Marks any setup-step noise
// it was shown, so a test can tell the log was trimmed to the failing step.
const agentScript = `import fs from "node:fs";
const prompt = process.env.AUTOFIX_PROMPT ?? "";
let text = fs.readFileSync("src/math.js", "utf8");
text = text.replace("a - b", "a + b");
if (prompt.includes("expected mul(2, 3) to be 6")) text = text.replace("a * b + 1", "a * b");
if (prompt.includes("SETUP_NOISE_LINE")) text += "// the agent saw setup noise\\n";
if (prompt.includes("please break add")) text = text.replace("a + b", "a - b");
fs.writeFileSync("src/math.js", text);
`;

const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module", scripts: { test: "node --test test/" } }),
  "src/math.js": "export const add = (a, b) => a - b;\nexport const mul = (a, b) => a * b + 1;\n",
  "test/math.test.js":
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add } from "../src/math.js";\ntest("add", () => assert.equal(add(2, 3), 5));\n',
  "tools/agent.mjs": agentScript,
};

const failingLog = [
  "2026-12-03T07:00:00.0000000Z ##[group]Run actions/setup-node@v4",
  "2026-12-03T07:00:01.0000000Z SETUP_NOISE_LINE node 20 installed",
  "2026-12-03T07:00:02.0000000Z ##[endgroup]",
  "2026-12-03T07:00:03.0000000Z ##[group]Run npm test",
  "2026-12-03T07:00:04.0000000Z npm test",
  "2026-12-03T07:00:05.0000000Z ##[endgroup]",
  "2026-12-03T07:00:06.0000000Z not ok 2 - mul",
  "2026-12-03T07:00:06.1000000Z   AssertionError: expected mul(2, 3) to be 6, got 7",
  "2026-12-03T07:00:07.0000000Z ##[error]Process completed with exit code 1.",
  "2026-12-03T07:00:08.0000000Z Post job cleanup.",
].join("\n");

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

async function start(ci: string): Promise<{ harness: AppHarness; fakeCi: FakeCi }> {
  const config = `agent:\n  preset: command\n  command: node tools/agent.mjs\n  timeoutMinutes: 1\ngates:\n  ci:\n${ci}`;
  h = await startAppHarness({ files, config, env: judgeEnv });
  h.fake.addIssue(full, { number: 7, title: "add() subtracts", body: "add(2, 3) should be 5", labels: ["autofix"] });
  h.fake.setPermission(full, "maintainer", "write");
  startFakeJudge({});
  return { harness: h, fakeCi: installFakeCi(h.fake, full) };
}

const waitingFor = (round: number) => (j: JobRecord) => j.state === "queued" && j.progress.step === `ci-${round}-wait`;
const ended = (j: JobRecord) => ["succeeded", "failed", "cancelled"].includes(j.state);
const headOf = async (harness: AppHarness) => (await gitAsync(harness.repo.bare, "rev-parse", branch)).trim();
const ciRun = (harness: AppHarness, sha: string) => harness.fake.checkRuns.find((r: any) => r.name === "autofix / ci" && r.head_sha === sha);
const status = (harness: AppHarness) => harness.fake.commentsOn(full, 7).find((c: any) => c.body.includes("autofix:status"))?.body ?? "";

function checkSuiteEvent(sha: string) {
  return {
    action: "completed",
    check_suite: { id: 1, head_branch: branch, head_sha: sha, status: "completed", conclusion: "success", app: { slug: "github-actions" } },
    repository: { name: "widget", full_name: full, owner: { login: "octo-org", type: "Organization" } },
    sender: { login: "github-actions[bot]", type: "Bot" },
    installation: { id: installationId },
  };
}

describe("the CI gate", () => {
  it("opens a draft, and a green CI (announced by a check_suite event) makes it ready for review", async () => {
    // Polling every 10 minutes: within this test only the event can wake the waiting job.
    const { harness, fakeCi } = await start("    wait: true\n    pollSeconds: 600\n");
    fakeCi.autoStart(["test"]);
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, waitingFor(0));
    const pr = harness.fake.pullsOf(full)[0];
    expect(pr.draft).toBe(true);
    const sha = await headOf(harness);
    expect(ciRun(harness, sha)?.status).toBe("in_progress");
    expect(status(harness)).toContain("waiting for the repository's CI");
    // Asked meanwhile, /autofix status says what the job waits for, not a bare "queued".
    await harness.deliver("issue_comment", {
      action: "created",
      issue: { number: 7, title: "add() subtracts", state: "open", labels: [] },
      comment: { id: 4242, body: "/autofix status", user: { login: "maintainer", type: "User" } },
      repository: { name: "widget", full_name: full, owner: { login: "octo-org", type: "Organization" }, default_branch: "main" },
      sender: { login: "maintainer", type: "User" },
      installation: { id: installationId },
    });
    await harness.booted.idle();
    const answer = harness.fake.commentsOn(full, 7).find((c: any) => c.body.includes("/autofix stop` to stop following CI"))?.body ?? "";
    expect(answer).toContain(`is **waiting for the repository's CI** on ${pr.html_url} (CI round 1)`);

    fakeCi.finish(sha, "test", "success");
    await harness.deliver("check_suite", checkSuiteEvent(sha));
    const job = await harness.waitForJob(key, ended, 30_000);
    expect(job.state).toBe("succeeded");
    expect(job.outcome?.message).toContain("ready for review");
    expect(pr.draft).toBe(false);
    expect(ciRun(harness, sha)?.conclusion).toBe("success");
    expect(status(harness)).toContain("the repository's CI is green");
    expect(harness.fake.unexpected).toEqual([]);
  });

  it("a red CI becomes one repair revision fed with the failing step's log, and a green CI after it makes the PR ready", async () => {
    const { harness, fakeCi } = await start("    wait: true\n    pollSeconds: 1\n");
    fakeCi.autoStart(["test"]);
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, waitingFor(0));
    const first = await headOf(harness);
    const failed = fakeCi.finish(first, "test", "failure", { log: failingLog, summary: "1 test failed" });

    // No event: the poll finds the red check, the agent repairs, and the job waits on the new commit.
    await harness.waitForJob(key, waitingFor(1), 60_000);
    const second = await headOf(harness);
    expect(second).not.toBe(first);
    expect((await gitAsync(harness.repo.bare, "rev-parse", `${branch}~1`)).trim()).toBe(first);
    const repair = await gitAsync(harness.repo.bare, "diff", first, second);
    expect(repair).toContain("+export const mul = (a, b) => a * b;");
    // The log was trimmed to the failing step: the setup step's lines never reached the agent.
    expect(repair).not.toContain("saw setup noise");
    expect(fakeCi.logReads).toContain(failed.id);
    expect(ciRun(harness, first)?.conclusion).toBe("failure");
    expect(harness.fake.pullsOf(full)[0].draft).toBe(true);

    fakeCi.finish(second, "test", "success");
    const job = await harness.waitForJob(key, ended, 30_000);
    expect(job.state).toBe("succeeded");
    expect(harness.fake.pullsOf(full)).toHaveLength(1);
    expect(harness.fake.pullsOf(full)[0].draft).toBe(false);
    expect(ciRun(harness, second)?.conclusion).toBe("success");
  });

  it("red again after the last repair: the PR stays a draft and the status comment names the failing check and why", async () => {
    const { harness, fakeCi } = await start("    wait: true\n    pollSeconds: 1\n");
    fakeCi.autoStart(["test"]);
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, waitingFor(0));
    fakeCi.finish(await headOf(harness), "test", "failure", { log: failingLog });
    await harness.waitForJob(key, waitingFor(1), 60_000);
    const second = await headOf(harness);
    fakeCi.finish(second, "test", "failure", { log: failingLog });
    const job = await harness.waitForJob(key, ended, 30_000);
    expect(job.state).toBe("succeeded");
    expect(job.outcome?.message).toMatch(/stays a draft: CI failed \(test\)/);
    expect(job.outcome?.message).toContain("limits.attempts");
    expect(harness.fake.pullsOf(full)[0].draft).toBe(true);
    expect(ciRun(harness, second)?.conclusion).toBe("failure");
    const comment = status(harness);
    expect(comment).toContain("fails the repository's CI");
    expect(comment).toMatch(/❌ \[test\]/);
    expect(comment).toContain("used all 2 of its agent attempts");
  });

  it("says which checks never started (a workflow awaiting approval) and which never finished when the wait times out", async () => {
    const { harness, fakeCi } = await start("    wait: true\n    pollSeconds: 1\n    timeoutMinutes: 0.1\n");
    fakeCi.onCommit((sha) => {
      fakeCi.suite(sha, { status: "completed", conclusion: "action_required", workflow: "CI" });
      fakeCi.status(sha, "ci/jenkins", "pending", "Build queued");
    });
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, ended, 60_000);
    expect(job.state).toBe("succeeded");
    expect(job.outcome?.message).toContain("CI did not finish in time");
    expect(harness.fake.pullsOf(full)[0].draft).toBe(true);
    const comment = status(harness);
    expect(comment).toContain("`CI`: waiting for a maintainer's approval (action_required)");
    expect(comment).toContain("`ci/jenkins`: Build queued");
    expect(comment).toContain("within 0.1 min");
    expect(ciRun(harness, await headOf(harness))?.conclusion).toBe("neutral");
  });

  it("a check already red on the base branch's head is not blamed on the change; a lost event is made up by polling", async () => {
    const { harness, fakeCi } = await start("    wait: true\n    pollSeconds: 1\n");
    const baseSha = harness.repo.head();
    fakeCi.finish(baseSha, "lint", "failure");
    fakeCi.autoStart(["test", "lint"]);
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, waitingFor(0));
    const sha = await headOf(harness);
    fakeCi.finish(sha, "test", "success");
    fakeCi.finish(sha, "lint", "failure");
    // No check_suite event is delivered (lost): the job's own poll notices the finished checks.
    const job = await harness.waitForJob(key, ended, 30_000);
    expect(job.state).toBe("succeeded");
    expect(harness.fake.pullsOf(full)[0].draft).toBe(false);
    expect(status(harness)).toContain("Red on the base branch too, so not blamed on this change");
    expect(status(harness)).toMatch(/❌ \[lint\]/);
    // No repair was attempted: one commit on the branch.
    expect((await gitAsync(harness.repo.bare, "rev-list", "--count", `main..${branch}`)).trim()).toBe("1");
  });

  it("a human's push to the branch hands the PR over: the CI loop stops without repairing", async () => {
    const { harness, fakeCi } = await start("    wait: true\n    pollSeconds: 1\n");
    fakeCi.autoStart(["test"]);
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, waitingFor(0));
    const botHead = await headOf(harness);
    const work = harness.repo.work;
    git(work, "fetch", "-q", "origin");
    git(work, "checkout", "-q", "-B", branch, `origin/${branch}`);
    harness.repo.commit({ "NOTES.md": "human notes\n" }, "human tweak", branch);
    fakeCi.finish(botHead, "test", "failure", { log: failingLog });
    const job = await harness.waitForJob(key, ended, 30_000);
    expect(job.outcome?.message).toContain("CI not followed further: someone else pushed");
    expect(harness.fake.pullsOf(full)[0].draft).toBe(true);
    expect(status(harness)).toContain("autofix stopped following CI");
    // No repair commit on top of the human's.
    expect(await gitAsync(harness.repo.bare, "log", "-1", "--format=%s", branch)).toContain("human tweak");
  });

  it("after a CI repair, a moving base re-applies the whole change (fix and repair) and CI is followed on the new head", async () => {
    const { harness, fakeCi } = await start("    wait: true\n    pollSeconds: 1\npr:\n  updateBranch: always\n");
    fakeCi.autoStart(["test"]);
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, waitingFor(0));
    fakeCi.finish(await headOf(harness), "test", "failure", { log: failingLog });
    await harness.waitForJob(key, waitingFor(1), 60_000);
    fakeCi.finish(await headOf(harness), "test", "success");
    await harness.waitForJob(key, ended, 30_000);

    const moved = harness.repo.commit({ "docs/guide.md": "# Guide\n" }, "docs upstream");
    await harness.deliver("push", {
      ref: "refs/heads/main",
      after: moved,
      deleted: false,
      repository: { name: "widget", full_name: full, owner: { login: "octo-org", name: "octo-org" }, default_branch: "main" },
      sender: { login: "maintainer", type: "User" },
      installation: { id: installationId },
    });
    const updating = await harness.waitForJob(key, (j) => j.spec.trigger === "update-branch" && waitingFor(0)(j), 60_000);
    // The recorded delta lacks the repair commit, so the whole change was read back from the branch.
    expect(updating.steps.some((s) => s.name === "branch-change" && s.status === "done")).toBe(true);
    const head = await headOf(harness);
    expect((await gitAsync(harness.repo.bare, "rev-parse", `${branch}~1`)).trim()).toBe(moved);
    const change = await gitAsync(harness.repo.bare, "diff", moved, head);
    expect(change).toContain("+export const add = (a, b) => a + b;");
    expect(change).toContain("+export const mul = (a, b) => a * b;");
    fakeCi.finish(head, "test", "success");
    const job = await harness.waitForJob(key, (j) => j.spec.trigger === "update-branch" && ended(j), 30_000);
    expect(job.state).toBe("succeeded");
    expect(ciRun(harness, head)?.conclusion).toBe("success");
    expect(harness.fake.pullsOf(full)[0].draft).toBe(false);
  });

  it("a repair that fails its own gates is never followed into ready for review (pr.onGateFailure: draft)", async () => {
    const { harness, fakeCi } = await start("    wait: true\n    pollSeconds: 1\npr:\n  onGateFailure: draft\n");
    fakeCi.autoStart(["test"]);
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, waitingFor(0));
    const first = await headOf(harness);
    fakeCi.finish(first, "test", "failure", { log: "##[group]Run npm test\nplease break add\n##[error]Process completed with exit code 1." });
    const job = await harness.waitForJob(key, ended, 60_000);
    expect(job.outcome?.message).toContain("the repair did not land");
    expect(status(harness)).toContain("The repair commit did not pass the deterministic gate(s)");
    // The failing repair was pushed as a draft update, and nothing follows its CI.
    const second = await headOf(harness);
    expect(second).not.toBe(first);
    expect(job.steps.some((s) => s.name === "ci-1-start")).toBe(false);
    expect(harness.fake.pullsOf(full)[0].draft).toBe(true);
    expect(status(harness)).toContain("The PR stays a draft");
  });
});
