// Edges of the job queue on both drivers: damaged records, an unreachable store, handlers that ignore their
// signal, reads of finished jobs, and what step outputs look like to the handler.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AutofixError } from "../../src/errors.js";
import { createJobQueue } from "../../src/jobs/index.js";
import { BullJobQueue } from "../../src/jobs/bullmq/queue.js";
import { SqliteJobQueue } from "../../src/jobs/sqlite/queue.js";
import type { JobRecord } from "../../src/jobs/types.js";
import {
  corruptStoredSteps,
  DriverFixture,
  gate,
  issueSpec,
  openQueue,
  startWorkerProcess,
  testWorkerOptions,
  waitFor,
  type DriverName,
} from "../support/jobHarness.js";
import type { WorkerProcessConfig } from "../support/jobWorkerProcess.js";
import { startTestRedis } from "../support/redis.js";
import { readLines } from "../support/syntheticPipeline.js";

const drivers: DriverName[] = ["sqlite", "bullmq"];
const done = { kind: "no-change" as const, message: "done" };

describe.each(drivers)("job queue edges on %s", (driver) => {
  const fixture = new DriverFixture(driver);
  const stops: Array<() => Promise<void>> = [];
  beforeAll(() => fixture.setup());
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await fixture.closeQueues();
  });
  afterAll(() => fixture.teardown());
  const fresh = () => fixture.open(fixture.location());
  const ended = (queue: { get(id: string): Promise<JobRecord | undefined> }, id: string) =>
    waitFor(async () => {
      const job = await queue.get(id);
      return job && ["succeeded", "failed", "cancelled"].includes(job.state) ? job : undefined;
    }, `job ${id} to end`);

  it("a job whose stored record is damaged is marked failed and the worker goes on with the others", async () => {
    const queue = await fresh();
    const damaged = await queue.enqueue(issueSpec(1));
    const healthy = await queue.enqueue(issueSpec(2));
    await corruptStoredSteps(queue, damaged.job.id);
    const ran: number[] = [];
    const worker = queue.startWorker(testWorkerOptions(async (ctx) => (ran.push(ctx.job.spec.issueNumber), done)));
    stops.push(() => worker.stop(0));
    expect((await ended(queue, healthy.job.id)).state).toBe("succeeded");
    const broken = await ended(queue, damaged.job.id);
    expect(broken.state).toBe("failed");
    expect(broken.error?.code).toBe("JOB_RECORD_CORRUPT");
    expect(ran).toEqual([2]);
    expect((await queue.list()).map((j) => j.id).sort()).toEqual([damaged.job.id, healthy.job.id].sort());
  });

  it("a handler that ignores its abort signal is released anyway when the worker stops", async () => {
    const location = fixture.location();
    const queue = await fixture.open(location);
    const started = gate();
    const stuck = gate();
    const worker = queue.startWorker(
      testWorkerOptions(async (ctx) => {
        await ctx.step("spawn", async () => "ok");
        started.open();
        await stuck.promise;
        return done;
      }),
    );
    const { job } = await queue.enqueue(issueSpec(3));
    await started.promise;
    await worker.stop(100);
    const released = await queue.get(job.id);
    expect(released?.state).toBe("queued");
    expect(released?.steps.map((s) => s.status)).toEqual(["done"]);
    stuck.open();
    const other = await fixture.open(location);
    const resumed = other.startWorker(testWorkerOptions(async () => ({ kind: "no-change", message: "resumed" })));
    stops.push(() => resumed.stop(0));
    const finished = await ended(other, job.id);
    expect(finished.outcome?.message).toBe("resumed");
  });

  it("reads: finished jobs are left alone by cancel, a new trigger after the end creates a new job, list filters by state", async () => {
    const queue = await fresh();
    expect(await queue.cancel("octo/widgets#404", "nothing there")).toBeUndefined();
    const worker = queue.startWorker(testWorkerOptions(async () => done));
    stops.push(() => worker.stop(0));
    const first = await queue.enqueue(issueSpec(5));
    await ended(queue, first.job.id);
    expect(await queue.cancel(first.job.key, "too late")).toBeUndefined();
    expect((await queue.get(first.job.id))?.state).toBe("succeeded");
    const second = await queue.enqueue(issueSpec(5, { trigger: "retry" }));
    expect(second.created).toBe(true);
    expect(second.job.id).not.toBe(first.job.id);
    await ended(queue, second.job.id);
    expect((await queue.latest(first.job.key))?.id).toBe(second.job.id);
    expect((await queue.get(first.job.id))?.state).toBe("succeeded");

    await worker.stop(0);
    const queued = await queue.enqueue(issueSpec(6));
    const newestFirst = await queue.list();
    expect(newestFirst.map((j) => j.id)).toEqual([queued.job.id, second.job.id, first.job.id]);
    expect((await queue.list({ states: ["queued"] })).map((j) => j.id)).toEqual([queued.job.id]);
    expect((await queue.list({ states: ["succeeded", "queued"], limit: 2 })).map((j) => j.id)).toEqual([queued.job.id, second.job.id]);
    expect(await queue.list({ states: ["failed"] })).toEqual([]);
  });

  it("a step's output looks the same to the handler on the first run and after a resume", async () => {
    const queue = await fresh();
    const seen: unknown[] = [];
    const worker = queue.startWorker(
      testWorkerOptions(async (ctx) => {
        const out = await ctx.step("spawn", async () => ({ at: new Date(0), files: ["a"], skip: undefined }));
        seen.push(out);
        if (ctx.job.failures === 0) throw new Error("crash after spawn");
        return done;
      }),
    );
    stops.push(() => worker.stop(0));
    const { job } = await queue.enqueue(issueSpec(7));
    await ended(queue, job.id);
    expect(seen).toEqual([
      { at: "1970-01-01T00:00:00.000Z", files: ["a"] },
      { at: "1970-01-01T00:00:00.000Z", files: ["a"] },
    ]);
  });
});

