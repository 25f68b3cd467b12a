// The embedded JobQueue: one SQLite file (WAL) shared by the app and any `autofix worker` on the same machine.
import { EventEmitter } from "node:events";
import { mkdirSync, accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";
import { silentLog, storageUnavailable, type JobLog } from "../records.js";
import type { Inbox, JobQueue, JobRecord, JobSpec, JobState, StoreUsage, Worker, WorkerOptions } from "../types.js";
import { payloadStoreFor } from "../payloads.js";
import { SqliteJobStore } from "./store.js";
import { SqliteWorker, type QueueEvents } from "./worker.js";
import { SqliteInbox } from "./inbox.js";

export const SQLITE_FILE_NAME = "autofix.db";

export class SqliteJobQueue implements JobQueue {
  readonly driver = "sqlite" as const;
  private readonly events: QueueEvents = new EventEmitter();
  private readonly workers = new Set<SqliteWorker>();
  readonly inbox: Inbox & { close(): Promise<void> };

  private constructor(
    readonly store: SqliteJobStore,
    private readonly log: JobLog,
    private readonly retentionMs?: number,
  ) {
    this.events.setMaxListeners(0);
    this.inbox = new SqliteInbox(store.db);
  }

  /** Opens (creating if needed) `<dataDir>/autofix.db`; workers delete jobs that ended over `retentionMs` ago. */
  static open(dataDir: string, log: JobLog = silentLog, opts: { retentionMs?: number } = {}): SqliteJobQueue {
    try {
      mkdirSync(dataDir, { recursive: true });
      accessSync(dataDir, constants.W_OK);
    } catch (err) {
      throw storageUnavailable("sqlite", `The data directory ${dataDir} cannot be created or written to (${(err as Error).message}).`, err);
    }
    let store: SqliteJobStore;
    try {
      store = new SqliteJobStore(join(dataDir, SQLITE_FILE_NAME), log, payloadStoreFor(dataDir));
    } catch (err) {
      throw storageUnavailable("sqlite", `The database ${join(dataDir, SQLITE_FILE_NAME)} cannot be opened (${(err as Error).message}).`, err);
    }
    return new SqliteJobQueue(store, log, opts.retentionMs);
  }

  async enqueue(spec: JobSpec): Promise<{ job: JobRecord; created: boolean }> {
    const { job, created, runningId } = this.store.enqueue(spec);
    if (runningId) this.events.emit("cancel", runningId, job.cancelReason ?? "superseded by a newer trigger");
    if (created) {
      this.log.info({ jobId: job.id, key: job.key, trigger: spec.trigger }, "job enqueued");
      this.events.emit("enqueued");
    }
    return { job, created };
  }

  async cancel(key: string, reason: string): Promise<JobRecord | undefined> {
    const { record, runningId } = this.store.cancel(key, reason);
    if (runningId) this.events.emit("cancel", runningId, reason);
    return record;
  }

  async wake(id: string): Promise<boolean> {
    const woken = this.store.wake(id);
    if (woken) this.events.emit("enqueued");
    return woken;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.store.get(id);
  }

  async latest(key: string): Promise<JobRecord | undefined> {
    return this.store.latest(key);
  }

  async list(filter: { states?: JobState[]; limit?: number } = {}): Promise<JobRecord[]> {
    return this.store.list(filter.states, filter.limit ?? 100);
  }

  async countSince(scope: { repo?: string } | { installationId?: number }, since: Date): Promise<number> {
    return this.store.countSince(scope, since.getTime());
  }

  startWorker(options: WorkerOptions): Worker {
    const worker = new SqliteWorker(this.store, this.events, options, this.log, this.retentionMs);
    this.workers.add(worker);
    return {
      stop: async (graceMs: number) => {
        await worker.stop(graceMs);
        this.workers.delete(worker);
      },
    };
  }

  async pruneFinished(before: Date): Promise<number> {
    const removed = this.store.pruneFinished(before.toISOString()).length;
    this.store.payloads.removeOrphans((id) => this.store.hasJob(id));
    return removed;
  }

  async usage(): Promise<StoreUsage> {
    const size = (file: string) => {
      try {
        return statSync(file).size;
      } catch {
        return 0;
      }
    };
    const payloads = this.store.payloads.usage();
    const recordBytes = ["", "-wal", "-shm"].reduce((sum, suffix) => sum + size(`${this.store.path}${suffix}`), 0);
    return { jobs: this.store.count(), recordBytes, payloadFiles: payloads.files, payloadBytes: payloads.bytes };
  }

  async ping(): Promise<void> {
    try {
      this.store.db.prepare("SELECT 1").get();
    } catch (err) {
      throw storageUnavailable("sqlite", `The database does not answer (${(err as Error).message}).`, err);
    }
  }

  /** Stops this process's workers (releasing their jobs at once) and closes the file. */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.stop(0)));
    this.workers.clear();
    await this.inbox.close();
    this.store.close();
  }
}
