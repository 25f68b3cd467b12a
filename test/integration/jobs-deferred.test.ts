// A job waiting on something outside (the repository's CI) goes back to the queue without holding a
// worker or counting as a failure, keeps its finished steps, and a wake-up runs it before its delay.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JobDeferred } from "../../src/jobs/index.js";
import type { JobRecord } from "../../src/jobs/types.js";
import { DriverFixture, issueSpec, testWorkerOptions, waitFor, type DriverName } from "../support/jobHarness.js";

const drivers: DriverName[] = ["sqlite", "bullmq"];

describe.each(drivers)("a deferred job on %s", (driver) => {
  const fixture = new DriverFixture(driver);
  const stops: Array<() => Promise<void>> = [];
  beforeAll(() => fixture.setup());
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await fixture.closeQueues();
  });
  afterAll(() => fixture.teardown());

  it("waits queued with its steps kept and no failure counted, and a wake runs it long before its delay", async () => {
    const queue = await fixture.open(fixture.location());
    const { job } = await queue.enqueue(issueSpec(41));
    const published: string[] = [];
    let ciGreen = false;
    const worker = queue.startWorker(
      testWorkerOptions(async (ctx) => {
        await ctx.step("publish", async () => (published.push(ctx.job.id), { pr: 9 }));
        if (!ciGreen) {
          await ctx.progress({ step: "ci-0-wait" });
          // An hour: only the wake below can bring the job back within this test.
          throw new JobDeferred(3_600_000, "CI");
        }
        return { kind: "pr-opened", message: "CI green", prNumber: 9 };
      }),
    );
    stops.push(() => worker.stop(0));
    const waiting = await waitFor(async () => {
      const j = await queue.get(job.id);
      return j?.state === "queued" && j.claims === 1 && j.progress.step === "ci-0-wait" ? j : undefined;
    }, "the job to wait");
    expect(waiting.failures).toBe(0);
    expect(waiting.error).toBeUndefined();
    expect(waiting.steps.map((s) => [s.name, s.status])).toEqual([["publish", "done"]]);

    ciGreen = true;
    expect(await queue.wake!(job.id)).toBe(true);
    const done = await waitFor(async () => {
      const j = await queue.get(job.id);
      return j && j.state === "succeeded" ? (j as JobRecord) : undefined;
    }, "the woken job to finish");
    expect(done.claims).toBe(2);
    expect(done.failures).toBe(0);
    expect(published).toEqual([job.id]);
    // Nothing is waiting any more: a second wake changes nothing.
    expect(await queue.wake!(job.id)).toBe(false);
  });

  it("a job waiting for CI holds no worker: with one worker slot, another issue's job runs meanwhile", async () => {
    const queue = await fixture.open(fixture.location());
    const waiting = await queue.enqueue(issueSpec(42));
    const worker = queue.startWorker(
      testWorkerOptions(
        async (ctx) => {
          if (ctx.job.spec.issueNumber === 42) throw new JobDeferred(3_600_000, "CI");
          return { kind: "no-change", message: "done" };
        },
        { concurrency: 1, perInstallation: 1 },
      ),
    );
    stops.push(() => worker.stop(0));
    await waitFor(async () => ((await queue.get(waiting.job.id))?.claims === 1 ? true : undefined), "the first job to start waiting");
    const other = await queue.enqueue(issueSpec(43));
    const finished = await waitFor(async () => {
      const j = await queue.get(other.job.id);
      return j?.state === "succeeded" ? j : undefined;
    }, "the other issue's job to run");
    expect(finished.claims).toBe(1);
    expect((await queue.get(waiting.job.id))?.state).toBe("queued");
  });
});