describe("a store that cannot be used", () => {
  it("SQLite: a data directory that cannot be created says which one and what to do", async () => {
    const fixture = new DriverFixture("sqlite");
    const file = path.join(fixture.location().dataDir, "a-file");
    writeFileSync(file, "not a directory");
    const attempt = createJobQueue({ AUTOFIX_DATA_DIR: path.join(file, "data"), REDIS_URL: undefined });
    await expect(attempt).rejects.toBeInstanceOf(AutofixError);
    await expect(attempt).rejects.toMatchObject({ code: "JOB_STORE_UNAVAILABLE", message: expect.stringContaining("AUTOFIX_DATA_DIR") });
    await fixture.teardown();
  });

  it("Redis: an address nothing listens on fails fast with the store's error, not a hang", async () => {
    const attempt = createJobQueue({ AUTOFIX_DATA_DIR: "/nonexistent", REDIS_URL: "redis://127.0.0.1:1" });
    await expect(attempt).rejects.toMatchObject({ code: "JOB_STORE_UNAVAILABLE", message: expect.stringContaining("REDIS_URL") });
  });

  it("SQLite: a job whose workers keep dying is given up after ten expired leases and reported once", async () => {
    const fixture = new DriverFixture("sqlite");
    const queue = (await fixture.open(fixture.location())) as SqliteJobQueue;
    const { job } = await queue.enqueue(issueSpec(9));
    // Ten claims whose 1 ms leases lapse stand in for ten workers killed mid-job.
    for (let i = 0; i < 10; i++) {
      expect(queue.store.claim(`dead-${i}`, [], 1)?.job.id).toBe(job.id);
      await new Promise((r) => setTimeout(r, 5));
    }
    const reported: string[] = [];
    const worker = queue.startWorker(testWorkerOptions(async () => done, { onGiveUp: async (j) => void reported.push(j.id) }));
    const failed = await waitFor(async () => ((await queue.get(job.id))?.state === "failed" ? queue.get(job.id) : undefined), "give-up");
    expect(failed?.error?.code).toBe("JOB_WORKER_DIED");
    expect(failed?.claims).toBe(10);
    await waitFor(() => reported.length === 1, "onGiveUp");
    await worker.stop(0);
    await fixture.teardown();
  });
});

