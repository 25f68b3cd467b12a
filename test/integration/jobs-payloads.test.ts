// The job store holds records, not payloads: a large step output (a delta, a log, a report) is a file under
// the data directory referenced from the row, read back on resume, and deleted with the job's retention.
import { existsSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { JobQueue, JobRecord } from "../../src/jobs/types.js";
import { DriverFixture, issueSpec, testWorkerOptions, waitFor, type DriverName, type QueueLocation } from "../support/jobHarness.js";

const drivers: DriverName[] = ["sqlite", "bullmq"];
const MB = 1024 * 1024;

describe.each(drivers)("job payloads on %s", (driver) => {
  const fixture = new DriverFixture(driver);
  const stops: Array<() => Promise<void>> = [];
  beforeAll(() => fixture.setup());
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await fixture.closeQueues();
  });
  afterAll(() => fixture.teardown());

  const ended = (queue: JobQueue, id: string) =>
    waitFor(
      async () => {
        const job = await queue.get(id);
        return job && ["succeeded", "failed", "cancelled"].includes(job.state) ? job : undefined;
      },
      `job ${id} to end`,
      60_000,
    );

  /** Bytes the job's record takes: the SQLite file and its WAL, or the job's hash in Redis. */
  async function recordBytes(location: QueueLocation, jobId?: string): Promise<number> {
    if (driver === "sqlite") {
      const size = (suffix: string) =>
        existsSync(path.join(location.dataDir, `autofix.db${suffix}`)) ? statSync(path.join(location.dataDir, `autofix.db${suffix}`)).size : 0;
      return size("") + size("-wal");
    }
    const redis = new Redis(location.redisUrl ?? "");
    try {
      return jobId ? Number(await redis.call("MEMORY", "USAGE", `${location.redisPrefix}:job:${jobId}`)) : 0;
    } finally {
      redis.disconnect();
    }
  }

  it("a 25 MB delta leaves the record under 1 MB larger, and a resumed run reads the delta back", async () => {
    const location = fixture.location();
    const queue = await fixture.open(location);
    const delta = { files: [{ path: "data/big.bin", patch: "+".repeat(25 * MB) }] };
    const warm = await queue.enqueue(issueSpec(1));
    const before = await recordBytes(location, warm.job.id);
    const { job } = await queue.enqueue(issueSpec(2));
    let computed = 0;
    let runs = 0;
    const worker = queue.startWorker(
      testWorkerOptions(async (ctx) => {
        if (ctx.job.spec.issueNumber !== 2) return { kind: "no-change", message: "warm-up" };
        runs++;
        const got = await ctx.step("agent-1", async () => (computed++, delta));
        // The first run dies after the delta was recorded: the retry must get it from the store, not recompute it.
        if (runs === 1) throw new Error("worker hiccup");
        return { kind: "no-change", message: `delta of ${got.files[0].patch.length} bytes` };
      }),
    );
    stops.push(() => worker.stop(0));
    const finished = await ended(queue, job.id);
    await ended(queue, warm.job.id);

    expect(finished.state).toBe("succeeded");
    expect(finished.outcome?.message).toBe(`delta of ${25 * MB} bytes`);
    expect(computed).toBe(1);
    expect(runs).toBe(2);
    const after = await recordBytes(location, job.id);
    expect(after - before).toBeLessThan(1 * MB);
    // The record points at the file; reading the output loads it, listing records does not.
    expect(finished.steps[0].outputRef?.bytes).toBeGreaterThan(25 * MB);
    expect(JSON.stringify(await queue.list()).length).toBeLessThan(64 * 1024);
    expect((finished.steps[0].output as typeof delta).files[0].patch.length).toBe(25 * MB);
    const usage = await queue.usage();
    expect(usage.payloadFiles).toBe(1);
    expect(usage.payloadBytes).toBeGreaterThan(25 * MB);
    expect(usage.jobs).toBe(2);
  }, 90_000);

  it("retention deletes an ended job with its payload files and keeps jobs still queued", async () => {
    const location = fixture.location();
    const queue = await fixture.open(location);
    const { job } = await queue.enqueue(issueSpec(3));
    const worker = queue.startWorker(
      testWorkerOptions(async (ctx) => (await ctx.step("gates-1", async () => ({ log: "y".repeat(200_000) })), { kind: "no-change", message: "ok" })),
    );
    stops.push(() => worker.stop(0));
    await ended(queue, job.id);
    await worker.stop(0);
    const waiting = await queue.enqueue(issueSpec(4));
    const payloadDir = path.join(location.dataDir, "payloads", job.id);
    expect(existsSync(payloadDir)).toBe(true);

    expect(await queue.pruneFinished(new Date(Date.now() - 3_600_000))).toBe(0);
    expect(await queue.get(job.id)).toBeDefined();
    expect(await queue.pruneFinished(new Date(Date.now() + 1_000))).toBe(1);
    expect(await queue.get(job.id)).toBeUndefined();
    expect(await queue.latest("octo/widgets#3")).toBeUndefined();
    expect(existsSync(payloadDir)).toBe(false);
    expect((await queue.get(waiting.job.id))?.state).toBe("queued");
    expect(await queue.usage()).toMatchObject({ jobs: 1, payloadFiles: 0, payloadBytes: 0 });
  }, 60_000);

  it("a step whose payload file is gone runs again on resume instead of failing the job", async () => {
    const location = fixture.location();
    const queue = await fixture.open(location);
    const { job } = await queue.enqueue(issueSpec(5));
    let computed = 0;
    let runs = 0;
    const worker = queue.startWorker(
      testWorkerOptions(async (ctx) => {
        runs++;
        const out = await ctx.step("agent-1", async () => ({ patch: `${++computed}`.repeat(100_000) }));
        if (runs === 1) {
          rmSync(path.join(location.dataDir, "payloads", ctx.job.id), { recursive: true, force: true });
          throw new Error("worker hiccup");
        }
        return { kind: "no-change", message: out.patch.slice(0, 3) };
      }),
    );
    stops.push(() => worker.stop(0));
    const finished: JobRecord = await ended(queue, job.id);
    expect(finished.state).toBe("succeeded");
    expect(computed).toBe(2);
    expect(finished.outcome?.message).toBe("222");
  }, 60_000);
});
