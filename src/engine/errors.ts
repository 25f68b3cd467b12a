// The engine's failures as data: each names what happened, why, and what a maintainer can do next.
import { AutofixError } from "../errors.js";

/** The spawn's marker is missing or no longer matches the job: something other than the engine touched it. */
export class SpawnTampered extends AutofixError {
  constructor(dir: string, detail: string) {
    super(
      "SPAWN_TAMPERED",
      {
        what: `The working copy at ${dir} is not the one autofix prepared for this job.`,
        why: detail,
        next: "Retry the job: autofix will prepare a fresh working copy. If it happens again, check what else writes into the work directory.",
      },
      { data: { dir, detail } },
    );
  }
}

/** The base branch or commit could not be found in the repository. */
export class BaseNotFound extends AutofixError {
  constructor(baseRef: string, cause?: unknown) {
    super(
      "BASE_NOT_FOUND",
      {
        what: `The base \`${baseRef}\` could not be found in the repository.`,
        why: "The branch may have been deleted or renamed, or the commit is not reachable from any branch.",
        next: "Check the base branch in .github/autofix.yml (or the CLI flag) and retry.",
      },
      { data: { baseRef }, cause },
    );
  }
}

/** Talking to the git host failed (network, auth, server error): usually worth retrying. */
export class GitTransportFailed extends AutofixError {
  constructor(operation: string, url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      "GIT_TRANSPORT_FAILED",
      {
        what: `Could not ${operation} ${redactUrl(url)}.`,
        why: reason,
        next: "Check that the app is installed on the repository and the host is reachable; the job will be retried.",
      },
      { retryable: true, data: { operation, url: redactUrl(url) }, cause },
    );
  }
}

/** Another job held the object cache lock for too long. */
export class CacheBusy extends AutofixError {
  constructor(lockPath: string, waitedMs: number) {
    super(
      "CACHE_BUSY",
      {
        what: "The repository's object cache stayed locked by another job.",
        why: `The lock ${lockPath} was held for more than ${Math.round(waitedMs / 1000)} s.`,
        next: "The job will be retried; if this repeats, remove the lock file after making sure no worker is fetching.",
      },
      { retryable: true, data: { lockPath, waitedMs } },
    );
  }
}

/** The agent's change cannot be applied onto the branch's current head without guessing. */
export class MergeConflict extends AutofixError {
  readonly conflicts: { path: string; reason: string; hunks: string[] }[];
  constructor(conflicts: { path: string; reason: string; hunks: string[] }[], ontoRef: string, headSha: string) {
    super(
      "MERGE_CONFLICT",
      {
        what: `The change conflicts with commits pushed to \`${ontoRef}\` since the job started (${conflicts.map((c) => c.path).join(", ")}).`,
        why: conflicts.map((c) => `${c.path}: ${c.reason}`).join("; "),
        next: "Comment `/autofix retry` to run the job again on the current head, or resolve the overlap by hand.",
      },
      { data: { conflicts, ontoRef, headSha } },
    );
    this.conflicts = conflicts;
  }
}

/** Removes userinfo from a URL so it can appear in a message or log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}
