// Job queue benchmark: enqueue throughput and latency (p50, p99) of the SQLite and BullMQ drivers with
// 10,000 jobs, and how fast one worker drains them. Standalone: `npx tsx bench/queue.ts`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createJobQueue } from "../src/jobs/index.js";
import type { JobQueue, JobSpec } from "../src/jobs/types.js";
import { startTestRedis, uniquePrefix } from "../test/support/redis.js";

export interface QueueBenchResult {
  driver: "sqlite" | "bullmq";
  jobs: number;
  /** One enqueue at a time: what a webhook handler waits for. */
  sequentialPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** 50 enqueues in flight (many webhooks at once). */
  concurrentPerSec: number;
  /** One worker (concurrency 8) running no-op jobs with two steps each. */
  drainPerSec: number;
}

const JOBS = Number(process.env.AUTOFIX_BENCH_QUEUE_JOBS ?? 10_000);

function spec(i: number, run: string): JobSpec {
  return {
    repo: { owner: "bench", repo: `repo-${i % 50}` },
    issueNumber: i,
    installationId: 1 + (i % 20),
    trigger: "label",
    requestedBy: "bench",
    deliveryId: `${run}-${i}`,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(driver: QueueBenchResult["driver"], open: () => Promise<JobQueue>): Promise<QueueBenchResult> {
  const queue = await open();
  try {
    const latencies: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < JOBS; i++) {
      const start = performance.now();
      await queue.enqueue(spec(i, "seq"));
      latencies.push(performance.now() - start);
    }
    const sequentialMs = performance.now() - t0;
    latencies.sort((a, b) => a - b);

    // Same issues again: every enqueue now supersedes a queued job, the costlier path.
    const t1 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < JOBS) await queue.enqueue(spec(next++, "conc"));
      }),
    );
    const concurrentMs = performance.now() - t1;

    let finished = 0;
    const t2 = performance.now();
    const allDone = new Promise<void>((resolve) => {
      const worker = queue.startWorker({
        concurrency: 8,
        perInstallation: 8,
        leaseMs: 30_000,
        maxFailures: 3,
        pollIntervalMs: 20,
        handler: async (ctx) => {
          await ctx.step("spawn", async () => ({ ok: true }));
          await ctx.step("pr", async () => ({ ok: true }));
          if (++finished === JOBS) void worker.stop(1_000).then(resolve);
          return { kind: "no-change", message: "bench" };
        },
      });
    });
    await allDone;
    const drainMs = performance.now() - t2;

    return {
      driver,
      jobs: JOBS,
      sequentialPerSec: Math.round(JOBS / (sequentialMs / 1000)),
      p50Ms: Number(percentile(latencies, 50).toFixed(3)),
      p99Ms: Number(percentile(latencies, 99).toFixed(3)),
      concurrentPerSec: Math.round(JOBS / (concurrentMs / 1000)),
      drainPerSec: Math.round(JOBS / (drainMs / 1000)),
    };
  } finally {
    await queue.close();
  }
}

export async function run(): Promise<QueueBenchResult[]> {
  const results: QueueBenchResult[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), "autofix-bench-queue-"));
  try {
    results.push(await measure("sqlite", () => createJobQueue({ AUTOFIX_DATA_DIR: dataDir, REDIS_URL: undefined })));
    const redis = await startTestRedis();
    try {
      const prefix = uniquePrefix("bench");
      results.push(await measure("bullmq", () => createJobQueue({ AUTOFIX_DATA_DIR: dataDir, REDIS_URL: redis.url }, { redisPrefix: prefix })));
    } finally {
      await redis.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

export function toMarkdown(results: QueueBenchResult[]): string {
  const rows = results.map((r) => `| ${r.driver} | ${r.jobs} | ${r.sequentialPerSec} | ${r.p50Ms} | ${r.p99Ms} | ${r.concurrentPerSec} | ${r.drainPerSec} |`);
  return [
    "| driver | jobs | enqueue/s (one at a time) | p50 ms | p99 ms | enqueue/s (50 in flight, superseding) | jobs run/s (1 worker, concurrency 8) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const results = await run();
  console.log(toMarkdown(results));
}
