// The job store's contract, implemented by the embedded SQLite driver and the BullMQ/Redis driver.
// A job is keyed by repository and issue; each step's outcome is saved so a resumed job picks up
// at the step that was under way and never repeats a finished side effect.
import type { RepoRef } from "../forge/index.js";

export type JobTrigger = "label" | "retry" | "revise" | "review" | "update-branch" | "cli" | "poll";

export interface JobSpec {
  repo: RepoRef;
  issueNumber: number;
  installationId?: number;
  trigger: JobTrigger;
  requestedBy: string;
  /** The requester's numeric GitHub id, for the `Co-authored-by` noreply address GitHub attributes. */
  requestedById?: number;
  /** The issue's title when the job was requested, for the dashboard (hostile text: escape it). */
  issueTitle?: string;
  /** `/autofix revise <instructions>` text or a review's comments. */
  instructions?: string;
  /** The bot's PR, for revisions and branch updates. */
  prNumber?: number;
  /** GitHub's X-GitHub-Delivery; a redelivery with the same id creates nothing. */
  deliveryId?: string;
}

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface StepRecord {
  name: string;
  status: "running" | "done" | "failed";
  startedAt: string;
  finishedAt?: string;
  /** JSON-serializable output of a finished step, returned as-is on resume. */
  output?: unknown;
  /** Where a large output lives instead (a file under the data directory, see payloads.ts). */
  outputRef?: { sha256: string; bytes: number };
  error?: { code: string; message: string };
}

export type OutcomeKind =
  | "pr-opened"
  | "pr-updated"
  | "dry-run-passed"
  | "gates-failed"
  | "no-change"
  | "guard-refused"
  | "conflict"
  | "cancelled"
  | "limit-reached"
  | "config-invalid"
  | "error";

export interface JobOutcome {
  kind: OutcomeKind;
  /** What a person reads: what happened, why, what to do next. */
  message: string;
  prUrl?: string;
  prNumber?: number;
  branch?: string;
}

