// Entry of the jobs room: picks the driver from the settings (SQLite unless REDIS_URL is set).
import type { Settings } from "../settings.js";
import { silentLog, type JobLog } from "./records.js";
import { SqliteJobQueue } from "./sqlite/queue.js";
import type { JobQueue } from "./types.js";

export { installSignalHandlers } from "./signals.js";
export { SUPERSEDED_REASON, JobDeferred, type JobLog } from "./records.js";
export * from "./types.js";

export interface JobQueueOptions {
  log?: JobLog;
  /** Key prefix for Redis (BullMQ queue and job records); lets several deployments or tests share a server. */
  redisPrefix?: string;
}

export async function createJobQueue(
  settings: Pick<Settings, "AUTOFIX_DATA_DIR" | "REDIS_URL"> & Partial<Pick<Settings, "AUTOFIX_JOB_RETENTION_DAYS">>,
  opts: JobQueueOptions = {},
): Promise<JobQueue> {
  const log = opts.log ?? silentLog;
  const days = settings.AUTOFIX_JOB_RETENTION_DAYS;
  const retentionMs = days ? days * 24 * 3_600_000 : undefined;
  if (settings.REDIS_URL) {
    const { BullJobQueue } = await import("./bullmq/queue.js");
    return BullJobQueue.connect(settings.REDIS_URL, { log, prefix: opts.redisPrefix, dataDir: settings.AUTOFIX_DATA_DIR, retentionMs });
  }
  return SqliteJobQueue.open(settings.AUTOFIX_DATA_DIR, log, { retentionMs });
}
export { ephemeralContext } from "./ephemeral.js";
export type { EphemeralContext } from "./ephemeral.js";
