// The embedded driver's worker: claims jobs from SQLite up to its concurrency and per-installation caps,
// renews their leases, notices cancels asked by any process, and releases unfinished jobs on shutdown.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { JobCancelled } from "../../errors.js";
import { DEFAULT_POLL_INTERVAL_MS, installationBucket, LeaseLost, WorkerStopping, type JobLog } from "../records.js";
import { runClaimedJob, type ClaimedRun } from "../runner.js";
import type { JobRecord, Worker, WorkerOptions } from "../types.js";
import type { SqliteJobStore } from "./store.js";

const PRUNE_INTERVAL_MS = 3_600_000;
/** Same retention as the Redis driver's delivery keys. */
const DELIVERY_RETENTION_MS = 30 * 24 * 3_600_000;

interface RunningJob {
  controller: AbortController;
  token: string;
  bucket: number;
  failures: number;
  done: Promise<void>;
}

/** In-process signals from the queue: "enqueued" (wake up) and "cancel" (job id, reason). */
export type QueueEvents = EventEmitter<{ enqueued: []; cancel: [jobId: string, reason: string] }>;

export class SqliteWorker implements Worker {
  private readonly running = new Map<string, RunningJob>();
  private readonly workerId: string;
  private stopping = false;
  private pollTimer: NodeJS.Timeout;
  private heartbeatTimer: NodeJS.Timeout;
  private pruneTimer: NodeJS.Timeout;
  private filling = false;
  private readonly onEnqueued = () => this.fill();
  private readonly onCancel = (jobId: string, reason: string) => this.abort(jobId, new JobCancelled(reason));

  constructor(
    private readonly store: SqliteJobStore,
    private readonly events: QueueEvents,
    private readonly options: WorkerOptions,
    private readonly log: JobLog,
    private readonly retentionMs?: number,
  ) {
    this.workerId = options.workerId ?? `worker-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.events.on("enqueued", this.onEnqueued);
    this.events.on("cancel", this.onCancel);
    this.pollTimer = setInterval(() => this.fill(), options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    // Renewal well inside the lease, and often enough that a cancel from another process lands quickly.
    const heartbeatMs = Math.max(50, Math.min(options.leaseMs / 3, 1_000));
    this.heartbeatTimer = setInterval(() => this.heartbeat(), heartbeatMs);
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS).unref();
    queueMicrotask(() => {
      this.prune();
      this.fill();
    });
  }

  private prune(): void {
    try {
      this.store.pruneDeliveries(Date.now() - DELIVERY_RETENTION_MS);
    } catch (err) {
      this.log.warn({ err }, "could not prune old delivery ids");
    }
    if (!this.retentionMs) return;
    try {
      const removed = this.store.pruneFinished(new Date(Date.now() - this.retentionMs).toISOString());
      if (removed.length > 0) this.log.info({ removed: removed.length }, "deleted jobs past their retention, with their payload files");
    } catch (err) {
      this.log.warn({ err }, "could not delete jobs past their retention");
    }
  }

  private abort(jobId: string, reason: Error): void {
    const job = this.running.get(jobId);
    if (job && !job.controller.signal.aborted) job.controller.abort(reason);
  }

  private saturatedBuckets(): number[] {
    const counts = new Map<number, number>();
    for (const job of this.running.values()) counts.set(job.bucket, (counts.get(job.bucket) ?? 0) + 1);
    return [...counts].filter(([, n]) => n >= this.options.perInstallation).map(([bucket]) => bucket);
  }

  private fill(): void {
    if (this.stopping || this.filling) return;
    this.filling = true;
    try {
      // Bounded by concurrency: each pass either starts a job or stops.
      while (!this.stopping && this.running.size < this.options.concurrency) {
        const claimed = this.store.claim(this.workerId, this.saturatedBuckets(), this.options.leaseMs);
        if (!claimed) break;
        this.launch(claimed.job, claimed.token);
      }
    } catch (err) {
      this.log.error({ err, workerId: this.workerId }, "claiming a job failed; retrying at the next poll");
    } finally {
      this.filling = false;
    }
    for (const job of this.store.takeGivenUp()) void this.reportGiveUp(job);
  }

  private async reportGiveUp(job: JobRecord): Promise<void> {
    try {
      await this.options.onGiveUp?.(job, new Error(job.error?.message ?? "the job's worker kept dying"));
    } catch (err) {
      this.log.error({ err, jobId: job.id }, "onGiveUp failed");
    }
  }

  private launch(job: ClaimedRun["job"], token: string): void {
    const controller = new AbortController();
    const { store } = this;
    const run: ClaimedRun = {
      job,
      signal: controller.signal,
      async saveSteps(steps, progress) {
        if (!store.saveSteps(job.id, token, steps, progress)) {
          controller.abort(new LeaseLost(job.id));
          throw new LeaseLost(job.id);
        }
      },
      async saveProgress(progress) {
        if (!store.saveProgress(job.id, token, progress)) controller.abort(new LeaseLost(job.id));
      },
      async settle(settlement) {
        return store.settle(job.id, token, settlement);
      },
    };
    this.log.info({ jobId: job.id, key: job.key, claims: job.claims, workerId: this.workerId }, "job claimed");
    const done = runClaimedJob(run, this.options, this.log)
      .catch((err) => this.log.error({ err, jobId: job.id }, "job runner failed"))
      .finally(() => {
        this.running.delete(job.id);
        this.fill();
      });
    this.running.set(job.id, { controller, token, bucket: installationBucket(job.spec), failures: job.failures, done });
  }

  private heartbeat(): void {
    for (const [jobId, job] of this.running) {
      try {
        const beat = this.store.heartbeat(jobId, job.token, this.options.leaseMs);
        if (beat.kind === "lost") this.abort(jobId, new LeaseLost(jobId));
        else if (beat.kind === "cancel") this.abort(jobId, new JobCancelled(beat.reason));
      } catch (err) {
        this.log.warn({ err, jobId }, "lease renewal failed; retrying at the next heartbeat");
      }
    }
  }

  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.pollTimer);
    clearInterval(this.pruneTimer);
    this.events.off("enqueued", this.onEnqueued);
    const all = () => Promise.all([...this.running.values()].map((j) => j.done));
    const timeout = (ms: number) => new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms).unref());
    if ((await Promise.race([all(), timeout(graceMs)])) === "timeout") {
      for (const jobId of this.running.keys()) this.abort(jobId, new WorkerStopping());
      // A handler that ignores its signal is released anyway, so another worker can resume it.
      if ((await Promise.race([all(), timeout(Math.min(5_000, Math.max(graceMs, 500)))])) === "timeout") {
        for (const [jobId, job] of this.running) {
          this.log.warn({ jobId }, "job ignored its abort signal; releasing it anyway");
          try {
            this.store.settle(jobId, job.token, { state: "queued", runAfterMs: 0, failures: job.failures });
          } catch (err) {
            this.log.error({ err, jobId }, "could not release a job; its lease will expire instead");
          }
        }
      }
    }
    clearInterval(this.heartbeatTimer);
    this.events.off("cancel", this.onCancel);
  }
}
