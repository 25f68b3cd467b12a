// Runs one claimed job, whichever driver claimed it: memoized steps, progress, and the decision of what
// the job becomes afterwards (done, cancelled, retried with backoff, failed for good, or released).
import { isAutofixError, JobCancelled, throwIfAborted } from "../errors.js";
import {
  backoffMs,
  cancelledOutcome,
  DEFAULT_BACKOFF_MS,
  errorRecord,
  failedOutcome,
  JobDeferred,
  LeaseLost,
  toError,
  WorkerStopping,
  type JobLog,
} from "./records.js";
import { outputLost } from "./payloads.js";
import type { JobContext, JobOutcome, JobRecord, JobState, StepRecord, WorkerOptions } from "./types.js";

/** What the job becomes when a run ends; written only while the run still holds its lease. */
export type Settlement =
  | {
      state: Exclude<JobState, "queued" | "running">;
      outcome: JobOutcome;
      failures: number;
      error?: { code: string; message: string };
      cancelReason?: string;
    }
  | { state: "queued"; runAfterMs: number; failures: number; error?: { code: string; message: string } };

/** The driver's side of a claimed job: every write is fenced by the claim's lease token. */
export interface ClaimedRun {
  job: JobRecord;
  signal: AbortSignal;
  /** Saves the step records and the progress (its `step` names the step under way). Throws LeaseLost when
   * another worker holds the job now. */
  saveSteps(steps: StepRecord[], progress: JobRecord["progress"]): Promise<void>;
  saveProgress(progress: JobRecord["progress"]): Promise<void>;
  /** False when the lease was lost (nothing written). */
  settle(settlement: Settlement): Promise<boolean>;
}

type RunOptions = Pick<WorkerOptions, "handler" | "maxFailures" | "onGiveUp" | "retryBackoffMs">;

function upsertStep(steps: StepRecord[], step: StepRecord): void {
  const at = steps.findIndex((s) => s.name === step.name);
  if (at === -1) steps.push(step);
  else steps[at] = step;
}

/** Outputs go through JSON on the first run too, so a resumed run sees exactly what a fresh run saw. */
function asSaved<T>(value: T): T {
  if (value === undefined) return value;
  return JSON.parse(JSON.stringify(value)) as T;
}

function buildContext(run: ClaimedRun): JobContext {
  const { job, signal } = run;
  const steps = job.steps;
  let writes: Promise<void> = Promise.resolve();
  // Writes of one job are serialized so a later step record never lands before an earlier one.
  const save = (): Promise<void> => {
    const snapshot = steps.map((s) => ({ ...s }));
    const progress = { ...job.progress };
    writes = writes.catch(() => {}).then(() => run.saveSteps(snapshot, progress));
    return writes;
  };
  return {
    job,
    signal,
    async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
      // A step whose output file is gone runs again, like one that never finished.
      const saved = steps.find((s) => s.name === name && s.status === "done" && !outputLost(s));
      if (saved) return saved.output as T;
      throwIfAborted(signal);
      const startedAt = new Date().toISOString();
      upsertStep(steps, { name, status: "running", startedAt });
      job.progress = { ...job.progress, step: name };
      await save();
      let output: T;
      try {
        output = asSaved(await fn());
      } catch (thrown) {
        const err = toError(thrown);
        // A step interrupted by shutdown stays "running": it was under way, and the next worker re-runs it.
        if (signal.aborted && signal.reason instanceof WorkerStopping) throw thrown;
        upsertStep(steps, {
          name,
          status: "failed",
          startedAt,
          finishedAt: new Date().toISOString(),
          error: errorRecord(err),
        });
        await save().catch(() => {});
        throw thrown;
      }
      // Recorded even when cancelled meanwhile: the side effect happened and must not be redone.
      upsertStep(steps, { name, status: "done", startedAt, finishedAt: new Date().toISOString(), output });
      await save();
      return output;
    },
    async progress(update) {
      job.progress = { ...job.progress, ...update };
      await run.saveProgress(job.progress);
    },
  };
}

function settlementFor(job: JobRecord, outcome: JobOutcome): Settlement {
  if (outcome.kind === "cancelled") {
    return { state: "cancelled", outcome, failures: job.failures, cancelReason: job.cancelReason };
  }
  if (outcome.kind === "error") {
    return { state: "failed", outcome, failures: job.failures };
  }
  return { state: "succeeded", outcome, failures: job.failures };
}

function settlementForError(job: JobRecord, err: Error, options: RunOptions, signal: AbortSignal): Settlement | "lost" {
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof LeaseLost || err instanceof LeaseLost) return "lost";
  if (reason instanceof WorkerStopping) return { state: "queued", runAfterMs: 0, failures: job.failures };
  const cancel = reason instanceof JobCancelled ? reason : err instanceof JobCancelled ? err : undefined;
  if (cancel) {
    const why = String(cancel.data.reason ?? "the job was stopped");
    return { state: "cancelled", outcome: cancelledOutcome(why), failures: job.failures, cancelReason: why };
  }
  if (err instanceof JobDeferred) return { state: "queued", runAfterMs: Date.now() + err.delayMs, failures: job.failures };
  const failures = job.failures + 1;
  const error = errorRecord(err);
  const retryable = !isAutofixError(err) || err.retryable;
  if (!retryable || failures >= options.maxFailures) {
    return { state: "failed", outcome: failedOutcome(err, failures), failures, error };
  }
  const delayMs = backoffMs(failures, options.retryBackoffMs ?? DEFAULT_BACKOFF_MS);
  return { state: "queued", runAfterMs: Date.now() + delayMs, failures, error };
}

/** Runs the handler and settles the job. Never throws: bad state is logged and the worker goes on. */
export async function runClaimedJob(run: ClaimedRun, options: RunOptions, log: JobLog): Promise<void> {
  const { job } = run;
  const jobLog = { jobId: job.id, key: job.key, claims: job.claims };
  let settlement: Settlement | "lost";
  let failure: Error | undefined;
  try {
    const outcome = await options.handler(buildContext(run));
    settlement = settlementFor(job, outcome);
  } catch (thrown) {
    failure = toError(thrown);
    settlement = settlementForError(job, failure, options, run.signal);
  }
  if (settlement === "lost") {
    log.warn(jobLog, "job lease lost; another worker resumes it");
    return;
  }
  let written: boolean;
  try {
    written = await run.settle(settlement);
  } catch (err) {
    log.error({ ...jobLog, err }, "could not record the end of a job; its lease will expire and it will be resumed");
    return;
  }
  if (!written) {
    log.warn({ ...jobLog, state: settlement.state }, "job lease lost before settling; nothing written");
    return;
  }
  const level = settlement.state === "failed" ? "error" : settlement.state === "queued" && failure && !(failure instanceof JobDeferred) ? "warn" : "info";
  log[level]({ ...jobLog, state: settlement.state, err: failure }, `job ${settlement.state}`);
  // A handler that returned an "error" outcome has reported it itself; onGiveUp is for thrown failures.
  if (settlement.state === "failed" && failure && options.onGiveUp) {
    const finished: JobRecord = {
      ...job,
      state: "failed",
      failures: settlement.failures,
      outcome: settlement.outcome,
      error: settlement.error,
      finishedAt: new Date().toISOString(),
    };
    try {
      await options.onGiveUp(finished, failure);
    } catch (err) {
      log.error({ ...jobLog, err }, "onGiveUp failed");
    }
  }
}
