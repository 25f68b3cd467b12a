// The scale-out worker: BullMQ delivers job ids and holds the lease (its job lock; a job whose worker died is
// re-delivered by the stalled checker), Redis holds the records, a pub/sub channel carries cancels to
// whichever machine runs the job, and unfinished jobs are put back on shutdown.
import { randomBytes } from "node:crypto";
import { DelayedError, Worker as BullMQWorker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { JobCancelled } from "../../errors.js";
import { cancelledOutcome, LeaseLost, MAX_LEASE_EXPIRIES, newLeaseToken, WorkerStopping, workerDiedOutcome, type JobLog } from "../records.js";
import { runClaimedJob, type ClaimedRun } from "../runner.js";
import type { Worker, WorkerOptions } from "../types.js";
import type { RedisJobStore, SaveResult } from "./store.js";

export interface BullWorkerConfig {
  queueName: string;
  prefix: string;
  redis: Redis;
  /** How long a job of a busy issue or a saturated installation waits before it is offered again. */
  busyDelayMs?: number;
  /** Crashes tolerated per job before BullMQ fails it (a job that kills its worker every time). */
  maxStalledCount?: number;
}

interface RunningJob {
  controller: AbortController;
  leaseToken: string;
  done: Promise<void>;
  /** Lets the processor return while a handler that ignores its signal is still stuck, so BullMQ lets go. */
  forceRelease: () => void;
}

export class BullWorker implements Worker {
  private readonly running = new Map<string, RunningJob>();
  private readonly perBucket = new Map<number, number>();
  private readonly bull: BullMQWorker;
  private readonly subscriber: Redis;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly workerId: string;
  private stopping = false;

  constructor(
    private readonly store: RedisJobStore,
    private readonly config: BullWorkerConfig,
    private readonly options: WorkerOptions,
    private readonly log: JobLog,
  ) {
    this.workerId = options.workerId ?? `worker-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.subscriber = config.redis.duplicate();
    this.subscriber.on("message", (_channel: string, jobId: string) => void this.onCancelMessage(jobId));
    this.subscriber.on("error", (err) => this.log.warn({ err }, "cancel channel connection error"));
    void this.subscriber.subscribe(store.cancelChannel).catch((err) => this.log.error({ err }, "cannot subscribe to cancels"));
    this.bull = new BullMQWorker(config.queueName, (job, token, signal) => this.process(job, token, signal), {
      connection: config.redis,
      prefix: config.prefix,
      name: this.workerId,
      concurrency: options.concurrency,
      lockDuration: options.leaseMs,
      // The checker needs two passes to recover a job, so a dead worker's job returns within ~lease + 2 intervals.
      stalledInterval: Math.max(250, Math.min(30_000, Math.floor(options.leaseMs / 2))),
      maxStalledCount: config.maxStalledCount ?? MAX_LEASE_EXPIRIES,
      drainDelay: 1,
    });
    this.bull.on("error", (err) => this.log.error({ err, workerId: this.workerId }, "BullMQ worker error"));
    this.bull.on("failed", (job, err) => void this.onBullFailed(job, err));
    const heartbeatMs = Math.max(50, Math.min(options.leaseMs / 3, 1_000));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), heartbeatMs);
  }

  private abort(jobId: string, reason: Error): void {
    const job = this.running.get(jobId);
    if (job && !job.controller.signal.aborted) job.controller.abort(reason);
  }

  private async onCancelMessage(jobId: string): Promise<void> {
    if (!this.running.has(jobId)) return;
    // If Redis cannot say why right now, stop the job anyway: the reason is on its record.
    const reason = await this.store.cancelReason(jobId).catch(() => "the job was stopped");
    this.abort(jobId, new JobCancelled(reason));
  }

  private async react(jobId: string, result: SaveResult): Promise<void> {
    if (result === "lost") this.abort(jobId, new LeaseLost(jobId));
    else if (result === "cancel") await this.onCancelMessage(jobId);
  }

  private beating = false;

  private async heartbeat(): Promise<void> {
    // One beat at a time: while Redis is unreachable, commands wait for the reconnect instead of piling up.
    if (this.beating) return;
    this.beating = true;
    try {
      await this.beatOnce();
    } finally {
      this.beating = false;
    }
  }

  private async beatOnce(): Promise<void> {
    for (const [jobId, job] of this.running) {
      try {
        await this.react(jobId, await this.store.check(jobId, job.leaseToken));
      } catch (err) {
        this.log.warn({ err, jobId }, "job check failed; retrying at the next heartbeat");
      }
    }
  }

  /** BullMQ gave up on a job (it stalled too often, or its processor kept failing): end its record too. */
  private async onBullFailed(job: Job | undefined, err: Error): Promise<void> {
    if (!job?.id) return;
    try {
      if ((await job.getState()) !== "failed") return;
      const record = await this.store.get(job.id);
      if (!record || (record.state !== "running" && record.state !== "queued")) return;
      this.log.error({ jobId: job.id, err }, "BullMQ gave up on the job; marking it failed");
      const stalled = /stalled/i.test(err.message);
      const outcome = stalled
        ? workerDiedOutcome(job.stalledCounter || MAX_LEASE_EXPIRIES)
        : { kind: "error" as const, message: `The job could not be run: ${err.message}. Comment \`/autofix retry\` to try again.` };
      const error = { code: stalled ? "JOB_WORKER_DIED" : "JOB_DELIVERY_FAILED", message: err.message };
      const written = await this.store.settle(job.id, "*", { state: "failed", outcome, failures: record.failures + 1, error });
      if (written) {
        const failed = await this.store.get(job.id);
        if (failed) await this.options.onGiveUp?.(failed, err);
      }
    } catch (e) {
      this.log.error({ err: e, jobId: job.id }, "could not record a job BullMQ gave up on");
    }
  }

  private async later(job: Job, token: string | undefined, atMs: number): Promise<never> {
    await job.moveToDelayed(Math.max(atMs, Date.now()), token);
    throw new DelayedError();
  }

  private async process(bullJob: Job, token: string | undefined, bullSignal?: AbortSignal): Promise<void> {
    const id = bullJob.id;
    if (!id) return;
    const busyDelayMs = this.config.busyDelayMs ?? 250;
    if (this.stopping) return this.later(bullJob, token, Date.now());
    const bucket = await this.store.installationBucket(id);
    if ((this.perBucket.get(bucket) ?? 0) >= this.options.perInstallation) {
      return this.later(bullJob, token, Date.now() + busyDelayMs);
    }
    this.perBucket.set(bucket, (this.perBucket.get(bucket) ?? 0) + 1);
    try {
      const leaseToken = newLeaseToken();
      const claim = await this.store.claim(id, leaseToken);
      if (claim.kind === "busy") return this.later(bullJob, token, Date.now() + busyDelayMs);
      if (claim.kind === "later") return this.later(bullJob, token, claim.runAfterMs);
      if (claim.kind === "cancel") {
        const record = await this.store.get(id);
        await this.store.settle(id, leaseToken, {
          state: "cancelled",
          outcome: cancelledOutcome(claim.reason),
          failures: record?.failures ?? 0,
          cancelReason: claim.reason,
        });
        return;
      }
      if (claim.kind === "skip") return;
      await this.runClaimed(claim.job, leaseToken, bullSignal);
      const after = await this.store.stateAfterRun(id);
      if (after.state === "queued") return this.later(bullJob, token, after.runAfterMs);
    } finally {
      this.perBucket.set(bucket, (this.perBucket.get(bucket) ?? 1) - 1);
    }
  }

  private async runClaimed(job: ClaimedRun["job"], leaseToken: string, bullSignal?: AbortSignal): Promise<void> {
    const controller = new AbortController();
    // BullMQ aborts its signal when it cannot renew the job lock: the lease is gone.
    bullSignal?.addEventListener("abort", () => this.abort(job.id, new LeaseLost(job.id)), { once: true });
    const { store } = this;
    const react = (result: SaveResult) => this.react(job.id, result);
    const run: ClaimedRun = {
      job,
      signal: controller.signal,
      async saveSteps(steps, progress) {
        const result = await store.saveSteps(job.id, leaseToken, steps, progress);
        await react(result);
        if (result === "lost") throw new LeaseLost(job.id);
      },
      async saveProgress(progress) {
        await react(await store.saveProgress(job.id, leaseToken, progress));
      },
      settle: (settlement) => store.settle(job.id, leaseToken, settlement),
    };
    this.log.info({ jobId: job.id, key: job.key, claims: job.claims, workerId: this.workerId }, "job claimed");
    const done = runClaimedJob(run, this.options, this.log);
    let forceRelease!: () => void;
    const forced = new Promise<void>((resolve) => (forceRelease = resolve));
    this.running.set(job.id, { controller, leaseToken, done, forceRelease });
    try {
      await Promise.race([done, forced]);
    } finally {
      this.running.delete(job.id);
    }
  }

  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const closing = this.bull.close();
    // Every wait is bounded: with Redis unreachable, commands wait for a reconnect that may never come,
    // and a worker that cannot stop cannot be restarted either. Unreleased jobs resume after their lease.
    const within = <T>(ms: number, work: Promise<T>) => Promise.race([work, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms).unref())]);
    if ((await within(graceMs, closing)) === "timeout") {
      for (const jobId of this.running.keys()) this.abort(jobId, new WorkerStopping());
      if ((await within(Math.min(5_000, Math.max(graceMs, 500)), closing)) === "timeout") {
        await within(5_000, this.releaseStuckJobs());
        if ((await within(5_000, closing)) === "timeout")
          await within(
            5_000,
            this.bull.close(true).catch(() => {}),
          );
      }
    }
    clearInterval(this.heartbeatTimer);
    if (
      (await within(
        1_000,
        this.subscriber.quit().catch(() => "failed"),
      )) !== "OK"
    )
      this.subscriber.disconnect();
  }

  /** Handlers that ignore their signal: put their jobs back anyway and let BullMQ's lock lapse. */
  private async releaseStuckJobs(): Promise<void> {
    for (const [jobId, job] of this.running) {
      this.log.warn({ jobId }, "job ignored its abort signal; releasing it anyway");
      const record = await this.store.get(jobId).catch(() => undefined);
      await this.store
        .settle(jobId, job.leaseToken, { state: "queued", runAfterMs: 0, failures: record?.failures ?? 0 })
        .catch((err) => this.log.error({ err, jobId }, "could not release a job; it resumes after its lease"));
      job.forceRelease();
    }
  }
}
