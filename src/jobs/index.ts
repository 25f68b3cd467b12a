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
  settings: Pick<Settings, "AUTOFIX_DATA_DIR" | "REDIS_URL">,
  opts: JobQueueOptions = {},
): Promise<JobQueue> {
  const log = opts.log ?? silentLog;
  if (settings.REDIS_URL) {
    const { BullJobQueue } = await import("./bullmq/queue.js");
    return BullJobQueue.connect(settings.REDIS_URL, { log, prefix: opts.redisPrefix });
  }
  return SqliteJobQueue.open(settings.AUTOFIX_DATA_DIR, log);
}
export { ephemeralContext } from "./ephemeral.js";
export type { EphemeralContext } from "./ephemeral.js";
