// The product as maintainers meet it: a label on an issue becomes a gated PR, over real HTTP.
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { gitAsync } from "../support/repoBuilder.js";
import { labeledPayload, startAppHarness, type AppHarness } from "../support/appHarness.js";
import { judgeEnv, startFakeJudge } from "../support/fakeJudge.js";

const full = "octo-org/widget";
const key = `${full}#7`;

const agentScript = `import fs from "node:fs";
const [mode = "fix", waitMs = "0"] = process.argv.slice(2);
await new Promise((r) => setTimeout(r, Number(waitMs)));
const file = "src/math.js";
fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("a - b", "a + b"));
console.log("agent: fixed add (" + mode + ")");
`;

const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module", scripts: { test: "node --test test/" } }, null, 2),
  "src/math.js": "export const add = (a, b) => a - b;\nexport const mul = (a, b) => a * b;\n",
  "test/math.test.js":
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add, mul } from "../src/math.js";\ntest("add", () => assert.equal(add(2, 3), 5));\ntest("mul", () => assert.equal(mul(2, 3), 6));\n',
  "tools/agent.mjs": agentScript,
  "README.md": "# widget\n",
};

const config = (command = "node tools/agent.mjs") => `agent:\n  preset: command\n  command: ${command}\n  timeoutMinutes: 1\n`;

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

async function start(opts: { config?: string; env?: Record<string, string> } = {}) {
  h = await startAppHarness({ files, config: opts.config ?? config(), env: { ...judgeEnv, ...opts.env } });
  h.fake.addIssue(full, { number: 7, title: "add() subtracts", body: "`add(2, 3)` returns -1; it should return 5.", author: "reporter" });
  h.fake.setPermission(full, "maintainer", "write");
  return h;
}

async function branchDiff(harness: AppHarness, branch: string): Promise<string> {
  return gitAsync(harness.repo.bare, "diff", `${branch}~1`, branch, "--", ".");
}

