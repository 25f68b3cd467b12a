// `npm start` as an operator runs it: App credentials in the environment (a key file on disk), a signed
// webhook over real HTTP, the fake GitHub and the git server on loopback. Nothing inside the server is
// stubbed; the test only reads the job store the server writes, to time a SIGKILL inside a job.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobQueue } from "../../src/jobs/index.js";
import { jobKey, type JobQueue, type JobRecord } from "../../src/jobs/types.js";
import { waitUntil } from "../support/browser.js";
import { startLoopbackGitHub, type LoopbackGitHub } from "../support/loopbackGitHub.js";
import { startServer, stopProduct, type StartedServer } from "../support/productProcess.js";
import { gitAsync, tempDir } from "../support/repoBuilder.js";

// The agent sleeps so a kill polled from the job record lands while it works.
const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module", scripts: { test: "node --test test/" } }, null, 2),
  "src/math.js": "export const add = (a, b) => a - b;\nexport const mul = (a, b) => a * b;\n",
  "test/math.test.js":
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add, mul } from "../src/math.js";\n' +
    'test("add", () => assert.equal(add(2, 3), 5));\ntest("mul", () => assert.equal(mul(2, 3), 6));\n',
  "tools/agent.mjs":
    'import fs from "node:fs";\nawait new Promise((r) => setTimeout(r, 2500));\nconst file = "src/math.js";\n' +
    'fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("a - b", "a + b"));\nconsole.log("agent: fixed add");\n',
  "README.md": "# widget\n",
};
const config = "agent:\n  preset: command\n  command: node tools/agent.mjs\n  timeoutMinutes: 2\ngates:\n  allowSkipWithoutLlm: true\n";

const ended = (j: JobRecord | undefined) => j !== undefined && ["succeeded", "failed", "cancelled"].includes(j.state);

describe("npm start with App credentials (a real server process)", () => {
  let gh: LoopbackGitHub;
  let dataDir: string;
  let env: Record<string, string>;
  let server: StartedServer | undefined;
  let queue: JobQueue;

  beforeAll(async () => {
    gh = await startLoopbackGitHub({ files, config });
    dataDir = tempDir("autofix-process-server-");
    env = { ...gh.appEnv, AUTOFIX_DATA_DIR: dataDir, AUTOFIX_LEASE_MS: "4000", AUTOFIX_CONCURRENCY: "1", AUTOFIX_GITHUB_THROTTLE: "off" };
    server = await startServer(env);
    queue = await createJobQueue({ AUTOFIX_DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await stopProduct(server);
    await queue?.close();
    await gh?.close();
  });

  const jobOf = (issue: number) => queue.latest(jobKey({ owner: gh.owner, repo: gh.name }, issue));
  const prsFor = (issue: number) => gh.fake.pullsOf(gh.full).filter((p) => p.head.ref === `autofix/issue-${issue}`);

  async function expectOnePrWithTheAgentsChange(issue: number, logs: () => string): Promise<void> {
    const job = await waitUntil(`job #${issue} to end`, async () => ((j) => (ended(j) ? j : undefined))(await jobOf(issue)), 120_000);
    expect(job.state, `${JSON.stringify(job.outcome ?? job.error)}\n${logs().slice(-3000)}`).toBe("succeeded");
    expect(job.outcome?.kind).toBe("pr-opened");
    const prs = prsFor(issue);
    expect(prs).toHaveLength(1);
    const branch = `autofix/issue-${issue}`;
    const diff = await gitAsync(gh.repo.bare, "diff", `main...${branch}`);
    expect(diff.match(/^diff --git/gm)).toHaveLength(1);
    expect(diff).toContain("+export const add = (a, b) => a + b;");
    const status = gh.fake.commentsOn(gh.full, issue).filter((c) => c.body.includes("<!-- autofix:status:"));
    expect(status).toHaveLength(1);
    expect(status[0].body).toContain(prs[0].html_url);
    const runs = gh.fake.checkRuns.filter((r) => r.head_sha === gh.branchSha(branch)).map((r) => `${r.name}:${r.conclusion}`);
    expect(runs).toContain("autofix / deterministic:success");
    expect(runs.length).toBe(new Set(runs).size);
  }

  it("answers GET / with the app, its version and where the dashboard and health check are", async () => {
    const res = await fetch(`${server!.url}/`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as Record<string, string>;
    expect(page.app).toBe("autofix");
    expect(page.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(page.dashboard).toBe("/autofix");
    expect(page.health).toBe("/autofix/healthz");
    expect(page.operators).toContain("Dashboard is off");
    const health = await fetch(`${server!.url}${page.health}`);
    expect(await health.json()).toEqual({ status: "ok", queue: "sqlite" });
  });

  it("turns a signed issues.labeled webhook into one PR holding the agent's change, a status comment and check runs", async () => {
    const res = await gh.label(server!.url, { number: 7, title: "add() subtracts", body: "`add(2, 3)` returns -1; it should return 5." }, "delivery-7");
    expect(res.status).toBeLessThan(300);
    await expectOnePrWithTheAgentsChange(7, () => server!.output());
    // GitHub redelivers: the same delivery changes nothing.
    const again = await gh.label(server!.url, { number: 7, title: "add() subtracts" }, "delivery-7");
    expect(again.status).toBeLessThan(300);
    // The redelivery is decided after its answer: once the inbox is empty, it was, and made no second job.
    await waitUntil("the redelivery to be decided", async () => ((await queue.inbox!.pending()).count === 0 ? true : undefined), 30_000);
    expect((await queue.list({ limit: 20 })).filter((j) => j.key === jobKey({ owner: gh.owner, repo: gh.name }, 7))).toHaveLength(1);
    expect(prsFor(7)).toHaveLength(1);
  }, 150_000);

  it("a server SIGKILLed inside a job and started again finishes that job with exactly one PR", async () => {
    await gh.label(server!.url, { number: 8, title: "add() subtracts (again)", body: "`add(2, 3)` returns -1." });
    await waitUntil(
      "the agent of #8 to be under way",
      async () => {
        const j = await jobOf(8);
        if (ended(j)) throw new Error(`job #8 ended before the kill: ${JSON.stringify(j!.outcome ?? j!.error)}`);
        return j?.steps.some((s) => s.name === "agent-1" && s.status === "running") ? true : undefined;
      },
      90_000,
    );
    const first = server!;
    first.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    expect(prsFor(8)).toHaveLength(0);

    server = await startServer({ ...env, PORT: String(first.port) });
    await expectOnePrWithTheAgentsChange(8, () => first.output() + server!.output());
    expect((await jobOf(8))!.claims).toBeGreaterThanOrEqual(2);
    expect(prsFor(7)).toHaveLength(1);
    const spawns = path.join(dataDir, "spawns");
    await waitUntil(
      "the killed job's spawn to be swept",
      async () => (!existsSync(spawns) || readdirSync(spawns).filter((n) => !n.startsWith(".")).length === 0 ? true : undefined),
      30_000,
    );
    expect(gh.fake.unexpected).toEqual([]);
  }, 180_000);
});
