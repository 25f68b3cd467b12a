// Durability with the real pipeline: `autofix worker` is SIGKILLed inside each step of a job, a fresh
// worker process takes over, and every job still ends with one PR, one status comment, no duplicated
// check run, exactly the agent's change on its branch and no spawn left on disk.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobQueue } from "../../src/jobs/index.js";
import type { JobQueue, JobRecord } from "../../src/jobs/types.js";
import { startAutofixWorker, type AutofixWorker } from "../support/autofixWorker.js";
import { startDelayFront, type DelayFront, type FrontRequest, type Hold } from "../support/delayFront.js";
import { FakeGitHub, testPrivateKey } from "../support/githubApi.js";
import { extendFakeGitHub } from "../support/fakeGitHubExtras.js";
import { startGitHubProxy, type GitHubProxy } from "../support/githubProxy.js";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, gitAsync, tempDir, type BuiltRepo } from "../support/repoBuilder.js";

const owner = "octo-org";
const name = "widget";
const full = `${owner}/${name}`;
const token = "ghs_crashPipelineToken0123456789";
const installationId = 4242;

// Slow on purpose, so a kill polled from the job record lands inside the step: the agent sleeps, the
// repository's tests sleep (the deterministic gate runs them on both sides).
const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module", scripts: { test: "node --test test/" } }, null, 2),
  "src/math.js": "export const add = (a, b) => a - b;\nexport const mul = (a, b) => a * b;\n",
  "test/math.test.js":
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add, mul } from "../src/math.js";\n' +
    'test("add", async () => { await new Promise((r) => setTimeout(r, 2000)); assert.equal(add(2, 3), 5); });\ntest("mul", () => assert.equal(mul(2, 3), 6));\n',
  "tools/agent.mjs":
    'import fs from "node:fs";\nawait new Promise((r) => setTimeout(r, 2500));\nconst file = "src/math.js";\n' +
    'fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("a - b", "a + b"));\nconsole.log("agent: fixed add");\n',
  "README.md": "# widget\n",
};
const config = "agent:\n  preset: command\n  command: node tools/agent.mjs\n  timeoutMinutes: 2\ngates:\n  allowSkipWithoutLlm: true\n";

interface KillPoint {
  step: string;
  issue: number;
  /** Besides the step showing "running": what must have happened before the kill (the side effect). */
  landed?: () => Promise<boolean>;
}

const HOLD_MS = 3_000;
const cancelledIssue = 19;
const branchOf = (issue: number) => `autofix/issue-${issue}`;

let gitRoot: string;
let repo: BuiltRepo;
let gitServer: GitServer;
let gitFront: DelayFront;
let apiFront: DelayFront;
let proxy: GitHubProxy;
let fake: FakeGitHub;
let privateKey: string;
const workers: AutofixWorker[] = [];