export interface JobRecord {
  id: string;
  /** "owner/repo#N": at most one queued or running job per key. */
  key: string;
  spec: JobSpec;
  state: JobState;
  /** How many times a worker claimed it (a crash shows as a second claim). */
  claims: number;
  /** Failed runs so far (for retry with backoff). */
  failures: number;
  steps: StepRecord[];
  outcome?: JobOutcome;
  error?: { code: string; message: string };
  cancelReason?: string;
  /** Free-form progress for the dashboard: current step, attempt, tokens, cost. */
  progress: {
    step?: string;
    attempt?: number;
    tokens?: number;
    costUsd?: number;
    /** The job's spend meter as last recorded, so a resumed job counts what it already spent. */
    spend?: { inputTokens: number; outputTokens: number; costUsd: number; costIncomplete: boolean; calls: number };
  };
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface JobContext {
  job: JobRecord;
  /** Aborted on cancel (label removed, superseded, `/autofix stop`), on lease loss and on shutdown. */
  signal: AbortSignal;
  /** Run `fn` once per job: a finished step returns its saved output without running again. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  progress(update: JobRecord["progress"]): Promise<void>;
}

export type JobHandler = (ctx: JobContext) => Promise<JobOutcome>;

export interface WorkerOptions {
  handler: JobHandler;
  workerId?: string;
  /** Jobs run at once by this worker. */
  concurrency: number;
  /** Jobs of one installation run at once by this worker, so one organisation cannot starve others. */
  perInstallation: number;
  leaseMs: number;
  /** Failed runs before a job is marked failed for good. */
  maxFailures: number;
  /** Called once a job is marked failed for good, to report it on its issue. */
  onGiveUp?: (job: JobRecord, error: Error) => Promise<void>;
  /** Delay before retry n is baseMs * 2^(n-1), capped at maxMs. Default 5 s, capped at 5 min. */
  retryBackoffMs?: { baseMs: number; maxMs: number };
  /** How often an idle worker looks for work when nothing wakes it. Default 500 ms. */
  pollIntervalMs?: number;
}

export interface Worker {
  /** Stop claiming, wait up to graceMs for running jobs, then release the rest for other workers. */
  stop(graceMs: number): Promise<void>;
}

export interface JobQueue {
  readonly driver: "sqlite" | "bullmq" | "memory";
  /** Supersedes a queued job with the same key and cancels a running one; dedupes by deliveryId. */
  enqueue(spec: JobSpec): Promise<{ job: JobRecord; created: boolean }>;
  cancel(key: string, reason: string): Promise<JobRecord | undefined>;
  get(id: string): Promise<JobRecord | undefined>;
  /** The newest job for an issue key, whatever its state. */
  latest(key: string): Promise<JobRecord | undefined>;
  list(filter?: { states?: JobState[]; limit?: number }): Promise<JobRecord[]>;
  /** Jobs created for a repository ("owner/repo") or an installation since a time, for daily quotas. */
  countSince(scope: { repo?: string } | { installationId?: number }, since: Date): Promise<number>;
  startWorker(options: WorkerOptions): Worker;
  /** A queued job waiting out a delay (JobDeferred) runs as soon as a worker is free; false when it is not waiting. */
  wake?(id: string): Promise<boolean>;
  /** Deletes jobs that ended before `before`, with their payload files; returns how many. */
  pruneFinished(before: Date): Promise<number>;
  /** What the store holds on disk (and in Redis), for `autofix doctor`. */
  usage(): Promise<StoreUsage>;
  /** Throws when the backend is unreachable (health checks). */
  ping(): Promise<void>;
  /** Webhook deliveries recorded before answering and decided after (absent: decide before answering). */
  readonly inbox?: Inbox;
  close(): Promise<void>;
}

export interface StoreUsage {
  jobs: number;
  /** The job records: the SQLite file with its WAL, or the job hashes in Redis. */
  recordBytes: number;
  /** Large step outputs kept as files under the data directory. */
  payloadFiles: number;
  payloadBytes: number;
}

export function jobKey(repo: RepoRef, issueNumber: number): string {
  return `${repo.owner}/${repo.repo}#${issueNumber}`;
}

/** A webhook delivery as received, kept until the app has decided what it means (see Inbox). */
export interface InboxEntry {
  /** GitHub's X-GitHub-Delivery. */
  id: string;
  /** The event name (`issues`, `issue_comment`); the action is in the payload. */
  name: string;
  /** What the delivery is about ("owner/repo#N"): records of one key are decided one at a time, in receipt order. */
  key: string;
  payload: unknown;
  receivedAt: string;
}

export interface InboxRecord extends InboxEntry {
  /** Receipt order across the store. */
  seq: number;
  /** Times a process took the record to decide it (recording counts as the first). */
  attempts: number;
}

/**
 * Deliveries recorded before the webhook is answered and decided after it. A record is held under a lease by
 * the process deciding it; a record whose lease lapsed (its process died) is taken by any process sweeping.
 * Records are deleted once decided, so the inbox holds only what is under way.
 */
export interface Inbox {
  /** Records the entry with `holder`'s lease; false when a record with its id is already there (a redelivery). */
  record(entry: InboxEntry, holder: string, leaseMs: number): Promise<boolean>;
  /** Takes up to `limit` records whose lease lapsed, oldest first, counting an attempt on each. */
  claimExpired(holder: string, leaseMs: number, limit: number): Promise<InboxRecord[]>;
  /** Extends `holder`'s leases on these records (a decision still under way). */
  renew(holder: string, ids: string[], leaseMs: number): Promise<void>;
  /** Gives these records up at once (a graceful stop), so the next process decides them without waiting. */
  release(holder: string, ids: string[]): Promise<void>;
  /** The record is decided: delete it. */
  settle(id: string): Promise<void>;
  /** What is waiting, for operators. */
  pending(): Promise<{ count: number; oldestReceivedAt?: string }>;
}

/** A payload larger than this is not recorded (GitHub's own cap is 25 MB; an issue event is a few KB). */
export const INBOX_MAX_PAYLOAD_BYTES = 1024 * 1024;
