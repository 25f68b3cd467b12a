// GitHub on a bad day: 5xx, 429 and secondary rate limits are retried (retry-after respected), a job
// that still cannot reach GitHub is retried by the queue, and nothing is reported or published twice.
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { installationToken, labeledPayload, startAppHarness, type AppHarness, jobFinished } from "../support/appHarness.js";
import { judgeEnv, startFakeJudge } from "../support/fakeJudge.js";
import { injectGitHubFaults, readBranchesFromFiles, retryingTestOctokit, type FaultKind } from "../support/faults.js";
import type { JobRecord } from "../../src/jobs/types.js";

const full = "octo-org/widget";
const issueCount = 50;

// The agent fixes the one file its issue names ("item N is broken"), so 50 PRs never overlap.
const agentScript = `import fs from "node:fs";
const prompt = fs.readFileSync(process.env.AUTOFIX_PROMPT_FILE, "utf8");
const n = /item (\\d+) is broken/.exec(prompt)[1];
const file = "src/item" + n + ".js";
fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"broken"', '"fixed"'));
`;

function repoFiles(): Record<string, string> {
  const files: Record<string, string> = {
    "package.json": JSON.stringify({ name: "widget", type: "module" }, null, 2),
    "tools/agent.mjs": agentScript,
    "README.md": "# widget\n",
  };
  for (let n = 1; n <= issueCount; n++) files[`src/item${n}.js`] = `export const item${n} = "broken";\n`;
  return files;
}

const config = "agent:\n  preset: command\n  command: node tools/agent.mjs\n  timeoutMinutes: 1\nlimits:\n  attempts: 1\n  runsPerDay: 100\n";

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

async function start(issues: number[], retryAfterMs = 10) {
  h = await startAppHarness({
    files: repoFiles(),
    config,
    Octokit: retryingTestOctokit({ retryAfterMs }),
    env: { ...judgeEnv, AUTOFIX_CONCURRENCY: "4", AUTOFIX_PER_INSTALLATION: "4", AUTOFIX_MAX_FAILURES: "4" },
  });
  for (const n of issues) h.fake.addIssue(full, { number: n, title: `item ${n} is broken`, body: `\`item${n}\` should be "fixed".`, author: "reporter" });
  h.fake.setPermission(full, "maintainer", "write");
  readBranchesFromFiles(h.fake, full, h.repo.bare);
  startFakeJudge({});
  return h;
}

const finished = jobFinished;

/** What a maintainer would count on GitHub after the storm, per issue. */
function ledger(harness: AppHarness, n: number) {
  const statusComments = harness.fake.commentsOn(full, n).filter((c) => c.body.includes("<!-- autofix:status:"));
  const pulls = harness.fake.pullsOf(full).filter((p) => p.head.ref === `autofix/issue-${n}`);
  return { statusComments, pulls };
}

function duplicateCheckRuns(harness: AppHarness): string[] {
  const seen = new Map<string, number>();
  for (const run of harness.fake.checkRuns) seen.set(`${run.head_sha}:${run.name}`, (seen.get(`${run.head_sha}:${run.name}`) ?? 0) + 1);
  return [...seen].filter(([, count]) => count > 1).map(([key]) => key);
}

