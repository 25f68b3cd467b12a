// The scale-out JobQueue: BullMQ on Redis delivers jobs to any number of `autofix worker` processes;
// the webhook server only enqueues. Records live in Redis, so every process can read them.
import { tmpdir } from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { silentLog, storageUnavailable, type JobLog } from "../records.js";
import type { Inbox, JobQueue, JobRecord, JobSpec, JobState, StoreUsage, Worker, WorkerOptions } from "../types.js";
import { payloadStoreFor } from "../payloads.js";
import { RedisJobStore } from "./store.js";
import { BullWorker, type BullWorkerConfig } from "./worker.js";
import { RedisInbox } from "./inbox.js";

export const QUEUE_NAME = "autofix-jobs";
const PING_TIMEOUT_MS = 3_000;
const ORPHAN_CHECK_INTERVAL_MS = 5 * 60_000;

/** Retries here cover only infrastructure errors of the processor; job retries are the runner's (DelayedError). */
const DELIVERY_OPTIONS = (jobId: string) => ({
  jobId,
  removeOnComplete: true,
  removeOnFail: 1_000,
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
});

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

async function pingWithin(redis: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class BullJobQueue implements JobQueue {
  readonly driver = "bullmq" as const;
  private readonly workers = new Set<BullWorker>();
  readonly inbox: Inbox;

  private constructor(
    private readonly redis: Redis,
    private readonly queue: Queue,
    readonly store: RedisJobStore,
    private readonly prefix: string,
    private readonly log: JobLog,
    private readonly workerConfig: Partial<BullWorkerConfig>,
    private readonly retentionMs?: number,
  ) {
    this.inbox = new RedisInbox(redis, prefix);
  }

  static async connect(
    url: string,
    opts: {
      log?: JobLog;
      prefix?: string;
      worker?: Pick<BullWorkerConfig, "busyDelayMs" | "maxStalledCount">;
      /** Large step outputs are kept as files here (this machine's disk); default: the system temp dir. */
      dataDir?: string;
      /** Workers delete jobs that ended longer ago than this. */
      retentionMs?: number;
    } = {},
  ): Promise<BullJobQueue> {
    const log = opts.log ?? silentLog;
    const prefix = opts.prefix ?? "autofix";
    // BullMQ requires maxRetriesPerRequest: null on connections its workers block on.
    const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
    redis.on("error", (err) => log.warn({ err: err.message }, "Redis connection error"));
    try {
      await redis.connect();
      await pingWithin(redis, PING_TIMEOUT_MS);
    } catch (err) {
      redis.disconnect();
      throw storageUnavailable("bullmq", `Redis at ${redact(url)} did not answer (${(err as Error).message}).`, err);
    }
    const queue = new Queue(QUEUE_NAME, { connection: redis, prefix });
    queue.on("error", (err) => log.warn({ err: err.message }, "BullMQ queue error"));
    const payloads = payloadStoreFor(opts.dataDir ?? path.join(tmpdir(), "autofix-data"));
    return new BullJobQueue(redis, queue, new RedisJobStore(redis, prefix, log, payloads), prefix, log, opts.worker ?? {}, opts.retentionMs);
  }

  async enqueue(spec: JobSpec): Promise<{ job: JobRecord; created: boolean }> {
    const { job, created, superseded } = await this.store.enqueue(spec);
    if (!created) return { job, created };
    // If the process dies between the record and this add, the record stays queued without a delivery;
    // workers re-offer such jobs (redeliverOrphans) at start and every few minutes.
    await this.queue.add("job", { id: job.id }, DELIVERY_OPTIONS(job.id));
    if (superseded?.state === "queued") await this.queue.remove(superseded.id).catch(() => 0);
    this.log.info({ jobId: job.id, key: job.key, trigger: spec.trigger }, "job enqueued");
    return { job, created };
  }

  async cancel(key: string, reason: string): Promise<JobRecord | undefined> {
    const { record, wasState } = await this.store.cancel(key, reason);
    if (record && wasState === "queued") await this.queue.remove(record.id).catch(() => 0);
    return record;
  }

  async wake(id: string): Promise<boolean> {
    if (!(await this.store.wake(id))) return false;
    const delivery = await this.queue.getJob(id);
    // Not delayed (already waiting or active): nothing to promote.
    await delivery?.promote().catch(() => undefined);
    return true;
  }

  get(id: string): Promise<JobRecord | undefined> {
    return this.store.get(id);
  }

  latest(key: string): Promise<JobRecord | undefined> {
    return this.store.latest(key);
  }

  list(filter: { states?: JobState[]; limit?: number } = {}): Promise<JobRecord[]> {
    return this.store.list(filter.states, filter.limit ?? 100);
  }

  countSince(scope: { repo?: string } | { installationId?: number }, since: Date): Promise<number> {
    return this.store.countSince(scope, since.getTime());
  }

  /**
   * Queued records whose BullMQ job is missing (the enqueuing process died between the two writes) are offered
   * again. Only records older than `minAgeMs`, so an enqueue still in flight elsewhere is not raced.
   */
  async redeliverOrphans(minAgeMs = 30_000): Promise<number> {
    const cutoffMs = Date.now() - minAgeMs;
    const queued = (await this.store.list(["queued"], 10_000)).filter((j) => Date.parse(j.createdAt) <= cutoffMs);
    if (queued.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const job of queued) pipeline.exists(this.queue.toKey(job.id));
    const exists = ((await pipeline.exec()) ?? []).map(([, n]) => Number(n));
    let offered = 0;
    for (const [i, job] of queued.entries()) {
      if (exists[i]) continue;
      await this.queue.add("job", { id: job.id }, DELIVERY_OPTIONS(job.id));
      offered++;
    }
    if (offered > 0) this.log.warn({ offered }, "re-offered queued jobs that had no delivery");
    return offered;
  }

  startWorker(options: WorkerOptions): Worker {
    const worker = new BullWorker(this.store, { queueName: QUEUE_NAME, prefix: this.prefix, redis: this.redis, ...this.workerConfig }, options, this.log);
    this.workers.add(worker);
    const checkOrphans = () => {
      void this.redeliverOrphans().catch((err) => this.log.warn({ err }, "could not check for undelivered jobs"));
      if (this.retentionMs) {
        void this.pruneFinished(new Date(Date.now() - this.retentionMs))
          .then((removed) => removed > 0 && this.log.info({ removed }, "deleted jobs past their retention, with their payload files"))
          .catch((err) => this.log.warn({ err }, "could not delete jobs past their retention"));
      }
    };
    checkOrphans();
    const orphanTimer = setInterval(checkOrphans, ORPHAN_CHECK_INTERVAL_MS).unref();
    return {
      stop: async (graceMs: number) => {
        clearInterval(orphanTimer);
        await worker.stop(graceMs);
        this.workers.delete(worker);
      },
    };
  }

  async pruneFinished(before: Date): Promise<number> {
    return this.store.pruneFinished(before.toISOString());
  }

  async usage(): Promise<StoreUsage> {
    const { jobs, recordBytes } = await this.store.usage();
    const payloads = this.store.payloads.usage();
    return { jobs, recordBytes, payloadFiles: payloads.files, payloadBytes: payloads.bytes };
  }

  async ping(): Promise<void> {
    try {
      await pingWithin(this.redis, PING_TIMEOUT_MS);
    } catch (err) {
      throw storageUnavailable("bullmq", `Redis did not answer (${(err as Error).message}).`, err);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.stop(0)));
    this.workers.clear();
    // Bounded like a worker's stop: an unreachable Redis must not keep the process from exiting.
    const within = (ms: number, work: Promise<unknown>) =>
      Promise.race([work.catch(() => "failed"), new Promise((r) => setTimeout(() => r("timeout"), ms).unref())]);
    await within(2_000, this.queue.close());
    if ((await within(1_000, this.redis.quit())) !== "OK") this.redis.disconnect();
  }
}
