// Workers die (SIGKILL) in the middle of every pipeline step; restarted workers resume each job at the step
// under way. Checked per driver with real child processes: one outcome per job, no side effect twice.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobRecord } from "../../src/jobs/types.js";
import { DriverFixture, issueSpec, startWorkerProcess, waitFor, type DriverName, type WorkerProcess } from "../support/jobHarness.js";
import type { WorkerProcessConfig } from "../support/jobWorkerProcess.js";
import { PIPELINE_STEPS, readLines, syntheticPaths, type CrashPlan } from "../support/syntheticPipeline.js";

const drivers: DriverName[] = ["sqlite", "bullmq"];

describe.each(drivers)("crash recovery on %s", (driver) => {
  const fixture = new DriverFixture(driver);
  const children: WorkerProcess[] = [];
  beforeAll(() => fixture.setup());
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await Promise.all(children.map((c) => c.exited));
    await fixture.teardown();
  });

  async function spawnWorker(config: WorkerProcessConfig): Promise<WorkerProcess> {
    const child = await startWorkerProcess(config);
    children.push(child);
    return child;
  }

  it("a worker killed during any step is resumed by the next one: one outcome per job, finished steps not redone, no push or PR twice", async () => {
    const location = fixture.location();
    const queue = await fixture.open(location);
    const dir = mkdtempSync(path.join(tmpdir(), "autofix-crash-"));
    const paths = syntheticPaths(dir);
    const plans: CrashPlan[] = [
      ...PIPELINE_STEPS.map((step) => ({ step, phase: "before" as const })),
      // The windows that matter most: the side effect happened but the step was not yet recorded done.
      { step: "push", phase: "after" },
      { step: "pr", phase: "after" },
      { step: "agent", phase: "after" },
    ];
    const jobs: Array<{ plan: CrashPlan; job: JobRecord }> = [];
    for (const [i, plan] of plans.entries()) {
      const { job } = await queue.enqueue(issueSpec(100 + i, { installationId: 10 + i, instructions: JSON.stringify(plan) }));
      jobs.push({ plan, job });
    }
    const config: WorkerProcessConfig = {
      location,
      handler: "synthetic",
      dir,
      concurrency: plans.length,
      perInstallation: 1,
      leaseMs: 1_500,
      graceMs: 1_000,
    };
    const doomed = await spawnWorker(config);
    await waitFor(() => readdirSync(dir).filter((f) => f.startsWith("crash-")).length === plans.length, "every job to reach its planned crash point", 30_000);
    doomed.kill("SIGKILL");
    expect(await doomed.exited).toBe("SIGKILL");

    await spawnWorker(config);
    const finished = await waitFor(
      async () => {
        const all = await Promise.all(jobs.map(({ job }) => queue.get(job.id)));
        return all.every((j) => j && ["succeeded", "failed", "cancelled"].includes(j.state)) ? (all as JobRecord[]) : undefined;
      },
      "every job to end after the restart",
      45_000,
    );

    const runs = readLines(paths.runsFile);
    const effects = readLines(paths.effectsFile);
    for (const [i, { plan, job }] of jobs.entries()) {
      const record = finished[i];
      const label = `${job.key} crashed ${plan.phase} ${plan.step}`;
      expect(record.state, label).toBe("succeeded");
      expect(record.outcome, label).toEqual({ kind: "pr-opened", message: `opened #${1000 + 100 + i}`, prNumber: 1000 + 100 + i });
      expect(record.claims, label).toBe(2);
      expect(record.failures, label).toBe(0);
      expect(
        record.steps.map((s) => [s.name, s.status]),
        label,
      ).toEqual(PIPELINE_STEPS.map((s) => [s, "done"]));
      const crashAt = PIPELINE_STEPS.indexOf(plan.step);
      for (const [at, step] of PIPELINE_STEPS.entries()) {
        const ran = runs.filter((l) => l === `run ${job.key} ${step}`).length;
        // Steps finished before the crash are not redone; the step under way is run again, once.
        expect(ran, `${label}: runs of ${step}`).toBe(at === crashAt ? 2 : 1);
        const effected = effects.filter((l) => l === `effect ${job.key} ${step}`).length;
        const redoneEffect = at === crashAt && plan.phase === "after" && step !== "push" && step !== "pr";
        expect(effected, `${label}: side effects of ${step}`).toBe(redoneEffect ? 2 : 1);
      }
    }
    // The PR, the effect that must never double: once per job, whatever was killed when.
    for (const { job } of jobs) expect(effects.filter((l) => l === `effect ${job.key} pr`)).toHaveLength(1);
  });

  it("a cancel asked from another process stops the job where it runs, and nothing after it happens", async () => {
    const location = fixture.location();
    const queue = await fixture.open(location);
    const dir = mkdtempSync(path.join(tmpdir(), "autofix-cancel-"));
    const paths = syntheticPaths(dir);
    await spawnWorker({ location, handler: "synthetic", dir, concurrency: 2, perInstallation: 2, leaseMs: 5_000, graceMs: 1_000 });
    const plan: CrashPlan = { step: "agent", phase: "before" };
    const { job } = await queue.enqueue(issueSpec(200, { instructions: JSON.stringify(plan) }));
    await waitFor(() => readdirSync(dir).includes("crash-200"), "the job to be inside its agent step", 30_000);
    const asked = await queue.cancel(job.key, "the autofix label was removed");
    expect(asked?.id).toBe(job.id);
    const ended = await waitFor(
      async () => {
        const j = await queue.get(job.id);
        return j?.state === "cancelled" ? j : undefined;
      },
      "the running job to end cancelled",
      15_000,
    );
    expect(ended.cancelReason).toBe("the autofix label was removed");
    expect(ended.outcome?.kind).toBe("cancelled");
    expect(ended.steps.map((s) => [s.name, s.status])).toEqual([
      ["spawn", "done"],
      ["agent", "failed"],
    ]);
    const effects = readLines(paths.effectsFile);
    expect(effects).toEqual([`effect ${job.key} spawn`]);
  });

  it("SIGTERM lets a worker release its unfinished job, and another worker process finishes it", async () => {
    const location = fixture.location();
    const queue = await fixture.open(location);
    const dir = mkdtempSync(path.join(tmpdir(), "autofix-term-"));
    const paths = syntheticPaths(dir);
    const config: WorkerProcessConfig = { location, handler: "synthetic", dir, concurrency: 2, perInstallation: 2, leaseMs: 60_000, graceMs: 300 };
    const first = await spawnWorker(config);
    const { job } = await queue.enqueue(issueSpec(300, { instructions: JSON.stringify({ step: "gates", phase: "before" }) }));
    await waitFor(() => readdirSync(dir).includes("crash-300"), "the job to be inside its gates step", 30_000);
    first.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const released = await queue.get(job.id);
    expect(released?.state).toBe("queued");
    expect(released?.steps.map((s) => [s.name, s.status])).toEqual([
      ["spawn", "done"],
      ["agent", "done"],
      ["gates", "running"],
    ]);
    // A 60 s lease: only an explicit release lets the next worker take the job this soon.
    await spawnWorker(config);
    const ended = await waitFor(
      async () => {
        const j = await queue.get(job.id);
        return j?.state === "succeeded" ? j : undefined;
      },
      "the released job to be finished by the second worker",
      20_000,
    );
    expect(ended.claims).toBe(2);
    const runs = readLines(paths.runsFile);
    expect(runs.filter((l) => l.endsWith(" spawn"))).toHaveLength(1);
    expect(runs.filter((l) => l.endsWith(" gates"))).toHaveLength(2);
    expect(readLines(paths.effectsFile).filter((l) => l.endsWith(" pr"))).toHaveLength(1);
  });

  it("a frozen worker whose lease lapsed writes nothing when it wakes up: the job stays as its successor finished it", async () => {
    const location = fixture.location();
    const queue = await fixture.open(location);
    const dir = mkdtempSync(path.join(tmpdir(), "autofix-frozen-"));
    const paths = syntheticPaths(dir);
    const config: WorkerProcessConfig = { location, handler: "synthetic", dir, concurrency: 2, perInstallation: 2, leaseMs: 1_500, graceMs: 500 };
    const frozen = await spawnWorker(config);
    const { job } = await queue.enqueue(issueSpec(400, { instructions: JSON.stringify({ step: "absorb", phase: "before" }) }));
    await waitFor(() => readdirSync(dir).includes("crash-400"), "the job to be inside its absorb step", 30_000);
    frozen.kill("SIGSTOP");
    const successor = await spawnWorker(config);
    const finished = await waitFor(
      async () => {
        const j = await queue.get(job.id);
        return j?.state === "succeeded" ? j : undefined;
      },
      "the successor to finish the job",
      30_000,
    );
    successor.kill("SIGKILL");
    await successor.exited;
    frozen.kill("SIGCONT");
    await waitFor(() => frozen.stderr().includes("lease lost"), "the woken worker to notice it lost the lease", 10_000);
    const after = await queue.get(job.id);
    expect(after?.state).toBe("succeeded");
    expect(after?.outcome).toEqual(finished.outcome);
    expect(after?.steps).toEqual(finished.steps);
    expect(after?.claims).toBe(2);
    const effects = readLines(paths.effectsFile);
    for (const step of ["spawn", "agent", "gates", "absorb", "push", "pr"]) {
      expect(
        effects.filter((l) => l === `effect ${job.key} ${step}`),
        step,
      ).toHaveLength(1);
    }
  });

  it("two worker processes on one store never run the same job twice", async () => {
    const location = fixture.location();
    const queue = await fixture.open(location);
    const dir = mkdtempSync(path.join(tmpdir(), "autofix-pair-"));
    const config: WorkerProcessConfig = {
      location,
      handler: "count",
      dir,
      concurrency: 4,
      perInstallation: 2,
      leaseMs: 5_000,
      graceMs: 1_000,
      // Long enough that one worker alone cannot drain the queue before the other polls, even under load.
      stepDelayMs: 100,
    };
    const pair = await Promise.all([spawnWorker(config), spawnWorker(config)]);
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const { job } = await queue.enqueue(issueSpec(1_000 + i, { installationId: 1 + (i % 5), deliveryId: `d-${i}` }));
      ids.push(job.id);
    }
    await waitFor(
      async () => {
        const done = await queue.list({ states: ["succeeded"], limit: 1_000 });
        return done.length === ids.length;
      },
      "all 120 jobs to succeed",
      60_000,
      100,
    );
    const invocations = readLines(path.join(dir, "invocations.log")).map((l) => l.split(" "));
    const perJob = new Map<string, number>();
    for (const [id] of invocations) perJob.set(id, (perJob.get(id) ?? 0) + 1);
    expect([...perJob.keys()].sort()).toEqual([...ids].sort());
    expect([...perJob.values()].every((n) => n === 1)).toBe(true);
    const pids = new Set(invocations.map(([, pid]) => pid));
    expect(pids.size, "both processes took jobs").toBe(2);
    for (const child of pair) child.kill("SIGTERM");
    for (const child of pair) expect(await child.exited).toBe(0);
  });
});
