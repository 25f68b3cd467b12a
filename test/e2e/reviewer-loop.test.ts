// The reviewer's loop: commands in comments, reviews, a human's push, closed and merged PRs.
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { git, gitAsync } from "../support/repoBuilder.js";
import { installationId, labeledPayload, startAppHarness, type AppHarness } from "../support/appHarness.js";
import { startFakeJudge } from "../support/fakeJudge.js";
import { judgeEnv } from "../support/fakeJudge.js";

const full = "octo-org/widget";
const key = `${full}#7`;

// Fixes add(); on a revision asking for a doc comment, adds one (and nothing else).
const agentScript = `import fs from "node:fs";
const prompt = process.env.AUTOFIX_PROMPT ?? "";
const file = "src/math.js";
let text = fs.readFileSync(file, "utf8");
if (/doc comment/.test(prompt) && !text.startsWith("/**")) text = "/** Adds and multiplies numbers. */\\n" + text;
else text = text.replace("a - b", "a + b");
fs.writeFileSync(file, text);
`;

const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module", scripts: { test: "node --test test/" } }),
  "src/math.js": "export const add = (a, b) => a - b;\nexport const mul = (a, b) => a * b;\n",
  "test/math.test.js":
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add } from "../src/math.js";\ntest("add", () => assert.equal(add(2, 3), 5));\n',
  "tools/agent.mjs": agentScript,
};
const config = "agent:\n  preset: command\n  command: node tools/agent.mjs\n  timeoutMinutes: 1\n";

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

async function withOpenPr(extraConfig = ""): Promise<{ harness: AppHarness; pr: any; judge: ReturnType<typeof startFakeJudge> }> {
  h = await startAppHarness({ files, config: config + extraConfig, env: judgeEnv });
  h.fake.addIssue(full, { number: 7, title: "add() subtracts", body: "add(2, 3) should be 5", labels: ["autofix"] });
  h.fake.setPermission(full, "maintainer", "write");
  h.fake.setPermission(full, "visitor", "read");
  const judge = startFakeJudge({});
  await h.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
  const job = await h.waitForJob(key);
  expect(job.outcome?.kind).toBe("pr-opened");
  return { harness: h, pr: h.fake.pullsOf(full)[0], judge };
}

function repository() {
  return { name: "widget", full_name: full, owner: { login: "octo-org", type: "Organization" }, default_branch: "main", delete_branch_on_merge: false };
}

function commentEvent(opts: { on: number; body: string; user?: string; isPr?: boolean; id?: number }) {
  return {
    action: "created",
    issue: { number: opts.on, title: "add() subtracts", state: "open", ...(opts.isPr ? { pull_request: { url: "x" } } : {}), labels: [] },
    comment: { id: opts.id ?? 900 + Math.floor(Math.random() * 1000), body: opts.body, user: { login: opts.user ?? "maintainer", type: "User" } },
    repository: repository(),
    sender: { login: opts.user ?? "maintainer", type: "User" },
    installation: { id: installationId },
  };
}

function prEvent(action: string, pr: any, extra: object = {}) {
  return {
    action,
    number: pr.number,
    pull_request: {
      number: pr.number,
      merged: false,
      head: { ref: pr.head.ref, sha: pr.head.sha, repo: { full_name: full } },
      base: { ref: "main" },
      user: { login: "autofix[bot]", type: "Bot" },
    },
    repository: repository(),
    sender: { login: "maintainer", type: "User" },
    installation: { id: installationId },
    ...extra,
  };
}

const lastJob = (harness: AppHarness) => harness.booted.queue.latest(key);

