// Shared vocabulary of both job drivers: ids, abort reasons, error records, outcomes, backoff.
import { randomBytes } from "node:crypto";
import { AutofixError, isAutofixError } from "../errors.js";
import type { JobOutcome, JobRecord, JobSpec } from "./types.js";

/** The subset of pino both drivers log through (Probot's `app.log` fits). */
export interface JobLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: JobLog = { debug() {}, info() {}, warn() {}, error() {} };

export const SUPERSEDED_REASON = "superseded by a newer trigger";
export const DEFAULT_BACKOFF_MS = { baseMs: 5_000, maxMs: 300_000 };
export const DEFAULT_POLL_INTERVAL_MS = 500;
/** A job whose worker died this many times (leases expired) is failed instead of crashing workers forever. */
export const MAX_LEASE_EXPIRIES = 10;

export function workerDiedOutcome(times: number): JobOutcome {
  return {
    kind: "error",
    message: `The job stopped its worker ${times} times (crash, out of memory, or killed) and was given up. Comment \`/autofix retry\` to try again.`,
  };
}

/** Sortable by creation time, safe as a BullMQ job id (no ':'), a file name and a URL segment. */
export function newJobId(nowMs = Date.now()): string {
  return `${nowMs.toString(36).padStart(9, "0")}-${randomBytes(6).toString("hex")}`;
}

export function newLeaseToken(): string {
  return randomBytes(12).toString("hex");
}

export function backoffMs(failures: number, backoff = DEFAULT_BACKOFF_MS): number {
  const exponent = Math.max(0, failures - 1);
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(exponent, 30));
}

/** Jobs without an installation (CLI runs) share one bucket for the per-installation cap. */
export function installationBucket(spec: JobSpec): number {
  return spec.installationId ?? -1;
}

/** Why a worker stopped a job on shutdown: not a failure, the job goes back to the queue. */
export class WorkerStopping extends AutofixError {
  constructor() {
    super(
      "JOB_RELEASED",
      {
        what: "The worker running this job is shutting down.",
        why: "The job did not finish within the shutdown grace period.",
        next: "Nothing: the job was put back in the queue and another worker resumes it at the step under way.",
      },
      { retryable: true },
    );
  }
}

/**
 * Thrown by a job that waits on something outside (the repository's CI): the job goes back to the queue
 * until `delayMs` has passed (or a webhook wakes it), without holding a worker or counting as a failure.
 * Its finished steps are kept, so the next claim replays them and resumes the wait.
 */
export class JobDeferred extends AutofixError {
  constructor(
    readonly delayMs: number,
    waitingFor: string,
  ) {
    super(
      "JOB_DEFERRED",
      {
        what: `The job is waiting for ${waitingFor}.`,
        why: "Waiting must not hold a worker.",
        next: "Nothing: the job resumes when it is woken or its wait is over.",
      },
      { retryable: true, data: { delayMs } },
    );
  }
}

/** Why a worker stopped a job whose lease another worker has taken over. */
export class LeaseLost extends AutofixError {
  constructor(jobId: string) {
    super(
      "JOB_LEASE_LOST",
      {
        what: "This worker lost its lease on the job.",
        why: "It did not renew the lease in time (a stall or a lost connection), so another worker took the job over.",
        next: "Nothing: the other worker resumes the job; this one stops without writing.",
      },
      { retryable: true, data: { jobId } },
    );
  }
}

export function storageUnavailable(driver: string, detail: string, cause?: unknown): AutofixError {
  return new AutofixError(
    "JOB_STORE_UNAVAILABLE",
    {
      what: `The job store (${driver}) cannot be used.`,
      why: detail,
      next:
        driver === "sqlite"
          ? "Point AUTOFIX_DATA_DIR at a writable directory, or set REDIS_URL to use Redis instead."
          : "Check that REDIS_URL points at a running Redis server reachable from this machine.",
    },
    { retryable: true, cause },
  );
}

/** Handlers may throw anything: strings, objects, undefined. Make it an Error to record and report. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === "string") return new Error(thrown);
  let text: string;
  try {
    text = JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  return new Error(`non-Error value thrown: ${text}`);
}

export function errorRecord(err: Error): { code: string; message: string } {
  const code = isAutofixError(err)
    ? err.code
    : typeof (err as { code?: unknown }).code === "string"
      ? String((err as { code?: unknown }).code)
      : "UNEXPECTED_ERROR";
  return { code, message: err.message.slice(0, 4_000) };
}

export function cancelledOutcome(reason: string): JobOutcome {
  return {
    kind: "cancelled",
    message: `The job was cancelled: ${reason}. Add the label again or comment \`/autofix retry\` to start a new attempt.`,
  };
}

export function failedOutcome(err: Error, failures: number): JobOutcome {
  if (isAutofixError(err) && !err.retryable) return { kind: "error", message: err.message };
  const tries = failures === 1 ? "once" : `${failures} times`;
  return {
    kind: "error",
    message: `The job failed: ${err.message} It was tried ${tries}. Comment \`/autofix retry\` to try again.`,
  };
}

export function newRecord(id: string, key: string, spec: JobSpec, nowIso: string): JobRecord {
  return {
    id,
    key,
    spec,
    state: "queued",
    claims: 0,
    failures: 0,
    steps: [],
    progress: {},
    createdAt: nowIso,
    updatedAt: nowIso,
  };
}

/** What a damaged stored job reads as: failed, with why, so operators see it and the worker goes on. */
export function corruptRecord(id: string, key: string, createdAt: string | undefined, err: unknown): JobRecord {
  const match = /^([^/]+)\/(.+)#(\d+)$/.exec(key);
  const spec: JobSpec = {
    repo: { owner: match?.[1] ?? "", repo: match?.[2] ?? "" },
    issueNumber: Number(match?.[3] ?? 0),
    trigger: "cli",
    requestedBy: "",
  };
  return {
    ...newRecord(id, key, spec, createdAt ?? new Date().toISOString()),
    state: "failed",
    error: { code: "JOB_RECORD_CORRUPT", message: err instanceof Error ? err.message : String(err) },
  };
}
