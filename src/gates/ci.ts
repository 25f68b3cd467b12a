// The CI gate's verdict: which of a commit's checks are watched, whether they are green, red, still
// running or never started, and which red ones are not the change's fault (red on the base head too).
// Pure: the pipeline reads the checks through the forge and hands them here.
import type { CiGateConfig } from "../config/index.js";
import type { CommitCheckRun, CommitCheckSuite, CommitStatus, WorkflowRunInfo } from "../forge/index.js";

export interface CommitChecks {
  runs: CommitCheckRun[];
  suites: CommitCheckSuite[];
  statuses: CommitStatus[];
  workflowRuns: WorkflowRunInfo[];
}

export type CiCheckState = "pending" | "success" | "failure" | "not-started";

export interface CiCheck {
  name: string;
  kind: "check-run" | "status" | "suite" | "missing";
  state: CiCheckState;
  /** Why a check is pending, failed or never started, in words ("waiting for approval (action_required)"). */
  why?: string;
  checkRunId?: number;
  appSlug?: string;
  url?: string;
  workflow?: string;
}

export type CiVerdict =
  | { status: "pending"; checks: CiCheck[]; waitingOn: CiCheck[] }
  | { status: "green"; checks: CiCheck[]; excused: CiCheck[] }
  | { status: "red"; checks: CiCheck[]; failing: CiCheck[]; excused: CiCheck[] }
  /** The wait is over and some watched checks never finished or never started. */
  | { status: "timeout"; checks: CiCheck[]; unfinished: CiCheck[]; excused: CiCheck[] }
  /** No check at all ran for the commit within the grace period. */
  | { status: "none"; checks: CiCheck[] };

const greenConclusions = new Set(["success", "neutral", "skipped"]);
const redConclusions = new Set(["failure", "timed_out", "cancelled", "startup_failure", "stale"]);

/** The bot's own check runs (`autofix / ...`) are never part of the verdict on its change. */
export function isOwnCheck(name: string, appSlug: string | undefined, ownSlug: string | undefined): boolean {
  return name.startsWith("autofix / ") || (ownSlug !== undefined && appSlug === ownSlug);
}

function fromRun(run: CommitCheckRun, workflow: string | undefined): CiCheck {
  const base = { name: run.name, kind: "check-run" as const, checkRunId: run.id, appSlug: run.appSlug, url: run.htmlUrl, workflow };
  if (run.status !== "completed") return { ...base, state: "pending", why: run.status === "queued" ? "queued, not started yet" : "still running" };
  const conclusion = run.conclusion ?? "";
  if (conclusion === "action_required") return { ...base, state: "not-started", why: "waiting for a maintainer's approval (action_required)" };
  if (greenConclusions.has(conclusion)) return { ...base, state: "success" };
  if (redConclusions.has(conclusion)) return { ...base, state: "failure", why: conclusion };
  return { ...base, state: "failure", why: conclusion || "no conclusion" };
}

function fromStatus(status: CommitStatus): CiCheck {
  const base = { name: status.context, kind: "status" as const, url: status.targetUrl ?? undefined };
  if (status.state === "success") return { ...base, state: "success" };
  if (status.state === "pending") return { ...base, state: "pending", why: status.description ?? "pending" };
  return { ...base, state: "failure", why: status.description ?? status.state };
}

/** Every check of a commit, the bot's own left out; suites that never started a run show as one entry each. */
export function classifyChecks(checks: CommitChecks, ownSlug?: string): CiCheck[] {
  const workflowOfSuite = new Map(checks.workflowRuns.filter((w) => w.checkSuiteId !== undefined).map((w) => [w.checkSuiteId!, w.name]));
  const out: CiCheck[] = [];
  for (const run of checks.runs) {
    if (isOwnCheck(run.name, run.appSlug, ownSlug)) continue;
    out.push(fromRun(run, run.checkSuiteId !== undefined ? workflowOfSuite.get(run.checkSuiteId) : undefined));
  }
  for (const status of checks.statuses) if (!status.context.startsWith("autofix")) out.push(fromStatus(status));
  const suitesWithRuns = new Set(checks.runs.map((r) => r.checkSuiteId));
  for (const suite of checks.suites) {
    if (suitesWithRuns.has(suite.id) || (ownSlug !== undefined && suite.appSlug === ownSlug) || (suite.runCount ?? 0) > 0) continue;
    const name = workflowOfSuite.get(suite.id) ?? `${suite.appSlug ?? "a CI app"} check suite`;
    if (suite.conclusion === "action_required")
      out.push({
        name,
        kind: "suite",
        appSlug: suite.appSlug,
        state: "not-started",
        why: "waiting for a maintainer's approval (action_required): workflows of a first-time or bot contributor need approval",
      });
    else if (suite.status !== "completed")
      out.push({ name, kind: "suite", appSlug: suite.appSlug, state: "pending", why: "requested, no check run started yet" });
  }
  return out;
}

function watchedOnly(all: CiCheck[], config: Pick<CiGateConfig, "checks">): CiCheck[] {
  if (config.checks === "all") return all;
  const wanted = config.checks;
  const watched = all.filter((c) => wanted.includes(c.name) || (c.workflow !== undefined && wanted.includes(c.workflow)));
  // A watched name with nothing behind it has not started (yet): said by name when the wait is over.
  for (const name of wanted) {
    if (!watched.some((c) => c.name === name || c.workflow === name)) {
      watched.push({
        name,
        kind: "missing",
        state: "not-started",
        why: "no check or workflow of this name ran for the commit (no workflow for this branch, or not triggered)",
      });
    }
  }
  return watched;
}

/** Red on the base head too: the same check name (or status context) failed there. */
export function redOnBase(check: CiCheck, base: CiCheck[]): boolean {
  return base.some((b) => b.name === check.name && b.state === "failure");
}

export interface CiVerdictInput {
  head: CiCheck[];
  /** The base branch head's checks; only read when something failed. */
  base?: CiCheck[];
  config: Pick<CiGateConfig, "checks">;
  elapsedMs: number;
  timeoutMs: number;
  /** With `checks: all`, how long to wait for the first check to appear before saying no CI ran. */
  noChecksGraceMs: number;
}

export function ciVerdict(input: CiVerdictInput): CiVerdict {
  const checks = watchedOnly(input.head, input.config);
  const timedOut = input.elapsedMs >= input.timeoutMs;
  if (checks.length === 0) {
    return input.elapsedMs >= Math.min(input.noChecksGraceMs, input.timeoutMs) ? { status: "none", checks } : { status: "pending", checks, waitingOn: [] };
  }
  const failed = checks.filter((c) => c.state === "failure");
  const excused = failed.filter((c) => redOnBase(c, input.base ?? []));
  const failing = failed.filter((c) => !excused.includes(c));
  const unfinished = checks.filter((c) => c.state === "pending" || c.state === "not-started");
  if (unfinished.length > 0 && !timedOut) return { status: "pending", checks, waitingOn: unfinished };
  if (failing.length > 0) return { status: "red", checks, failing, excused };
  if (unfinished.length > 0) return { status: "timeout", checks, unfinished, excused };
  return { status: "green", checks, excused };
}

/** One line per check for a status comment or a check-run summary. */
export function describeCheck(c: CiCheck): string {
  const icon = c.state === "success" ? "✅" : c.state === "failure" ? "❌" : c.state === "pending" ? "⏳" : "⛔";
  const name = c.url ? `[${c.name}](${c.url})` : `\`${c.name}\``;
  return `${icon} ${name}${c.why ? `: ${c.why}` : ""}`;
}
