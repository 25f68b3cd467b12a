// Turns a queued job into a pipeline run: per-job forge and config, quotas, the agent, and the
// end of every story: cancelled, failed or done, the status comment says so and the spawn is gone.
import type { AutofixConfig } from "../config/index.js";
import { AutofixError, JobCancelled, cancelKindOf, isAutofixError } from "../errors.js";
import type { Forge } from "../forge/index.js";
import { JobDeferred, type JobContext, type JobHandler, type JobOutcome, type JobQueue, type JobSpec } from "../jobs/index.js";
import { runPipeline } from "./run.js";
import type { PipelineEnv } from "./context.js";
import { renderStatusFinal } from "./render.js";
import type { Log } from "./status.js";
import { SpendLimitReached } from "./budget.js";
import { cleanupJobDirs } from "./jobDirs.js";
import type { RecordedChange } from "../engine/index.js";

export interface ConfigProblemLike {
  path: string;
  line?: number;
  message: string;
}

export interface JobHandlerDeps {
  queue: JobQueue;
  forgeForJob(spec: JobSpec): Promise<Forge>;
  loadConfig(forge: Forge, spec: JobSpec): Promise<{ ok: true; config: AutofixConfig } | { ok: false; problems: ConfigProblemLike[] }>;
  renderProblems(problems: ConfigProblemLike[]): string;
  /** Everything else the pipeline needs, for this job's forge and config. */
  envFor(forge: Forge, config: AutofixConfig, spec: JobSpec, log: Log): Promise<Omit<PipelineEnv, "forge" | "config" | "log">>;
  installationRunsPerDay: number;
  log: Log & { child?(bindings: object): Log };
  /** Called with every finished job (metrics, CLI output). */
  onOutcome?(spec: JobSpec, outcome: JobOutcome): void;
}

export function createJobHandler(deps: JobHandlerDeps): JobHandler {
  return async (ctx: JobContext) => {
    const { spec } = ctx.job;
    const log = deps.log.child?.({ job: ctx.job.id, repo: `${spec.repo.owner}/${spec.repo.repo}`, issue: spec.issueNumber }) ?? deps.log;
    const forge = await deps.forgeForJob(spec);
    let workRoot: string | undefined;
    let scratchRoot: string | undefined;
    try {
      const loaded = await ctx.step("config", () => deps.loadConfig(forge, spec));
      if (!loaded.ok) return await finish(ctx, forge, deps, configInvalid(deps, loaded.problems));
      const config = loaded.config;
      const quota = await ctx.step("quota", () => checkQuota(deps, spec, config, ctx.job.createdAt, ctx.job.id));
      if (quota) return await finish(ctx, forge, deps, quota);

      const env = await deps.envFor(forge, config, spec, log);
      workRoot = env.paths.workRoot;
      scratchRoot = env.paths.scratchRoot;
      const outcome = await runPipeline(ctx, { ...env, forge, config, log, recordedChange: () => recordedChange(deps.queue, ctx.job.key) });
      await cleanupJobDirs(ctx.job.id, workRoot, scratchRoot);
      deps.onOutcome?.(spec, outcome);
      return outcome;
    } catch (err) {
      const kind = cancelKindOf(ctx.signal) ?? (err instanceof JobCancelled ? err.kind : undefined);
      if (kind) {
        if (workRoot && scratchRoot) await cleanupJobDirs(ctx.job.id, workRoot, scratchRoot);
        // A shutdown or a lost lease hands the job to another worker: no story ends here.
        if (kind === "shutdown" || kind === "lease-lost") throw err;
        const cancelled = ctx.signal.reason instanceof JobCancelled ? ctx.signal.reason : err instanceof JobCancelled ? err : undefined;
        const reason = cancelled ? String(cancelled.data.reason) : typeof ctx.signal.reason === "string" ? ctx.signal.reason : "the job was stopped";
        const headline =
          kind === "timeout" ? "⏱️ **autofix stopped working on this issue: the job ran out of time.**" : "🛑 **autofix stopped working on this issue.**";
        const said = kind === "timeout" ? `The job timed out: ${reason}.` : `The job was cancelled: ${reason}.`;
        await writeFinal(forge, ctx, headline, [said, "", "Add the label again or comment `/autofix retry` to start over."]);
        deps.onOutcome?.(spec, { kind: "cancelled", message: reason });
        throw cancelled ?? new JobCancelled(reason, kind);
      }
      if (err instanceof JobDeferred) {
        // Waiting for CI: nothing on disk is needed until the job resumes (a repair spawns afresh).
        if (workRoot && scratchRoot) await cleanupJobDirs(ctx.job.id, workRoot, scratchRoot);
        throw err;
      }
      if (err instanceof SpendLimitReached) {
        if (workRoot && scratchRoot) await cleanupJobDirs(ctx.job.id, workRoot, scratchRoot);
        const e = err.explanation;
        return await finish(ctx, forge, deps, { kind: "limit-reached", message: `${e.what} ${e.why} ${e.next}` });
      }
      if (isAutofixError(err) && !err.retryable) {
        if (workRoot && scratchRoot) await cleanupJobDirs(ctx.job.id, workRoot, scratchRoot);
        const e = err.explanation;
        return await finish(ctx, forge, deps, { kind: "error", message: `${e.what} ${e.why} ${e.next}` });
      }
      throw err;
    }
  };
}

