// The dashboard issue: one issue per repository listing the bot's jobs, kept in place by its marker,
// and steered by checkboxes that only people with the configured permission can use.
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { gitAsync } from "../support/repoBuilder.js";
import { installationId, labeledPayload, startAppHarness, type AppHarness } from "../support/appHarness.js";
import { judgeEnv, startFakeJudge } from "../support/fakeJudge.js";
import { installFakeCi, installFakeIssues, type FakeCi, type FakeIssues } from "../support/fakeCi.js";
import type { JobRecord } from "../../src/jobs/types.js";

const full = "octo-org/widget";
const key = `${full}#7`;

const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module", scripts: { test: "node --test test/" } }),
  "src/math.js": "export const add = (a, b) => a - b;\n",
  "test/math.test.js":
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add } from "../src/math.js";\ntest("add", () => assert.equal(add(2, 3), 5));\n',
  "tools/agent.mjs": 'import fs from "node:fs";\nfs.writeFileSync("src/math.js", fs.readFileSync("src/math.js", "utf8").replace("a - b", "a + b"));\n',
};
// CI is followed but only a check event or the dashboard wakes the job (polling every 10 minutes).
const config =
  "agent:\n  preset: command\n  command: node tools/agent.mjs\n  timeoutMinutes: 1\ngates:\n  ci:\n    wait: true\n    pollSeconds: 600\ndashboard:\n  issue: true\n  title: autofix dashboard\n";

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

async function start(): Promise<{ harness: AppHarness; ci: FakeCi; issues: FakeIssues }> {
  h = await startAppHarness({ files, config, env: { ...judgeEnv, AUTOFIX_DASHBOARD_ISSUE_INTERVAL_MS: "300" } });
  h.fake.addIssue(full, { number: 7, title: "add() subtracts", body: "add(2, 3) should be 5", labels: ["autofix"] });
  h.fake.setPermission(full, "maintainer", "write");
  h.fake.setPermission(full, "visitor", "read");
  startFakeJudge({});
  const ci = installFakeCi(h.fake, full);
  ci.autoStart(["test"]);
  return { harness: h, ci, issues: installFakeIssues(h.fake, full) };
}

const ended = (j: JobRecord) => ["succeeded", "failed", "cancelled"].includes(j.state);
const waitingForCi = (j: JobRecord) => j.state === "queued" && j.progress.step === "ci-0-wait";

