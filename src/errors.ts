// Errors are data: a stable code for callers to branch on, and the three parts a person needs
// (what happened, why, what to do next). One presenter (src/app/present.ts) renders them.

export interface Explanation {
  /** What happened, in one sentence, without jargon. */
  what: string;
  /** Why it happened: the rule, limit or input that caused it. */
  why: string;
  /** What the reader can do next. */
  next: string;
}

export class AutofixError extends Error {
  readonly code: string;
  readonly explanation: Explanation;
  /** Whether retrying the same job later may succeed (infrastructure), or never will (input, policy). */
  readonly retryable: boolean;
  readonly data: Record<string, unknown>;

  constructor(code: string, explanation: Explanation, options: { retryable?: boolean; data?: Record<string, unknown>; cause?: unknown } = {}) {
    super(`${explanation.what} ${explanation.why} ${explanation.next}`.trim(), { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.explanation = explanation;
    this.retryable = options.retryable ?? false;
    this.data = options.data ?? {};
  }
}

export function isAutofixError(err: unknown): err is AutofixError {
  return err instanceof AutofixError;
}

/**
 * Why a job's signal was aborted, as a kind rather than text: a shutdown (the job goes back to the queue),
 * a lost lease (another worker has it), a cancel asked by a person or a trigger, or a time limit.
 */
export type CancelKind = "shutdown" | "lease-lost" | "cancel" | "timeout";

/** Thrown when a job is cancelled (label removed, issue closed, `/autofix stop`, superseded) or timed out. */
export class JobCancelled extends AutofixError {
  readonly kind: "cancel" | "timeout";

  constructor(reason: string, kind: "cancel" | "timeout" = "cancel") {
    super(
      "JOB_CANCELLED",
      {
        what: kind === "timeout" ? "The job ran out of time." : "The job was cancelled.",
        why: reason,
        next: "Add the label again or comment `/autofix retry` to start a new attempt.",
      },
      { data: { reason, kind } },
    );
    this.kind = kind;
  }
}

/** The kind of an abort reason; undefined when the signal was not aborted. A plain string counts as a cancel. */
export function cancelKindOf(signal: AbortSignal): CancelKind | undefined {
  if (!signal.aborted) return undefined;
  const reason: unknown = signal.reason;
  if (reason instanceof JobCancelled) return reason.kind;
  if (reason instanceof AutofixError) {
    // Stable codes of the job drivers' reasons (src/jobs/records.ts), never their message text.
    if (reason.code === "JOB_RELEASED") return "shutdown";
    if (reason.code === "JOB_LEASE_LOST") return "lease-lost";
  }
  if (reason instanceof Error && reason.name === "TimeoutError") return "timeout";
  return "cancel";
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason = signal.reason;
  if (reason instanceof AutofixError) throw reason;
  throw new JobCancelled(typeof reason === "string" ? reason : "the job was stopped");
}