describe("GitHub API faults", () => {
  it("50 labelled issues under 10% random 5xx, 429 and secondary rate limits each end with one outcome, one status comment and at most one PR", async () => {
    const issues = Array.from({ length: issueCount }, (_, i) => i + 1);
    const harness = await start(issues);
    const faults = injectGitHubFaults(harness.fake, { rate: 0.1, seed: 20261125 });

    for (const n of issues) {
      const res = await harness.deliver("issues", labeledPayload({ issue: n, title: `item ${n} is broken` }));
      expect(res.status, `delivery for issue ${n}`).toBeLessThan(300);
    }
    const jobs = new Map<number, JobRecord>();
    for (const n of issues) jobs.set(n, await harness.waitForJob(`${full}#${n}`, finished, 110_000));

    const all = await harness.booted.queue.list({ limit: 1000 });
    for (const n of issues) {
      const job = jobs.get(n)!;
      expect(
        all.filter((j) => j.key === `${full}#${n}`),
        `jobs for issue ${n}`,
      ).toHaveLength(1);
      expect(job.outcome, `outcome of issue ${n}`).toBeDefined();
      expect(job.outcome?.kind, `outcome of issue ${n}: ${job.outcome?.message}`).toBe("pr-opened");
      const { statusComments, pulls } = ledger(harness, n);
      expect(statusComments, `status comments on issue ${n}: ${statusComments.map((c) => c.body.split("\n")[1]).join(" | ")}`).toHaveLength(1);
      expect(statusComments[0].body).toContain(pulls[0]?.html_url);
      expect(pulls, `PRs for issue ${n}`).toHaveLength(1);
    }
    expect(duplicateCheckRuns(harness)).toEqual([]);
    expect(harness.fake.checkRuns).toHaveLength(issueCount * 3);
    expect(harness.fake.unexpected).toEqual([]);
    // Failed requests are logged (warnings, retries): none of those lines carries the token.
    expect(harness.logLines.filter((l) => l.includes(installationToken))).toEqual([]);
    // The storm really happened, with every kind of fault.
    expect(faults.injected.length).toBeGreaterThan(faults.requests.length * 0.05);
    expect(new Set(faults.injected.map((f) => f.kind))).toEqual(new Set<FaultKind>(["500", "502", "429-secondary", "403-secondary"]));
  }, 150_000);

  it("a GitHub that does each first write and loses its answer still ends with one status comment, one PR and no duplicate check runs", async () => {
    const harness = await start([1]);
    const lost = new Set<string>();
    // Every write path's first request is done by the fake and answered 502, as a dropped connection would.
    const faults = injectGitHubFaults(harness.fake, {
      rate: 0,
      seed: 1,
      decide: (method, path) =>
        method !== "GET" && !path.includes("access_tokens") && !lost.has(`${method} ${path}`)
          ? (lost.add(`${method} ${path}`), "502-after-handling")
          : undefined,
    });
    await harness.deliver("issues", labeledPayload({ issue: 1, title: "item 1 is broken" }));
    const job = await harness.waitForJob(`${full}#1`, finished, 60_000);
    expect(job.outcome?.kind, job.outcome?.message).toBe("pr-opened");
    expect(faults.injected.map((f) => `${f.method} ${f.path}`)).toEqual(
      expect.arrayContaining(["POST /repos/octo-org/widget/issues/1/comments", "POST /repos/octo-org/widget/pulls", "POST /repos/octo-org/widget/check-runs"]),
    );
    const { statusComments, pulls } = ledger(harness, 1);
    expect(statusComments, statusComments.map((c) => c.body.split("\n")[1]).join(" | ")).toHaveLength(1);
    expect(pulls).toHaveLength(1);
    expect(duplicateCheckRuns(harness)).toEqual([]);
    expect(harness.fake.checkRuns).toHaveLength(3);
  }, 90_000);

  it("waits out a secondary rate limit's retry-after before asking again", async () => {
    const harness = await start([1], 100);
    let first = true;
    const faults = injectGitHubFaults(harness.fake, {
      rate: 0,
      seed: 1,
      retryAfterS: 3,
      decide: (method, path) => (method === "POST" && path.endsWith("/pulls") && first ? ((first = false), "403-secondary") : undefined),
    });
    await harness.deliver("issues", labeledPayload({ issue: 1, title: "item 1 is broken" }));
    const job = await harness.waitForJob(`${full}#1`, finished);
    expect(job.outcome?.kind).toBe("pr-opened");
    expect(faults.injected.map((f) => f.kind)).toEqual(["403-secondary"]);
    const limitedAt = faults.injected[0].atMs;
    const pullPosts = faults.requests.filter((r) => r.method === "POST" && r.path.endsWith("/pulls"));
    expect(pullPosts.map((r) => r.fault)).toEqual(["403-secondary", undefined]);
    // retry-after: 3 (seconds) × 100 ms per second in this test's clock: the retry came no sooner.
    expect(pullPosts[1].atMs - limitedAt).toBeGreaterThanOrEqual(300);
    expect(harness.fake.pullsOf(full)).toHaveLength(1);
  });

  it("a job that cannot open its PR after the client's retries is retried by the queue, and publishes once", async () => {
    const harness = await start([1]);
    let failingPosts = 4; // one try and three retries of plugin-retry: the request fails for good
    injectGitHubFaults(harness.fake, {
      rate: 0,
      seed: 1,
      decide: (method, path) => (method === "POST" && path.endsWith("/pulls") && failingPosts > 0 ? (failingPosts--, "502") : undefined),
    });
    await harness.deliver("issues", labeledPayload({ issue: 1, title: "item 1 is broken" }));
    const job = await harness.waitForJob(`${full}#1`, finished, 60_000);
    expect(job.outcome?.kind).toBe("pr-opened");
    expect(job.claims).toBe(2);
    expect(job.failures).toBe(1);
    // The second claim resumed after the push: it pushed nothing again and reported once.
    expect(job.steps.find((s) => s.name === "push")?.status).toBe("done");
    const { statusComments, pulls } = ledger(harness, 1);
    expect(pulls).toHaveLength(1);
    expect(statusComments).toHaveLength(1);
    expect(statusComments[0].body).toContain(pulls[0].html_url);
    expect(duplicateCheckRuns(harness)).toEqual([]);
    const pushes = harness.git.requests.filter((r) => r.service === "git-receive-pack" && r.method === "POST");
    expect(pushes).toHaveLength(1);
  }, 90_000);
});