/** Polls until the dashboard issue's body satisfies `ok` (it is redrawn asynchronously, throttled). */
async function dashboardBody(issues: FakeIssues, ok: (body: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = issues.created.at(-1);
    const body = n === undefined ? "" : issues.bodyOf(n);
    if (n !== undefined && ok(body)) return body;
    if (Date.now() > deadline) throw new Error(`dashboard never matched; last body:\n${body}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tick(body: string, label: string): string {
  const line = body.split("\n").find((l) => l.includes(`- [ ] ${label} <!-- autofix:do:`) && l.includes(key));
  if (!line) throw new Error(`no "${label}" box in:\n${body}`);
  return body.replace(line, line.replace("- [ ]", "- [x]"));
}

function editedEvent(issueNumber: number, body: string, from: string, sender: string) {
  return {
    action: "edited",
    issue: { number: issueNumber, title: "autofix dashboard", body, state: "open", labels: [], user: { login: "autofix[bot]", type: "Bot" } },
    changes: { body: { from } },
    repository: { name: "widget", full_name: full, owner: { login: "octo-org", type: "Organization" } },
    sender: { login: sender, type: sender.endsWith("[bot]") ? "Bot" : "User" },
    installation: { id: installationId },
  };
}

describe("the dashboard issue", () => {
  it("is opened once under 20 redeliveries, follows the job from waiting for CI to finished, and is recreated once when deleted", async () => {
    const { harness, ci, issues } = await start();
    const label = labeledPayload({ issue: 7, title: "add() subtracts" });
    await Promise.all(Array.from({ length: 20 }, () => harness.deliver("issues", label, { id: "delivery-label-7" })));
    await harness.waitForJob(key, waitingForCi);
    const waiting = await dashboardBody(issues, (b) => /### Waiting for CI\n\n- #7 add\(\) subtracts/.test(b));
    expect(waiting).toContain("<!-- autofix:dashboard -->");

    const sha = (await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7")).trim();
    ci.finish(sha, "test", "success");
    await harness.deliver("check_suite", {
      action: "completed",
      check_suite: { id: 1, head_branch: "autofix/issue-7", head_sha: sha, app: { slug: "github-actions" } },
      repository: { name: "widget", full_name: full, owner: { login: "octo-org", type: "Organization" } },
      installation: { id: installationId },
    });
    await harness.waitForJob(key, ended);
    const finished = await dashboardBody(issues, (b) => /### Recently finished\n\n- #7 add\(\) subtracts \(label, PR #\d+/.test(b));
    expect(finished).toMatch(/\[PR\]\(https:\/\/github\.com\/octo-org\/widget\/pull\/\d+\)/);
    expect(finished).toContain("### Waiting for CI\n\n_None._");
    expect(issues.created).toHaveLength(1);
    expect(harness.fake.issues.get(`${full}#${issues.created[0]}`)?.title).toBe("autofix dashboard");

    // Deleted by an admin: the next move opens it again, once.
    issues.remove(issues.created[0]);
    await Promise.all(Array.from({ length: 5 }, () => harness.deliver("issues", { ...label, action: "closed" })));
    await dashboardBody(issues, (b) => b.includes("### Recently finished"));
    await harness.booted.dashboard.idle();
    expect(issues.created).toHaveLength(2);
  });

  it("each ticked box acts once, only for a user with the configured permission, and is unticked again", async () => {
    const { harness, ci, issues } = await start();
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    await harness.waitForJob(key, waitingForCi);
    let body = await dashboardBody(issues, (b) => b.includes("check CI now <!-- autofix:do:run-now:"));
    const dash = issues.created[0];

    // A reader ticks "stop": refused and told why; the job keeps waiting; the box is unticked.
    let ticked = tick(body, "stop");
    let from = issues.edit(dash, ticked);
    await harness.deliver("issues", editedEvent(dash, ticked, from, "visitor"));
    expect(harness.fake.commentsOn(full, dash).some((c: any) => c.body.includes("@visitor") && c.body.includes("**write** permission"))).toBe(true);
    body = await dashboardBody(issues, (b) => !b.includes("- [x]"));
    expect((await harness.booted.queue.latest(key))?.state).toBe("queued");

    // The bot's own edit with a ticked box does nothing.
    ticked = tick(body, "stop");
    from = issues.edit(dash, ticked);
    await harness.deliver("issues", editedEvent(dash, ticked, from, "autofix[bot]"));
    expect((await harness.booted.queue.latest(key))?.state).toBe("queued");
    issues.edit(dash, from);

    // A maintainer ticks "check CI now": the waiting job looks at CI at once (no event, no poll due) and finishes.
    ci.finish((await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7")).trim(), "test", "success");
    ticked = tick(body, "check CI now");
    from = issues.edit(dash, ticked);
    await harness.deliver("issues", editedEvent(dash, ticked, from, "maintainer"));
    const done = await harness.waitForJob(key, ended, 20_000);
    expect(done.outcome?.message).toContain("ready for review");

    // "retry", delivered twice (a redelivery): one new job.
    body = await dashboardBody(issues, (b) => b.includes("retry <!-- autofix:do:retry:"));
    ticked = tick(body, "retry");
    from = issues.edit(dash, ticked);
    const edit = editedEvent(dash, ticked, from, "maintainer");
    await harness.deliver("issues", edit, { id: "edit-retry-1" });
    await harness.deliver("issues", edit, { id: "edit-retry-1" });
    // A later edit that still carries the tick (in `from` too) does not act again.
    await harness.deliver("issues", editedEvent(dash, ticked + "\n", ticked, "maintainer"));
    const retried = await harness.waitForJob(key, (j) => j.spec.trigger === "retry");
    expect(retried.spec.requestedBy).toBe("maintainer");
    const jobs = (await harness.booted.queue.list({ limit: 100 })).filter((j) => j.key === key);
    expect(jobs.filter((j) => j.spec.trigger === "retry")).toHaveLength(1);

    // "stop" by the maintainer cancels the retry.
    body = await dashboardBody(issues, (b) => /autofix:do:stop:/.test(b) && !b.includes("- [x]"));
    ticked = tick(body, "stop");
    from = issues.edit(dash, ticked);
    await harness.deliver("issues", editedEvent(dash, ticked, from, "maintainer"));
    const stopped = await harness.waitForJob(key, ended, 30_000);
    expect(stopped.state).toBe("cancelled");
    expect(stopped.cancelReason).toContain("stopped from the dashboard by @maintainer");
    await dashboardBody(issues, (b) => !b.includes("- [x]") && /Recently finished\n\n- #7 [^\n]*\(retry/.test(b));
  });
});
