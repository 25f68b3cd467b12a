// More of what maintainers and reviewers see: config check runs, review comments inline, a label
// applied twice, and agents whose only changes are their own tool files.
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { git } from "../support/repoBuilder.js";
import { installationId, labeledPayload, startAppHarness, type AppHarness } from "../support/appHarness.js";
import { judgeEnv, startFakeJudge } from "../support/fakeJudge.js";

const full = "octo-org/widget";
const key = `${full}#7`;
const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module", scripts: { test: "node --test test/" } }),
  "src/math.js": "export const add = (a, b) => a - b;\nexport const mul = (a, b) => a * b;\n",
  "test/math.test.js":
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add } from "../src/math.js";\ntest("add", () => assert.equal(add(2, 3), 5));\n',
  "tools/fix.mjs": 'import fs from "node:fs";\nconst f = "src/math.js";\nfs.writeFileSync(f, fs.readFileSync(f, "utf8").replace("a - b", "a + b"));\n',
  "tools/only-tool-files.mjs":
    'import fs from "node:fs";\nfs.mkdirSync(".claude", { recursive: true });\nfs.writeFileSync(".claude/settings.local.json", "{\\"hooks\\": {}}\\n");\n',
  // First attempt: a wrong fix. When the prompt carries a gate report (a repair attempt), the right one.
  "tools/learns.mjs":
    'import fs from "node:fs";\nconst f = "src/math.js";\nconst repair = /semantic/.test(process.env.AUTOFIX_PROMPT ?? "");\nconst text = fs.readFileSync("src/math.js", "utf8").replace("a * b", "a * b * 1");\nfs.writeFileSync(f, repair ? text.replace("a - b", "a + b") : text);\n',
  "tools/restore.mjs":
    'import fs from "node:fs";\nconst f = "src/math.js";\nconst before = fs.readFileSync(f, "utf8");\nfs.writeFileSync(f, before + "// temp\\n");\nfs.writeFileSync(f, before);\n',
};
const config = (command: string) => `agent:\n  preset: command\n  command: ${command}\n  timeoutMinutes: 1\n`;

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

async function start(command: string) {
  h = await startAppHarness({ files, config: config(command), env: judgeEnv });
  h.fake.addIssue(full, { number: 7, title: "add() subtracts", body: "add(2, 3) should be 5" });
  h.fake.setPermission(full, "maintainer", "write");
  return h;
}

describe("what reviewers see", () => {
  it("review findings become a PR review: lines in the diff inline, others in the review body", async () => {
    const harness = await start("node tools/fix.mjs");
    startFakeJudge({
      review: {
        decision: "comment",
        findings: [
          { path: "src/math.js", line: 1, severity: "nit", text: "Consider a JSDoc comment for add()." },
          { path: "src/math.js", line: 40, severity: "minor", text: "Line outside the diff." },
        ],
      },
    });
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    expect((await harness.waitForJob(key)).outcome?.kind).toBe("pr-opened");
    const [review] = harness.fake.reviews;
    expect(review.comments).toHaveLength(1);
    expect(review.comments[0]).toMatchObject({ path: "src/math.js", line: 1 });
    expect(review.comments[0].body).toContain("JSDoc");
    expect(review.body).toContain("Line outside the diff.");
  });

  it("the same label applied twice in quick succession makes one job", async () => {
    const harness = await start("node tools/fix.mjs");
    startFakeJudge({});
    await Promise.all([
      harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }), { id: "delivery-a" }),
      harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }), { id: "delivery-b" }),
    ]);
    await harness.waitForJob(key);
    await harness.booted.idle(); // both deliveries decided (after their answers)
    const jobs = (await harness.booted.queue.list({ limit: 20 })).filter((j) => j.key === key);
    expect(jobs.filter((j) => j.state !== "cancelled")).toHaveLength(1);
    expect(harness.fake.pullsOf(full)).toHaveLength(1);
  });

  it("an agent whose only change is its own tool file opens no PR and says so", async () => {
    const harness = await start("node tools/only-tool-files.mjs");
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key);
    expect(job.outcome?.kind).toBe("no-change");
    expect(job.outcome?.message).toMatch(/the agent's only changes were its own tool files/i);
    expect(harness.fake.pullsOf(full)).toHaveLength(0);
    const status = harness.fake.commentsOn(full, 7).find((c: any) => c.body.includes("autofix:status"));
    expect(status?.body).toContain("own tool files");
  });

  it("an agent that changes files and restores them opens no PR and says so", async () => {
    const harness = await start("node tools/restore.mjs");
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key);
    expect(job.outcome?.kind).toBe("no-change");
    expect(job.outcome?.message).toMatch(/changed files and then restored them all/i);
    expect(harness.fake.pullsOf(full)).toHaveLength(0);
  });

  it("a pull request changing .github/autofix.yml gets an autofix / config check run listing the problems", async () => {
    const harness = await start("node tools/fix.mjs");
    const work = harness.repo.work;
    git(work, "checkout", "-q", "-b", "tune-autofix");
    const sha = harness.repo.commit({ ".github/autofix.yml": "label: autofix\nlimits:\n  attempts: 12\n" }, "tune autofix", "tune-autofix");
    harness.fake.pulls.push({
      number: 50,
      state: "open",
      html_url: "https://github.com/octo-org/widget/pull/50",
      user: { login: "maintainer", type: "User" },
      head: { ref: "tune-autofix", sha, repo: { full_name: full } },
      base: { ref: "main", sha: harness.repo.head("main"), repo: { full_name: full } },
    });
    await harness.deliver("pull_request", {
      action: "opened",
      number: 50,
      pull_request: {
        number: 50,
        head: { ref: "tune-autofix", sha, repo: { name: "widget", full_name: full, owner: { login: "octo-org" } } },
        base: { ref: "main" },
        user: { login: "maintainer", type: "User" },
      },
      repository: { name: "widget", full_name: full, owner: { login: "octo-org", type: "Organization" } },
      sender: { login: "maintainer", type: "User" },
      installation: { id: installationId },
    });
    const check = harness.fake.checkRuns.find((c: any) => c.name === "autofix / config");
    expect(check?.conclusion).toBe("failure");
    expect(check?.head_sha).toBe(sha);
    expect(check?.output.summary).toContain("limits.attempts");
  });

  it("the repair loop feeds a failed gate's report back and turns a failed first attempt into a PR on the second", async () => {
    const harness = await start("node tools/learns.mjs");
    let calls = 0;
    const judge = startFakeJudge(() => {
      calls++;
      // The first semantic verdict rejects the wrong fix; later ones accept.
      return calls <= 2 ? { semantic: { verdict: "no", confidence: 0.9, rationale: "mul() is touched but add() still subtracts." } } : {};
    });
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key);
    expect(job.outcome?.kind).toBe("pr-opened");
    expect(job.steps.map((s) => s.name)).toEqual(expect.arrayContaining(["agent-1", "gates-1", "agent-2", "gates-2"]));
    const pr = harness.fake.pullsOf(full)[0];
    expect(pr.body).toContain("Attempts: 2");
    // Each attempt's delta is taken against the original baseline: the PR holds both edits of the spawn.
    expect(judge.calls.filter((c) => c.gate === "semantic")).toHaveLength(2);
  });
});