describe("the reviewer's loop", () => {
  it("/autofix revise adds a second commit holding only the revision, and updates the one PR", async () => {
    const { harness, pr, judge } = await withOpenPr();
    const firstHead = (await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7")).trim();
    await harness.deliver("issue_comment", commentEvent({ on: pr.number, isPr: true, body: "/autofix revise please add a doc comment" }));
    const job = await harness.waitForJob(key, (j) => j.spec.trigger === "revise" && ["succeeded", "failed", "cancelled"].includes(j.state));
    expect(job.outcome?.kind).toBe("pr-updated");
    expect((await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7~1")).trim()).toBe(firstHead);
    const revision = await gitAsync(harness.repo.bare, "diff", "autofix/issue-7~1", "autofix/issue-7");
    expect(revision).toContain("+/** Adds and multiplies numbers. */");
    expect(revision).not.toMatch(/^[+-].*a [+-] b/m);
    expect(harness.fake.pullsOf(full)).toHaveLength(1);
    expect(harness.fake.reactions.some((r) => r.target.startsWith("comment:") && r.content === "eyes")).toBe(true);
    // The judges saw the PR's whole change against main: the original fix and the revision together.
    const judged = judge.calls.filter((c) => c.gate === "semantic").at(-1)!.prompt;
    expect(judged).toContain("+export const add = (a, b) => a + b;");
    expect(judged).toContain("+/** Adds and multiplies numbers. */");
  });

  it("a review requesting changes starts a revision with the review's words", async () => {
    const { harness, pr } = await withOpenPr();
    await harness.deliver("pull_request_review", {
      ...prEvent("submitted", pr),
      review: { id: 31, state: "changes_requested", body: "Please add a doc comment.", user: { login: "maintainer", type: "User" } },
    });
    const job = await harness.waitForJob(key, (j) => j.spec.trigger === "review" && ["succeeded", "failed", "cancelled"].includes(j.state));
    expect(job.spec.instructions).toContain("Please add a doc comment.");
    expect(job.outcome?.kind).toBe("pr-updated");
    expect(await gitAsync(harness.repo.bare, "show", "autofix/issue-7:src/math.js")).toContain("/** Adds and multiplies numbers. */");
  });

  it("after a human pushes to the branch, a retry builds on top of their commit instead of force-pushing", async () => {
    const { harness, pr } = await withOpenPr();
    const work = harness.repo.work;
    git(work, "fetch", "-q", "origin");
    git(work, "checkout", "-q", "-B", "autofix/issue-7", "origin/autofix/issue-7");
    const human = harness.repo.commit({ "NOTES.md": "human notes\n" }, "human tweak", "autofix/issue-7");
    await harness.deliver("pull_request", prEvent("synchronize", pr, { sender: { login: "maintainer", type: "User" } }));
    const note = harness.fake.commentsOn(full, pr.number).filter((c: any) => c.body.includes("autofix:hands-off"));
    expect(note).toHaveLength(1);
    await harness.deliver("issue_comment", commentEvent({ on: 7, body: "/autofix retry\nplease add a doc comment" }));
    await harness.waitForJob(key, (j) => j.spec.trigger === "retry" && ["succeeded", "failed", "cancelled"].includes(j.state));
    // The human's commit is still in the branch's history: nothing was force-pushed over it.
    await gitAsync(harness.repo.bare, "merge-base", "--is-ancestor", human, "autofix/issue-7");
    expect(await gitAsync(harness.repo.bare, "show", "autofix/issue-7:NOTES.md")).toBe("human notes\n");
  });

  it("/autofix status answers with the job's state; a user without permission gets an explanation instead", async () => {
    const { harness } = await withOpenPr();
    await harness.deliver("issue_comment", commentEvent({ on: 7, body: "/autofix status" }));
    await harness.booted.idle(); // commands are decided after the webhook's answer
    const replies = harness.fake.commentsOn(full, 7).filter((c: any) => c.body.includes("is **succeeded**"));
    expect(replies).toHaveLength(1);
    await harness.deliver("issue_comment", commentEvent({ on: 7, body: "/autofix retry", user: "visitor" }));
    await harness.booted.idle();
    expect(harness.fake.commentsOn(full, 7).some((c: any) => c.body.includes("your permission is **read**"))).toBe(true);
    expect((await lastJob(harness))?.spec.trigger).toBe("label");
  });

  it("an unknown command gets a short explanation", async () => {
    const { harness } = await withOpenPr();
    await harness.deliver("issue_comment", commentEvent({ on: 7, body: "/autofix dance" }));
    await harness.booted.idle();
    expect(harness.fake.commentsOn(full, 7).some((c: any) => c.body.includes("does not know `/autofix dance`"))).toBe(true);
  });

  it("a PR closed without merging leaves the label inert until /autofix retry", async () => {
    const { harness, pr } = await withOpenPr();
    await harness.deliver("pull_request", prEvent("closed", pr));
    expect(harness.fake.issues.get(`${full}#7`)!.labels.map((l) => l.name)).toContain("autofix: paused");
    const closedPr = harness.fake.pullsOf(full)[0];
    closedPr.state = "closed";
    const before = (await lastJob(harness))!.id;
    await harness.deliver("issues", {
      ...labeledPayload({ issue: 7, title: "add() subtracts" }),
      issue: { ...labeledPayload({ issue: 7, title: "x" }).issue, labels: [{ name: "autofix" }, { name: "autofix: paused" }] },
    });
    await harness.booted.idle(); // the label is decided after the webhook's answer
    expect((await lastJob(harness))!.id).toBe(before);
    await harness.deliver("issue_comment", commentEvent({ on: 7, body: "/autofix retry" }));
    const retried = await harness.waitForJob(key, (j) => j.id !== before && ["succeeded", "failed", "cancelled"].includes(j.state));
    expect(retried.spec.trigger).toBe("retry");
    expect(harness.fake.issues.get(`${full}#7`)!.labels.map((l) => l.name)).not.toContain("autofix: paused");
  });

  it("a merged PR ends the story: the bot deletes its branch", async () => {
    const { harness, pr } = await withOpenPr();
    await harness.deliver("pull_request", prEvent("closed", pr, { pull_request: { ...prEvent("closed", pr).pull_request, merged: true } }));
    expect(harness.fake.requests.some((r) => r.method === "DELETE" && r.path.endsWith("/git/refs/heads/autofix/issue-7"))).toBe(true);
  });

  function pushEvent(after: string) {
    return {
      ref: "refs/heads/main",
      after,
      deleted: false,
      repository: { ...repository(), owner: { login: "octo-org", name: "octo-org" } },
      sender: { login: "maintainer", type: "User" },
      installation: { id: installationId },
    };
  }

  it("when the base moves, the change is re-absorbed onto the new head without an agent run and the deterministic gate re-runs", async () => {
    const { harness } = await withOpenPr("pr:\n  updateBranch: always\n");
    const moved = harness.repo.commit({ "docs/guide.md": "# Guide\n" }, "docs upstream");
    await harness.deliver("push", pushEvent(moved));
    const job = await harness.waitForJob(key, (j) => j.spec.trigger === "update-branch" && ["succeeded", "failed", "cancelled"].includes(j.state));
    expect(job.outcome?.kind).toBe("pr-updated");
    expect((await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7~1")).trim()).toBe(moved);
    const diff = await gitAsync(harness.repo.bare, "diff", "autofix/issue-7~1", "autofix/issue-7");
    expect(diff.match(/^diff --git/gm)).toHaveLength(1);
    expect(diff).toContain("+export const add = (a, b) => a + b;");
    expect(job.steps.some((s) => s.name.startsWith("agent-"))).toBe(false);
    const headSha = (await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7")).trim();
    expect(harness.fake.checkRuns.some((c: any) => c.name === "autofix / deterministic" && c.head_sha === headSha && c.conclusion === "success")).toBe(true);
    const pr = harness.fake.pullsOf(full)[0];
    expect(harness.fake.commentsOn(full, pr.number).some((c: any) => c.body.includes("re-applied its change"))).toBe(true);
  });

  it("a revised PR is re-absorbed as a whole when the base moves: the first fix and the revision, nothing else", async () => {
    const { harness, pr } = await withOpenPr("pr:\n  updateBranch: always\n");
    await harness.deliver("issue_comment", commentEvent({ on: pr.number, isPr: true, body: "/autofix revise please add a doc comment" }));
    const revised = await harness.waitForJob(key, (j) => j.spec.trigger === "revise" && ["succeeded", "failed", "cancelled"].includes(j.state));
    expect(revised.outcome?.kind).toBe("pr-updated");
    const moved = harness.repo.commit({ "docs/guide.md": "# Guide\n" }, "docs upstream");
    await harness.deliver("push", pushEvent(moved));
    const job = await harness.waitForJob(key, (j) => j.spec.trigger === "update-branch" && ["succeeded", "failed", "cancelled"].includes(j.state));
    expect(job.outcome?.kind).toBe("pr-updated");
    expect(job.steps.some((s) => s.name.startsWith("agent-"))).toBe(false);
    // No single recorded delta holds a revised change: it was read back from the branch.
    expect(job.steps.some((s) => s.name === "branch-change" && s.status === "done")).toBe(true);
    expect((await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7~1")).trim()).toBe(moved);
    const diff = await gitAsync(harness.repo.bare, "diff", "autofix/issue-7~1", "autofix/issue-7");
    expect(diff.match(/^diff --git/gm)).toHaveLength(1);
    expect(diff).toContain("+export const add = (a, b) => a + b;");
    expect(diff).toContain("+/** Adds and multiplies numbers. */");
    expect(diff).not.toContain("docs/guide.md");
    expect(harness.fake.commentsOn(full, pr.number).some((c: any) => c.body.includes("re-applied its change"))).toBe(true);
  });

  it("when the base moves into a conflict, the bot says so on the PR and pushes nothing", async () => {
    const { harness, pr } = await withOpenPr();
    const before = (await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7")).trim();
    const moved = harness.repo.commit(
      { "src/math.js": "export const add = (a, b) => Number(a) - Number(b);\nexport const mul = (a, b) => a * b;\n" },
      "upstream touches add()",
    );
    harness.fake.pullsOf(full)[0].mergeable = false;
    await harness.deliver("push", pushEvent(moved));
    const job = await harness.waitForJob(key, (j) => j.spec.trigger === "update-branch" && ["succeeded", "failed", "cancelled"].includes(j.state));
    expect(job.outcome?.kind).toBe("conflict");
    expect((await gitAsync(harness.repo.bare, "rev-parse", "autofix/issue-7")).trim()).toBe(before);
    const comment = harness.fake.commentsOn(full, pr.number).find((c: any) => c.body.includes("no longer applies"));
    expect(comment?.body).toContain("src/math.js");
  });
});