describe("BullMQ delivery", () => {
  const fixture = new DriverFixture("bullmq");
  beforeAll(() => fixture.setup());
  afterAll(() => fixture.teardown());

  it("a job whose workers keep dying is given up once past BullMQ's stall limit, reported once, and never run again", async () => {
    const location = { ...fixture.location(), maxStalledCount: 1 };
    const queue = await fixture.open(location);
    const dir = mkdtempSync(path.join(tmpdir(), "autofix-stalls-"));
    const { job } = await queue.enqueue(issueSpec(60));
    // "count" logs each start of the job, then works for two minutes: long enough to be killed mid-job.
    const config: WorkerProcessConfig = {
      location,
      handler: "count",
      dir,
      concurrency: 1,
      perInstallation: 1,
      leaseMs: 1_000,
      graceMs: 100,
      stepDelayMs: 120_000,
    };
    const starts = () => readLines(path.join(dir, "invocations.log"));
    const children: Awaited<ReturnType<typeof startWorkerProcess>>[] = [];
    try {
      for (let death = 1; death <= 2; death++) {
        const child = await startWorkerProcess(config);
        children.push(child);
        await waitFor(() => starts().length === death, `worker ${death} to start the job`, 20_000);
        child.kill("SIGKILL");
        await child.exited;
      }
      // The next worker finds the job stalled once more than allowed: BullMQ fails it, and so does the record.
      children.push(await startWorkerProcess(config));
      const failed = await waitFor(async () => ((await queue.get(job.id))?.state === "failed" ? queue.get(job.id) : undefined), "the give-up", 20_000);
      expect(failed?.error?.code).toBe("JOB_WORKER_DIED");
      expect(failed?.outcome?.message).toMatch(/stopped its worker 2 times.*`\/autofix retry`/);
      const reports = await waitFor(
        () => (readLines(path.join(dir, "gave-up.log")).length > 0 ? readLines(path.join(dir, "gave-up.log")) : undefined),
        "the give-up report",
      );
      expect(reports).toEqual([expect.stringMatching(new RegExp(`^${job.id} \\d+ .*stalled`))]);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(starts()).toHaveLength(2);
      expect(readLines(path.join(dir, "gave-up.log"))).toHaveLength(1);
    } finally {
      for (const child of children) child.kill("SIGKILL");
      await Promise.all(children.map((c) => c.exited));
    }
  });

  it("a job recorded but never handed to BullMQ (the enqueuer died in between) is offered again and runs once", async () => {
    const queue = (await fixture.open(fixture.location())) as BullJobQueue;
    // The record alone, as left by a process killed between its two writes.
    const { job } = await queue.store.enqueue(issueSpec(50));
    expect(await queue.redeliverOrphans(0)).toBe(1);
    expect(await queue.redeliverOrphans(0)).toBe(0);
    let runs = 0;
    const worker = queue.startWorker(testWorkerOptions(async () => (runs++, done)));
    const finished = await waitFor(async () => ((await queue.get(job.id))?.state === "succeeded" ? queue.get(job.id) : undefined), "the orphan to run");
    expect(finished?.claims).toBe(1);
    expect(runs).toBe(1);
    await worker.stop(0);
  });

  it("a worker outlives Redis going away mid-job and still stops instead of hanging", async () => {
    const redis = await startTestRedis({ private: true });
    const queue = await openQueue({ ...fixture.location(), redisUrl: redis.url });
    const started = gate();
    const finish = gate();
    const worker = queue.startWorker(
      testWorkerOptions(async (ctx) => {
        await ctx.step("agent", async () => {
          started.open();
          await finish.promise;
        });
        return done;
      }),
    );
    await queue.enqueue(issueSpec(60));
    await started.promise;
    await redis.stop();
    finish.open();
    // The settle now waits for a Redis that is gone; stopping must still return (bounded waits inside).
    await worker.stop(200);
    await queue.close();
  });
});