function branchSha(issue: number): string | undefined {
  try {
    return execFileSync("git", ["rev-parse", "--verify", "-q", `refs/heads/${branchOf(issue)}`], { cwd: repo.bare, encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const points: KillPoint[] = [
  { step: "resolve", issue: 11 },
  { step: "spawn", issue: 12 },
  { step: "agent-1", issue: 13 },
  { step: "gates-1", issue: 14 },
  // The push reached the repository but the worker died before it heard back (absorb ran just before).
  { step: "push", issue: 15, landed: async () => branchSha(15) !== undefined },
  // The PR exists on GitHub but the worker died before recording it.
  { step: "pr", issue: 16, landed: async () => fake.pullsOf(full).some((p) => p.head.ref === branchOf(16)) },
  { step: "checks", issue: 17 },
  { step: "pr-extras", issue: 18 },
];

/** Which GitHub requests to hold, per kill point: chosen by the issue they belong to. */
function holdGitHub(req: FrontRequest): Hold | undefined {
  const route = `${req.method} ${req.url.replace(/^\/api\/v3/, "").split("?")[0]}`;
  const repoPath = `/repos/${full}`;
  if (route === `GET ${repoPath}/issues/11`) return { beforeMs: HOLD_MS };
  if (route === `POST ${repoPath}/pulls` && JSON.parse(req.body.toString() || "{}").head === branchOf(16)) return { afterMs: HOLD_MS };
  if (route === `POST ${repoPath}/check-runs` && JSON.parse(req.body.toString() || "{}").head_sha === branchSha(17)) return { beforeMs: HOLD_MS };
  const pr = new RegExp(`^GET ${repoPath}/pulls/(\\d+)$`).exec(route);
  if (pr && fake.pullsOf(full).some((p) => p.number === Number(pr[1]) && p.head.ref === branchOf(18))) return { beforeMs: HOLD_MS };
  return undefined;
}

/** Git requests carry no issue: every fetch is slow (spawn), every push is answered late (after it landed). */
function holdGit(req: FrontRequest): Hold | undefined {
  if (req.method === "POST" && req.url.endsWith("/git-upload-pack")) return { beforeMs: 1_500 };
  if (req.method === "POST" && req.url.endsWith("/git-receive-pack")) return { afterMs: HOLD_MS };
  return undefined;
}

beforeAll(async () => {
  privateKey = testPrivateKey();
  gitRoot = tempDir("autofix-crash-git-");
  repo = buildRepo(gitRoot, name, files);
  gitServer = await startGitServer({ root: gitRoot, passwords: [token] });
  gitFront = await startDelayFront(gitServer.url, holdGit);
  fake = new FakeGitHub({ token, appId: 1, appSlug: "autofix" });
  fake.addRepo(owner, name, { cloneUrl: `${gitFront.url}/${name}.git` });
  fake.setBranch(full, "main", repo.head());
  fake.setPermission(full, "maintainer", "write");
  extendFakeGitHub(fake, { owner, name, bare: repo.bare, config: () => config });
  fake.addIssue(full, { number: cancelledIssue, title: "add() subtracts (cancelled)", author: "reporter", labels: ["autofix"] });
  for (const p of points)
    fake.addIssue(full, {
      number: p.issue,
      title: `add() subtracts (${p.step})`,
      body: "`add(2, 3)` returns -1; it should return 5.",
      author: "reporter",
      labels: ["autofix"],
    });
  fake.start();
  proxy = await startGitHubProxy(fake);
  apiFront = await startDelayFront(`http://${proxy.env.GHE_HOST}`, holdGitHub);
});

afterAll(async () => {
  for (const w of workers) w.kill("SIGKILL");
  await Promise.all(workers.map((w) => w.exited));
  await apiFront?.close();
  await proxy?.close();
  await gitFront?.close();
  await gitServer?.close();
  fake?.stop();
  nock.cleanAll();
});

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const running = (job: JobRecord | undefined, step: string) => job?.steps.some((s) => s.name === step && s.status === "running") ?? false;

interface Crashed {
  point: KillPoint;
  dataDir: string;
  atKill: JobRecord;
  final: JobRecord;
  logs: string;
}

function workerEnv(dataDir: string): Record<string, string> {
  return {
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    AUTOFIX_DATA_DIR: dataDir,
    GHE_HOST: apiFront.host,
    GHE_PROTOCOL: "http",
    AUTOFIX_LEASE_MS: "4000",
    AUTOFIX_CONCURRENCY: "1",
  };
}

const spawnsLeft = (dataDir: string) => {
  const dir = path.join(dataDir, "spawns");
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith(".")) : [];
};

async function crashAndResume(point: KillPoint): Promise<Crashed> {
  const dataDir = tempDir(`autofix-crash-${point.step}-`);
  const env = workerEnv(dataDir);
  const queue: JobQueue = await createJobQueue({ AUTOFIX_DATA_DIR: dataDir });
  try {
    const { job } = await queue.enqueue({
      repo: { owner, repo: name },
      issueNumber: point.issue,
      installationId,
      trigger: "label",
      requestedBy: "maintainer",
      issueTitle: `add() subtracts (${point.step})`,
      deliveryId: `crash-${point.step}`,
    });
    const doomed = await startAutofixWorker(env);
    workers.push(doomed);
    await waitFor(`${point.step} to be under way`, 90_000, async () => {
      const j = await queue.get(job.id);
      if (j && ["succeeded", "failed", "cancelled"].includes(j.state))
        throw new Error(`job ended before the kill at ${point.step}: ${JSON.stringify(j.outcome ?? j.error)}\n${doomed.output()}`);
      return running(j, point.step) && (!point.landed || (await point.landed())) ? true : undefined;
    });
    doomed.kill("SIGKILL");
    expect(await doomed.exited).toBe("SIGKILL");
    const atKill = (await queue.get(job.id))!;

    const successor = await startAutofixWorker(env);
    workers.push(successor);
    const final = await waitFor(`the job killed at ${point.step} to end after the restart`, 120_000, async () => {
      const j = await queue.get(job.id);
      return j && ["succeeded", "failed", "cancelled"].includes(j.state) ? j : undefined;
    });
    successor.kill("SIGTERM");
    await successor.exited;
    return { point, dataDir, atKill, final, logs: doomed.output() + successor.output() };
  } finally {
    await queue.close();
  }
}

describe("a worker killed inside each pipeline step (real pipeline, real processes)", () => {
  it("resumes every job to one PR, one status comment, one check run per gate, the agent's change alone and no spawn left", async () => {
    const results = await Promise.all(points.map((p) => crashAndResume(p)));

    for (const { point, dataDir, atKill, final, logs } of results) {
      const label = `killed during ${point.step}`;
      const branch = branchOf(point.issue);
      // The kill landed inside the step, not before or after it.
      expect(running(atKill, point.step), `${label}: step under way at the kill`).toBe(true);
      expect(final.state, `${label}: ${JSON.stringify(final.error ?? final.outcome)}\n${logs.slice(-3000)}`).toBe("succeeded");
      expect(final.outcome?.kind, label).toBe("pr-opened");
      // A second claim is the resume; a loaded machine may let a lease lapse once more, which must change nothing.
      expect(
        final.claims,
        `${label}: ${JSON.stringify({ failures: final.failures, error: final.error, steps: final.steps.map((x) => [x.name, x.status, x.error?.message]) })}\n${logs.slice(-4000)}`,
      ).toBeGreaterThanOrEqual(2);

      const prs = fake.pullsOf(full).filter((p) => p.head.ref === branch);
      expect(prs, `${label}: PRs`).toHaveLength(1);
      expect(final.outcome?.prNumber, label).toBe(prs[0].number);

      const status = fake.commentsOn(full, point.issue).filter((c) => c.body.includes("<!-- autofix:status:"));
      expect(status, `${label}: status comments`).toHaveLength(1);
      expect(status[0].body, label).toContain(prs[0].html_url);

      const head = branchSha(point.issue)!;
      const runs = fake.checkRuns
        .filter((r) => r.head_sha === head)
        .map((r) => r.name)
        .sort();
      expect(runs, `${label}: check runs on the branch head`).toEqual([...new Set(runs)]);
      expect(runs, label).toContain("autofix / deterministic");

      expect((await gitAsync(repo.bare, "rev-list", "--count", `main..${branch}`)).trim(), `${label}: commits on the branch`).toBe("1");
      const diff = await gitAsync(repo.bare, "diff", `main...${branch}`);
      expect(diff.match(/^diff --git/gm), `${label}: files changed`).toHaveLength(1);
      expect(diff, label).toContain("-export const add = (a, b) => a - b;");
      expect(diff, label).toContain("+export const add = (a, b) => a + b;");

      expect(spawnsLeft(dataDir), `${label}: spawn directories left`).toEqual([]);
      const absorbDir = path.join(dataDir, "spawns", ".absorb");
      expect(existsSync(absorbDir) ? readdirSync(absorbDir) : [], `${label}: absorb gitdirs left`).toEqual([]);
    }
    // Across all jobs: no check run twice for one name and commit.
    const keys = fake.checkRuns.map((r) => `${r.name}@${r.head_sha}`);
    expect(keys.length).toBe(new Set(keys).size);
    expect(fake.unexpected).toEqual([]);
  }, 170_000);

  it("a job cancelled while its worker lay dead ends cancelled without a PR, and its spawn is swept once a worker reclaimed it", async () => {
    const dataDir = tempDir("autofix-crash-cancelled-");
    const env = workerEnv(dataDir);
    const queue = await createJobQueue({ AUTOFIX_DATA_DIR: dataDir });
    try {
      const { job } = await queue.enqueue({
        repo: { owner, repo: name },
        issueNumber: cancelledIssue,
        installationId,
        trigger: "label",
        requestedBy: "maintainer",
        deliveryId: "crash-cancelled",
      });
      const doomed = await startAutofixWorker(env);
      workers.push(doomed);
      await waitFor("the agent to be under way", 90_000, async () => (running(await queue.get(job.id), "agent-1") ? true : undefined));
      doomed.kill("SIGKILL");
      await doomed.exited;
      expect(spawnsLeft(dataDir), "the crash left the job's spawn").not.toEqual([]);
      await queue.cancel(job.key, "the `autofix` label was removed by @maintainer");

      const successor = await startAutofixWorker(env);
      workers.push(successor);
      const ended = await waitFor("the dead worker's job to end cancelled", 60_000, async () => {
        const j = await queue.get(job.id);
        return j?.state === "cancelled" ? j : undefined;
      });
      expect(ended.cancelReason).toContain("label was removed");
      await waitFor("the reclaimed job's spawn to be swept", 30_000, async () => (spawnsLeft(dataDir).length === 0 ? true : undefined));
      successor.kill("SIGTERM");
      await successor.exited;
      expect(fake.pullsOf(full).filter((p) => p.head.ref === branchOf(cancelledIssue))).toEqual([]);
      expect(branchSha(cancelledIssue)).toBeUndefined();
    } finally {
      await queue.close();
    }
  }, 150_000);
});
