// Scale-out as the README describes it: `REDIS_URL=… AUTOFIX_WORKER=off npm start` only enqueues, two
// `autofix worker` processes run the jobs from a real redis-server. Five issues labelled at once become five
// PRs, each holding only its own agent's change, even when one worker is SIGKILLed in the middle of a job.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobQueue } from "../../src/jobs/index.js";
import { jobKey, type JobQueue, type JobRecord } from "../../src/jobs/types.js";
import { startAutofixWorker, type AutofixWorker } from "../support/autofixWorker.js";
import { waitUntil } from "../support/browser.js";
import { startLoopbackGitHub, type LoopbackGitHub } from "../support/loopbackGitHub.js";
import { startServer, stopProduct, type StartedServer } from "../support/productProcess.js";
import { startTestRedis, type TestRedis } from "../support/redis.js";
import { gitAsync, tempDir } from "../support/repoBuilder.js";

// Each issue's agent writes a file named after its own task, read from the prompt (the issue title).
const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module", scripts: { test: "node --test test/" } }, null, 2),
  "src/math.js": "export const add = (a, b) => a + b;\n",
  "test/math.test.js":
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add } from "../src/math.js";\ntest("add", () => assert.equal(add(2, 3), 5));\n',
  "tools/agent.mjs":
    'import fs from "node:fs";\nconst prompt = process.env.AUTOFIX_PROMPT ?? fs.readFileSync(process.env.AUTOFIX_PROMPT_FILE, "utf8");\n' +
    'const task = /task-(\\d+)/.exec(prompt)[1];\nawait new Promise((r) => setTimeout(r, 2500));\nfs.mkdirSync("notes", { recursive: true });\n' +
    "fs.writeFileSync(`notes/task-${task}.txt`, `written by the agent of task ${task}\\n`);\nconsole.log(`agent: task ${task}`);\n",
};
const config = "agent:\n  preset: command\n  command: node tools/agent.mjs\n  timeoutMinutes: 2\ngates:\n  allowSkipWithoutLlm: true\n";
const issues = [21, 22, 23, 24, 25];
const ended = (j: JobRecord | undefined) => j !== undefined && ["succeeded", "failed", "cancelled"].includes(j.state);

describe("scale-out: npm start (AUTOFIX_WORKER=off) and two autofix worker processes on Redis", () => {
  let redis: TestRedis;
  let gh: LoopbackGitHub;
  let server: StartedServer | undefined;
  const workers: AutofixWorker[] = [];
  let queue: JobQueue;

  beforeAll(async () => {
    redis = await startTestRedis({ private: true });
    gh = await startLoopbackGitHub({ files, config });
    const shared = { ...gh.appEnv, REDIS_URL: redis.url, AUTOFIX_LEASE_MS: "4000", AUTOFIX_GITHUB_THROTTLE: "off" };
    const starting = [0, 1].map((i) => startAutofixWorker({ ...shared, AUTOFIX_DATA_DIR: tempDir(`autofix-scale-worker${i}-`), AUTOFIX_CONCURRENCY: "1" }));
    server = await startServer({ ...shared, AUTOFIX_WORKER: "off", AUTOFIX_DATA_DIR: tempDir("autofix-scale-server-") });
    workers.push(...(await Promise.all(starting)));
    queue = await createJobQueue({ AUTOFIX_DATA_DIR: tempDir(), REDIS_URL: redis.url });
  });
  afterAll(async () => {
    for (const w of workers) w.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
    await stopProduct(server);
    await queue?.close();
    await gh?.close();
    await redis?.stop();
  });

  const jobOf = (issue: number) => queue.latest(jobKey({ owner: gh.owner, repo: gh.name }, issue));

  it("five issues labelled at once become five PRs, each with only its own change; a worker SIGKILLed mid-job loses nothing", async () => {
    const answers = await Promise.all(issues.map((n) => gh.label(server!.url, { number: n, title: `task-${n}: write the notes of task ${n}` })));
    expect(answers.map((a) => a.status < 300)).toEqual(issues.map(() => true));
    // The server enqueues only: nothing runs until a worker claims. Both workers busy → each holds one job.
    await waitUntil(
      "both workers to run an agent",
      async () => {
        const jobs = await Promise.all(issues.map(jobOf));
        const done = jobs.filter(ended);
        if (done.length > 3) throw new Error("the jobs ended before both workers were busy");
        return jobs.filter((j) => j?.steps.some((s) => s.name === "agent-1" && s.status === "running")).length >= 2 ? true : undefined;
      },
      90_000,
    );
    const [doomed, survivor] = workers;
    doomed.kill("SIGKILL");
    expect(await doomed.exited).toBe("SIGKILL");

    const jobs = await waitUntil(
      "all five jobs to end",
      async () => {
        const all = await Promise.all(issues.map(jobOf));
        return all.every(ended) ? (all as JobRecord[]) : undefined;
      },
      150_000,
    );
    const logs = doomed.output().slice(-2000) + survivor.output().slice(-3000) + server!.output().slice(-1000);
    for (const job of jobs)
      expect(`${job.key} ${job.state} ${job.outcome?.kind}`, `${JSON.stringify(job.error ?? job.outcome)}\n${logs}`).toBe(`${job.key} succeeded pr-opened`);
    // The dead worker's job was claimed again and finished by the survivor.
    expect(Math.max(...jobs.map((j) => j.claims))).toBeGreaterThanOrEqual(2);

    for (const n of issues) {
      const branch = `autofix/issue-${n}`;
      expect(
        gh.fake.pullsOf(gh.full).filter((p) => p.head.ref === branch),
        `PRs of #${n}`,
      ).toHaveLength(1);
      const changed = (await gitAsync(gh.repo.bare, "diff", "--name-only", `main...${branch}`)).trim().split("\n");
      expect(changed, `files on ${branch}`).toEqual([`notes/task-${n}.txt`]);
      expect(await gitAsync(gh.repo.bare, "show", `${branch}:notes/task-${n}.txt`)).toBe(`written by the agent of task ${n}\n`);
    }
    expect(gh.fake.pullsOf(gh.full)).toHaveLength(issues.length);
    expect(gh.fake.unexpected).toEqual([]);
  }, 280_000);
});
