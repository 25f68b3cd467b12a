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

  constructor(
    code: string,
    explanation: Explanation,
    options: { retryable?: boolean; data?: Record<string, unknown>; cause?: unknown } = {},
  ) {
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

/** Thrown when a job is cancelled (label removed, issue closed, `/autofix stop`, superseded). */
export class JobCancelled extends AutofixError {
  constructor(reason: string) {
    super(
      "JOB_CANCELLED",
      {
        what: "The job was cancelled.",
        why: reason,
        next: "Add the label again or comment `/autofix retry` to start a new attempt.",
      },
      { data: { reason } },
    );
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason = signal.reason;
  if (reason instanceof AutofixError) throw reason;
  throw new JobCancelled(typeof reason === "string" ? reason : "the job was stopped");
}
