// The job queue's promises, checked against both drivers: supersede, cancel, dedupe, caps, retries,
// give-up, and graceful shutdown handing unfinished work to another worker.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AutofixError, JobCancelled } from "../../src/errors.js";
import type { JobContext, JobRecord } from "../../src/jobs/types.js";
import { abortable, DriverFixture, gate, issueSpec, testWorkerOptions, waitFor, type DriverName } from "../support/jobHarness.js";

const drivers: DriverName[] = ["sqlite", "bullmq"];

const done = (message = "done") => ({ kind: "no-change" as const, message });

describe.each(drivers)("job queue on %s", (driver) => {
  const fixture = new DriverFixture(driver);
  const stops: Array<() => Promise<void>> = [];
  beforeAll(() => fixture.setup());
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await fixture.closeQueues();
  });
  afterAll(() => fixture.teardown());

  async function fresh() {
    return fixture.open(fixture.location());
  }
  function track(worker: { stop(graceMs: number): Promise<void> }) {
    stops.push(() => worker.stop(0));
    return worker;
  }
  const ended = (queue: { get(id: string): Promise<JobRecord | undefined> }, id: string) =>
    waitFor(async () => {
      const job = await queue.get(id);
      return job && ["succeeded", "failed", "cancelled"].includes(job.state) ? job : undefined;
    }, `job ${id} to end`);

  it("runs an enqueued job's steps once and records the handler's outcome", async () => {
    const queue = await fresh();
    expect(queue.driver).toBe(driver);
    await queue.ping();
    const { job, created } = await queue.enqueue(issueSpec(1));
    expect(created).toBe(true);
    expect(job.state).toBe("queued");
    expect(job.key).toBe("octo/widgets#1");
    const ran: string[] = [];
    track(
      queue.startWorker(
        testWorkerOptions(async (ctx) => {
          const a = await ctx.step("spawn", async () => (ran.push("spawn"), { sha: "abc" }));
          await ctx.progress({ attempt: 1, tokens: 10 });
          const b = await ctx.step("agent", async () => (ran.push("agent"), `${a.sha}-edited`));
          return { kind: "pr-opened", message: b, prNumber: 7 };
        }),
      ),
    );
    const finished = await ended(queue, job.id);
    expect(finished.state).toBe("succeeded");
    expect(finished.outcome).toEqual({ kind: "pr-opened", message: "abc-edited", prNumber: 7 });
    expect(finished.claims).toBe(1);
    expect(finished.steps.map((s) => [s.name, s.status])).toEqual([
      ["spawn", "done"],
      ["agent", "done"],
    ]);
    expect(finished.steps[0].output).toEqual({ sha: "abc" });
    expect(finished.progress).toMatchObject({ attempt: 1, tokens: 10 });
    expect(ran).toEqual(["spawn", "agent"]);
    expect((await queue.latest("octo/widgets#1"))?.id).toBe(job.id);
  });

  it("supersedes a queued job when the same issue is triggered again", async () => {
    const queue = await fresh();
    const first = await queue.enqueue(issueSpec(2, { deliveryId: "d-1" }));
    const second = await queue.enqueue(issueSpec(2, { deliveryId: "d-2", trigger: "retry" }));
    expect(second.created).toBe(true);
    const old = await queue.get(first.job.id);
    expect(old?.state).toBe("cancelled");
    expect(old?.cancelReason).toBe("superseded by a newer trigger");
    expect(old?.outcome?.kind).toBe("cancelled");
    const seen: string[] = [];
    track(queue.startWorker(testWorkerOptions(async (ctx) => (seen.push(ctx.job.id), done()))));
    expect((await ended(queue, second.job.id)).state).toBe("succeeded");
    expect(seen).toEqual([second.job.id]);
    expect((await queue.latest("octo/widgets#2"))?.id).toBe(second.job.id);
  });

  it("cancelling a running job aborts its signal and the job ends cancelled", async () => {
    const queue = await fresh();
    const started = gate();
    let abortedWith: unknown;
    track(
      queue.startWorker(
        testWorkerOptions(async (ctx) => {
          await ctx.step("spawn", async () => 1);
          await ctx.step("agent", async () => {
            started.open();
            await abortable(ctx.signal).catch((err) => {
              abortedWith = err;
              throw err;
            });
          });
          return done();
        }),
      ),
    );
    const { job } = await queue.enqueue(issueSpec(3));
    await started.promise;
    const live = await queue.get(job.id);
    expect(live?.state).toBe("running");
    expect(live?.progress.step).toBe("agent");
    expect(live?.steps.map((s) => [s.name, s.status])).toEqual([
      ["spawn", "done"],
      ["agent", "running"],
    ]);
    const asked = await queue.cancel(job.key, "the autofix label was removed");
    expect(asked?.cancelReason).toBe("the autofix label was removed");
    const finished = await ended(queue, job.id);
    expect(abortedWith).toBeInstanceOf(JobCancelled);
    expect(finished.state).toBe("cancelled");
    expect(finished.cancelReason).toBe("the autofix label was removed");
    expect(finished.outcome?.kind).toBe("cancelled");
    expect(finished.steps.map((s) => [s.name, s.status])).toEqual([
      ["spawn", "done"],
      ["agent", "failed"],
    ]);
  });

  it("a new trigger cancels the issue's running job, and the new job runs only after it stopped", async () => {
    const queue = await fresh();
    const started = gate();
    const timeline: string[] = [];
    track(
      queue.startWorker(
        testWorkerOptions(async (ctx) => {
          timeline.push(`start ${ctx.job.spec.trigger}`);
          if (ctx.job.spec.trigger === "label") {
            started.open();
            await abortable(ctx.signal).finally(() => timeline.push("stop label"));
          }
          return done();
        }),
      ),
    );
    const first = await queue.enqueue(issueSpec(4));
    await started.promise;
    const second = await queue.enqueue(issueSpec(4, { trigger: "retry" }));
    expect((await ended(queue, first.job.id)).cancelReason).toBe("superseded by a newer trigger");
    expect((await ended(queue, second.job.id)).state).toBe("succeeded");
    expect(timeline).toEqual(["start label", "stop label", "start retry"]);
  });

  it("ten redeliveries of one webhook create one job", async () => {
    const queue = await fresh();
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await queue.enqueue(issueSpec(5, { deliveryId: "delivery-5" })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(await queue.list()).toHaveLength(1);
    expect(await queue.countSince({ repo: "octo/widgets" }, new Date(Date.now() - 60_000))).toBe(1);
    expect(await queue.countSince({ installationId: 1 }, new Date(Date.now() - 60_000))).toBe(1);
    expect(await queue.countSince({ installationId: 2 }, new Date(Date.now() - 60_000))).toBe(0);
  });

  it("a saturated installation waits while other installations' jobs run", async () => {
    const queue = await fresh();
    const release = gate();
    const running = new Set<string>();
    let peakForA = 0;
    track(
      queue.startWorker(
        testWorkerOptions(
          async (ctx) => {
            const label = `${ctx.job.spec.installationId}#${ctx.job.spec.issueNumber}`;
            running.add(label);
            peakForA = Math.max(peakForA, [...running].filter((l) => l.startsWith("100#")).length);
            await release.promise;
            running.delete(label);
            return done();
          },
          { concurrency: 3, perInstallation: 1 },
        ),
      ),
    );
    const a1 = await queue.enqueue(issueSpec(10, { installationId: 100 }));
    const a2 = await queue.enqueue(issueSpec(11, { installationId: 100 }));
    const b1 = await queue.enqueue(issueSpec(12, { installationId: 200 }));
    await waitFor(() => running.has("100#10") && running.has("200#12"), "one job of each installation to run");
    // Give the worker a few polls to (wrongly) start the second job of installation 100.
    await new Promise((r) => setTimeout(r, 400));
    expect((await queue.get(a2.job.id))?.state).toBe("queued");
    expect(running.has("100#11")).toBe(false);
    release.open();
    for (const { job } of [a1, a2, b1]) expect((await ended(queue, job.id)).state).toBe("succeeded");
    expect(peakForA).toBe(1);
  });

  it("retries a failing job with growing delays, then gives up once and reports it", async () => {
    const queue = await fresh();
    const attemptsAt: number[] = [];
    const gaveUp: Array<{ job: JobRecord; error: Error }> = [];
    track(
      queue.startWorker(
        testWorkerOptions(
          async () => {
            attemptsAt.push(Date.now());
            throw new Error("the network is down");
          },
          { maxFailures: 3, retryBackoffMs: { baseMs: 200, maxMs: 2_000 }, onGiveUp: async (job, error) => void gaveUp.push({ job, error }) },
        ),
      ),
    );
    const { job } = await queue.enqueue(issueSpec(20));
    const finished = await ended(queue, job.id);
    expect(finished.state).toBe("failed");
    expect(finished.failures).toBe(3);
    expect(finished.claims).toBe(3);
    expect(finished.error).toEqual({ code: "UNEXPECTED_ERROR", message: "the network is down" });
    expect(finished.outcome?.kind).toBe("error");
    expect(attemptsAt).toHaveLength(3);
    const gaps = [attemptsAt[1] - attemptsAt[0], attemptsAt[2] - attemptsAt[1]];
    expect(gaps[0]).toBeGreaterThanOrEqual(190);
    expect(gaps[1]).toBeGreaterThanOrEqual(390);
    await new Promise((r) => setTimeout(r, 300));
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0].job.id).toBe(job.id);
    expect(gaveUp[0].error.message).toBe("the network is down");
  });

  it("fails at once, without retries, when the error says retrying cannot help", async () => {
    const queue = await fresh();
    let calls = 0;
    const gaveUp: string[] = [];
    track(
      queue.startWorker(
        testWorkerOptions(
          async () => {
            calls++;
            throw new AutofixError("CONFIG_INVALID", { what: "The config is invalid.", why: "agent: required", next: "Fix it." });
          },
          { onGiveUp: async (job) => void gaveUp.push(job.id) },
        ),
      ),
    );
    const { job } = await queue.enqueue(issueSpec(21));
    const finished = await ended(queue, job.id);
    expect(finished.state).toBe("failed");
    expect(finished.error?.code).toBe("CONFIG_INVALID");
    expect(finished.outcome?.message).toContain("The config is invalid.");
    expect(calls).toBe(1);
    expect(gaveUp).toEqual([job.id]);
  });

  it("a handler that throws JobCancelled ends cancelled, not failed, and is not retried", async () => {
    const queue = await fresh();
    let calls = 0;
    track(queue.startWorker(testWorkerOptions(async () => (calls++, Promise.reject(new JobCancelled("the issue was closed"))))));
    const { job } = await queue.enqueue(issueSpec(22));
    const finished = await ended(queue, job.id);
    expect(finished.state).toBe("cancelled");
    expect(finished.cancelReason).toBe("the issue was closed");
    expect(calls).toBe(1);
  });

  it("a handler throwing a non-Error is recorded and the worker goes on with other jobs", async () => {
    const queue = await fresh();
    track(
      queue.startWorker(
        testWorkerOptions(
          async (ctx) => {
            if (ctx.job.spec.issueNumber === 23) throw { weird: true };
            if (ctx.job.spec.issueNumber === 24) throw undefined;
            return done();
          },
          { maxFailures: 1 },
        ),
      ),
    );
    const bad = await queue.enqueue(issueSpec(23));
    const worse = await queue.enqueue(issueSpec(24));
    const good = await queue.enqueue(issueSpec(25));
    expect((await ended(queue, bad.job.id)).error?.message).toContain('{"weird":true}');
    expect((await ended(queue, worse.job.id)).state).toBe("failed");
    expect((await ended(queue, good.job.id)).state).toBe("succeeded");
  });

  it("a step finished before a retry is not run again; the failed step is", async () => {
    const queue = await fresh();
    const runs: string[] = [];
    track(
      queue.startWorker(
        testWorkerOptions(async (ctx: JobContext) => {
          await ctx.step("spawn", async () => void runs.push("spawn"));
          await ctx.step("agent", async () => {
            runs.push("agent");
            if (ctx.job.failures === 0) throw new Error("agent crashed");
          });
          return done();
        }),
      ),
    );
    const { job } = await queue.enqueue(issueSpec(26));
    const finished = await ended(queue, job.id);
    expect(finished.state).toBe("succeeded");
    expect(runs).toEqual(["spawn", "agent", "agent"]);
    expect(finished.failures).toBe(1);
  });

  it("graceful shutdown releases unfinished jobs and another worker finishes them without redoing steps", async () => {
    const location = fixture.location();
    const first = await fixture.open(location);
    const second = await fixture.open(location);
    const calls: string[] = [];
    const slowStarted = gate();
    const handler = (name: string) => async (ctx: JobContext) => {
      await ctx.step("spawn", async () => void calls.push(`${name} spawn ${ctx.job.spec.issueNumber}`));
      await ctx.step("agent", async () => {
        calls.push(`${name} agent ${ctx.job.spec.issueNumber}`);
        if (name === "first" && ctx.job.spec.issueNumber === 31) {
          slowStarted.open();
          await abortable(ctx.signal);
        }
      });
      return done(name);
    };
    const quick = await first.enqueue(issueSpec(30));
    const slow = await first.enqueue(issueSpec(31));
    const worker = first.startWorker(testWorkerOptions(handler("first")));
    await slowStarted.promise;
    expect((await ended(first, quick.job.id)).outcome?.message).toBe("first");
    await worker.stop(200);
    const released = await first.get(slow.job.id);
    expect(released?.state).toBe("queued");
    expect(released?.steps.map((s) => [s.name, s.status])).toEqual([
      ["spawn", "done"],
      ["agent", "running"],
    ]);
    track(second.startWorker(testWorkerOptions(handler("second"))));
    const finished = await ended(second, slow.job.id);
    expect(finished.state).toBe("succeeded");
    expect(finished.outcome?.message).toBe("second");
    expect(finished.claims).toBe(2);
    expect(finished.failures).toBe(0);
    expect(calls.filter((c) => c.endsWith(" 31"))).toEqual(["first spawn 31", "first agent 31", "second agent 31"]);
  });
});
