// The dashboard and health check over the BullMQ/Redis job store: a job run by a Redis-backed worker
// shows on the page, and a Redis that goes away turns health, pages and scrapes to 503, never a hang.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobQueue } from "../../src/jobs/index.js";
import type { JobQueue, Worker } from "../../src/jobs/types.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { loadSettings } from "../../src/settings.js";
import { startTestRedis, uniquePrefix, type TestRedis } from "../support/redis.js";
import { tempDir } from "../support/repoBuilder.js";
import { agentOutput, gateResults, scriptedHandler, sleep, startDashboardServer, waitUntil, type DashboardServer } from "../support/browser.js";

const token = "redis-dashboard-token-0123456789";

/** A private server even when .ci/run shares one: this test stops it. */
async function privateRedis(): Promise<TestRedis> {
  const shared = process.env.AUTOFIX_TEST_REDIS_URL;
  delete process.env.AUTOFIX_TEST_REDIS_URL;
  try {
    return await startTestRedis();
  } finally {
    if (shared !== undefined) process.env.AUTOFIX_TEST_REDIS_URL = shared;
  }
}

async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  return Promise.race([work, sleep(ms).then(() => undefined)]);
}

describe("dashboard over the Redis job store", () => {
  let redis: TestRedis;
  let dataDir: string;
  let queue: JobQueue;
  let worker: Worker;
  let server: DashboardServer;

  beforeAll(async () => {
    redis = await privateRedis();
    dataDir = tempDir("autofix-dashboard-redis-");
    const settings = loadSettings({ AUTOFIX_DATA_DIR: dataDir, REDIS_URL: redis.url, AUTOFIX_DASHBOARD_TOKEN: token });
    queue = await createJobQueue(settings, { redisPrefix: uniquePrefix("dash") });
    server = await startDashboardServer({ queue, settings, metrics: createMetrics() });
    worker = queue.startWorker({
      handler: scriptedHandler(() => ({
        steps: [
          { name: "agent-1", output: agentOutput("ok") },
          { name: "gates-1", output: { results: gateResults("fail") } },
        ],
        outcome: { kind: "gates-failed", message: "The semantic gate failed." },
      })),
      concurrency: 1,
      perInstallation: 1,
      leaseMs: 10_000,
      maxFailures: 1,
    });
  });

  afterAll(async () => {
    // Against a stopped Redis, closing may wait on reconnects: bounded, the process is torn down anyway.
    await within(2_000, worker?.stop(1_000) ?? Promise.resolve());
    await server?.stop();
    await within(2_000, queue?.close() ?? Promise.resolve());
    await redis?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows a job the Redis-backed worker ran, with its gate results", async () => {
    const { job } = await queue.enqueue({
      repo: { owner: "acme", repo: "widgets" },
      issueNumber: 21,
      trigger: "label",
      requestedBy: "mia",
      issueTitle: "Redis <b>job</b>",
    });
    await waitUntil("the job to finish", async () => ((await queue.get(job.id))?.state === "succeeded" ? true : undefined));
    const list = await (await fetch(`${server.url}/autofix`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(list).toContain("Redis &lt;b&gt;job&lt;/b&gt;");
    expect(list).toContain("semantic: fail");
    expect(list).toContain("gates-failed");
    const health = await fetch(`${server.url}/autofix/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", queue: "bullmq" });
  });

  // Without the health check's own time bound this request would hang on the driver's reconnects.
  it("answers 503 from the health check once Redis is gone", async () => {
    await redis.stop();
    const res = await fetch(`${server.url}/autofix/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; queue: string; reason: string };
    expect(body.status).toBe("unavailable");
    expect(body.queue).toBe("bullmq");
    expect(body.reason.length).toBeGreaterThan(0);
  });

  it("answers the dashboard and a scrape with 503 while Redis is gone, instead of hanging", async () => {
    const auth = { authorization: `Bearer ${token}` };
    const page = await fetch(`${server.url}/autofix`, { headers: auth });
    expect(page.status).toBe(503);
    expect(await page.text()).toContain("The dashboard cannot read the job store");
    const scrape = await fetch(`${server.url}/metrics`, { headers: auth });
    expect(scrape.status).toBe(503);
  });
});