describe("label → job → gated PR", () => {
  // Each booted app owns its metrics (the runtime creates them), so a fresh harness counts from zero.
  const spawnsFrom = async (harness: AppHarness, source: string) =>
    (await harness.booted.runtime.metrics.registry.getSingleMetric("autofix_spawns_total")!.get()).values.find((v) => v.labels.source === source)?.value ?? 0;

  it("opens one PR whose branch holds exactly the agent's change, with three check runs and a final status comment", async () => {
    const harness = await start();
    const judge = startFakeJudge({ semantic: { verdict: "yes", questions: ["Should add() also accept strings?"] } });
    const res = await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    expect(res.status).toBeLessThan(300);
    const job = await harness.waitForJob(key);
    expect(job.outcome?.kind).toBe("pr-opened");

    const pulls = harness.fake.pullsOf(full);
    expect(pulls).toHaveLength(1);
    expect(pulls[0].head.ref).toBe("autofix/issue-7");
    expect(pulls[0].body).toContain("Fixes #7");
    expect(pulls[0].body).toContain("- [ ] Should add() also accept strings?");
    const diff = await branchDiff(harness, "autofix/issue-7");
    expect(diff).toContain("-export const add = (a, b) => a - b;");
    expect(diff).toContain("+export const add = (a, b) => a + b;");
    expect(diff.match(/^diff --git/gm)).toHaveLength(1);
    const message = await gitAsync(harness.repo.bare, "log", "-1", "--format=%B", "autofix/issue-7");
    expect(message).toContain("Fixes #7");
    expect(message).toContain("Co-authored-by: maintainer <4321+maintainer@users.noreply.github.com>");

    const checks = harness.fake.checkRuns.map((c: any) => `${c.name}:${c.conclusion}`).sort();
    expect(checks).toEqual(["autofix / deterministic:success", "autofix / review:success", "autofix / semantic:success"]);
    const status = harness.fake.commentsOn(full, 7).filter((c: any) => c.body.includes("autofix:status"));
    expect(status).toHaveLength(1);
    expect(status[0].body).toContain(pulls[0].html_url);
    expect(harness.fake.reactions.some((r) => r.content === "eyes")).toBe(true);
    expect(judge.calls.map((c) => c.gate).sort()).toEqual(["review", "semantic"]);
    expect(harness.fake.unexpected).toEqual([]);
    // The job's spawn was checked out; the spare built beside it waits for the next issue: the job's own baseline
    // checkout never takes one (a spare must not compete with the job that built it).
    expect(await spawnsFrom(harness, "checkout")).toBe(1);
    expect(await spawnsFrom(harness, "spare")).toBe(0);
    await harness.booted.runtime.spares?.settled();
    expect(readdirSync(path.join(harness.dataDir, "spawns", ".spares"))).toHaveLength(1);
  });

  it("rejects a webhook with a wrong signature and starts nothing", async () => {
    const harness = await start();
    const res = await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }), { secret: "not-the-secret" });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await harness.booted.queue.latest(key)).toBeUndefined();
  });

  it("explains to a sender without write permission and does nothing else", async () => {
    const harness = await start();
    harness.fake.setPermission(full, "drive-by", "read");
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts", sender: "drive-by" }));
    await harness.booted.idle(); // explanations are posted after the webhook's answer
    const comments = harness.fake.commentsOn(full, 7);
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain("at least **write** permission");
    expect(comments[0].body).toContain("your permission is **read**");
    expect(await harness.booted.queue.latest(key)).toBeUndefined();
  });

  it("ignores a label added by another bot", async () => {
    const harness = await start();
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts", sender: "renovate[bot]", senderType: "Bot" }));
    await harness.booted.idle();
    expect(harness.fake.commentsOn(full, 7)).toHaveLength(0);
    expect(await harness.booted.queue.latest(key)).toBeUndefined();
  });

  it("lists every problem of an invalid config on the issue and starts nothing", async () => {
    const harness = await start({ config: "lables: [x]\nlimits:\n  attempts: 9\nagent:\n  preset: gpt\n" });
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.booted.idle();
    const [comment] = harness.fake.commentsOn(full, 7);
    expect(comment.body).toContain("is invalid");
    expect(comment.body).toContain("lables");
    expect(comment.body).toContain("limits.attempts");
    expect(comment.body).toContain("agent.preset");
    expect(await harness.booted.queue.latest(key)).toBeUndefined();
  });

  it("opens no PR when the semantic gate fails, and says why on the issue with the kept branch", async () => {
    const harness = await start({ config: config() + "limits:\n  attempts: 1\n" });
    startFakeJudge({ semantic: { verdict: "no", confidence: 0.9, rationale: "The diff changes add() but the issue is about mul()." } });
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key);
    expect(job.outcome?.kind).toBe("gates-failed");
    expect(harness.fake.pullsOf(full)).toHaveLength(0);
    const status = harness.fake.commentsOn(full, 7).find((c: any) => c.body.includes("autofix:status"));
    expect(status?.body).toContain("the semantic gate(s) failed");
    expect(status?.body).toContain("the issue is about mul()");
    expect(status?.body).toContain("autofix/issue-7");
    expect(await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7")).toMatch(/^[0-9a-f]{40}/);
  });

  it("a webhook redelivered ten times opens one PR", async () => {
    const harness = await start();
    startFakeJudge({});
    const payload = labeledPayload({ issue: 7, title: "add() subtracts" });
    for (let i = 0; i < 10; i++) await harness.deliver("issues", payload, { id: "delivery-fixed-id" });
    const job = await harness.waitForJob(key);
    expect(job.outcome?.kind).toBe("pr-opened");
    // Give a wrongly created second job the chance to show up before asserting there is none.
    await new Promise((r) => setTimeout(r, 500));
    expect(harness.fake.pullsOf(full)).toHaveLength(1);
    expect((await harness.booted.queue.list({ limit: 50 })).filter((j) => j.key === key)).toHaveLength(1);
  });

  it("removing the label mid-run cancels the job, removes its spawn and says so", async () => {
    const harness = await start({ config: config("node tools/agent.mjs slow 20000") });
    startFakeJudge({});
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, (j) => j.progress.step === "agent-1");
    await new Promise((r) => setTimeout(r, 500));
    await harness.deliver("issues", { ...labeledPayload({ issue: 7, title: "add() subtracts" }), action: "unlabeled" });
    const job = await harness.waitForJob(key, (j) => j.state === "cancelled");
    expect(job.cancelReason).toContain("label was removed");
    const status = harness.fake.commentsOn(full, 7).find((c: any) => c.body.includes("autofix:status"));
    expect(status?.body).toContain("autofix stopped working on this issue");
    expect(harness.fake.pullsOf(full)).toHaveLength(0);
    const { readdirSync } = await import("node:fs");
    const spawns = readdirSync(`${harness.dataDir}/spawns`).filter((n) => !n.startsWith("."));
    expect(spawns).toEqual([]);
  });

  it("a base branch that moves during the run leaves the PR holding only the agent's change", async () => {
    const harness = await start({ config: config("node tools/agent.mjs slow 1500") });
    startFakeJudge({});
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, (j) => j.progress.step === "agent-1");
    const moved = harness.repo.commit(
      { "docs/CHANGELOG.md": "# Changelog\n- unrelated work\n", "README.md": "# widget\n\nNow documented.\n" },
      "unrelated upstream work",
    );
    const job = await harness.waitForJob(key);
    expect(job.outcome?.kind).toBe("pr-opened");
    expect((await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7~1")).trim()).toBe(moved);
    const diff = await branchDiff(harness, "autofix/issue-7");
    expect(diff.match(/^diff --git/gm)).toHaveLength(1);
    expect(diff).toContain("src/math.js");
  });
});