const freshTriggers = new Set(["label", "retry", "cli", "poll"]);

/**
 * The spawn baseline and delta of the last job that published this issue's PR, when that job made
 * the whole change (a revision's delta is relative to the PR head and cannot be re-absorbed alone).
 */
async function recordedChange(queue: JobQueue, key: string): Promise<RecordedChange | undefined> {
  const jobs = (await queue.list({ states: ["succeeded"], limit: 500 }))
    .filter((j) => j.key === key && (j.outcome?.kind === "pr-opened" || j.outcome?.kind === "pr-updated") && j.spec.trigger !== "update-branch")
    .sort((a, b) => (b.finishedAt ?? "").localeCompare(a.finishedAt ?? ""));
  const last = jobs[0];
  if (!last || !freshTriggers.has(last.spec.trigger)) return undefined;
  // CI repairs added commits on top: the PR's whole change is read back from the branch instead.
  if (last.steps.some((s) => /^ci-\d+\//.test(s.name) && s.status === "done")) return undefined;
  const spawn = last.steps.find((s) => s.name === "spawn" && s.status === "done")?.output as { baseline?: RecordedChange["baseline"] } | undefined;
  const attempts = last.steps.filter((s) => /^agent-\d+$/.test(s.name) && s.status === "done");
  const attempt = attempts.at(-1)?.output as { delta?: RecordedChange["delta"] } | undefined;
  return spawn?.baseline && attempt?.delta ? { baseline: spawn.baseline, delta: attempt.delta } : undefined;
}

function configInvalid(deps: JobHandlerDeps, problems: ConfigProblemLike[]): JobOutcome {
  return {
    kind: "config-invalid",
    message: [
      "`.github/autofix.yml` is invalid, so autofix did nothing.",
      "",
      deps.renderProblems(problems),
      "",
      "Fix the file on the default branch and try again.",
    ].join("\n"),
  };
}

/**
 * Jobs of a scope created in the 24 hours up to this job, this job included. Jobs queued after it do not
 * count: otherwise a burst of labels would refuse the early jobs still waiting for a worker, not the late ones.
 */
async function countBefore(deps: JobHandlerDeps, scope: { repo: string } | { installationId: number }, createdAt: string): Promise<number> {
  const createdMs = new Date(createdAt).getTime();
  const inWindow = await deps.queue.countSince(scope, new Date(createdMs - 24 * 3_600_000));
  const later = await deps.queue.countSince(scope, new Date(createdMs + 1));
  return inWindow - later;
}

async function checkQuota(deps: JobHandlerDeps, spec: JobSpec, config: AutofixConfig, createdAt: string, jobId: string): Promise<JobOutcome | null> {
  const repoRuns = await countBefore(deps, { repo: `${spec.repo.owner}/${spec.repo.repo}` }, createdAt);
  if (repoRuns > config.limits.runsPerDay)
    return {
      kind: "limit-reached",
      message: `This repository already ran ${repoRuns - 1} autofix jobs in the last 24 hours (limit ${config.limits.runsPerDay}), so job ${jobId} did not start. Raise \`limits.runsPerDay\` in .github/autofix.yml or retry tomorrow.`,
    };
  if (spec.installationId !== undefined) {
    const orgRuns = await countBefore(deps, { installationId: spec.installationId }, createdAt);
    if (orgRuns > deps.installationRunsPerDay)
      return {
        kind: "limit-reached",
        message: `This installation already ran ${orgRuns - 1} autofix jobs in the last 24 hours (operator limit ${deps.installationRunsPerDay}). Ask the operator to raise AUTOFIX_INSTALLATION_RUNS_PER_DAY, or retry tomorrow.`,
      };
  }
  return null;
}

async function finish(ctx: JobContext, forge: Forge, deps: JobHandlerDeps, outcome: JobOutcome): Promise<JobOutcome> {
  const headline = outcome.kind === "config-invalid" ? "⚠️ **autofix did not start.**" : "⚠️ **autofix stopped.**";
  await writeFinal(forge, ctx, headline, [outcome.message]);
  deps.onOutcome?.(ctx.job.spec, outcome);
  return outcome;
}

async function writeFinal(forge: Forge, ctx: JobContext, headline: string, details: string[]): Promise<void> {
  const { spec, key } = ctx.job;
  try {
    await forge.ensureStatusComment(spec.repo, spec.issueNumber, `<!-- autofix:status:${key} -->`, renderStatusFinal(key, headline, details));
  } catch {
    // The outcome is recorded on the job either way; the comment is best effort.
  }
}

export { AutofixError, cleanupJobDirs };
