// The fourth gate: after the PR opens as a draft, follow the repository's own CI on its head commit.
// Green → ready for review. Red → a repair revision (bounded by the job's attempts and spend), then
// follow again. Waiting never holds a worker: the job goes back to the queue (JobDeferred) and a
// check event wakes it, or the poll interval does when an event is lost.
import { JobDeferred, type JobContext, type JobOutcome } from "../jobs/index.js";
import { ciVerdict, classifyChecks, describeCheck, type CiCheck, type CiVerdict, type CommitChecks } from "../gates/index.js";
import type { CheckConclusion, RepoRef } from "../forge/index.js";
import { neutralizeMentions, renderStatusFinal, statusMarker } from "./render.js";
import type { PipelineEnv } from "./context.js";
import { repairAfterCi, repairAllowance, type CiRound, type Rerun } from "./ciRepair.js";

export const ciCheckName = "autofix / ci";

/** The PR opens (and, through a CI repair, stays) a draft when its CI is followed; never offline, where no CI runs. */
export function ciWaitDrafts(env: PipelineEnv): boolean {
  return env.config.gates.ci.wait && !env.dryRun && env.forge.kind === "github" && typeof env.forge.listCheckRuns === "function";
}

export function ciWaitWanted(env: PipelineEnv, outcome: JobOutcome): boolean {
  return ciWaitDrafts(env) && env.ciFollow !== false && (outcome.kind === "pr-opened" || outcome.kind === "pr-updated") && outcome.prNumber !== undefined;
}

/** A job re-claimed while waiting for CI goes straight back to its latest round, replaying nothing else. */
export async function resumeCiWait(ctx: JobContext, env: PipelineEnv, rerun: Rerun): Promise<JobOutcome | undefined> {
  if (!env.config.gates.ci.wait || env.ciFollow === false) return undefined;
  const rounds = ctx.job.steps.filter((s) => /^ci-\d+-start$/.test(s.name) && s.status === "done").map((s) => s.output as CiRound);
  if (rounds.length === 0) return undefined;
  const latest = rounds.reduce((a, b) => (b.round > a.round ? b : a));
  return followRounds(ctx, env, latest, rerun);
}

export async function followCi(ctx: JobContext, env: PipelineEnv, baseBranch: string, outcome: JobOutcome, rerun: Rerun): Promise<JobOutcome> {
  const round = await startRound(ctx, env, 0, baseBranch, outcome);
  return followRounds(ctx, env, round, rerun);
}

async function startRound(ctx: JobContext, env: PipelineEnv, round: number, baseBranch: string, outcome: JobOutcome): Promise<CiRound> {
  const repo = ctx.job.spec.repo;
  return ctx.step(`ci-${round}-start`, async () => {
    const pr = await env.forge.getPr(repo, outcome.prNumber!);
    const started: CiRound = { round, headSha: pr.headSha, startedAtMs: Date.now(), prNumber: pr.number, prUrl: pr.htmlUrl, baseBranch, outcome };
    await env.forge.ensureCheckRun(repo, {
      name: ciCheckName,
      headSha: pr.headSha,
      status: "in_progress",
      title: "Waiting for the repository's CI",
      summary: `autofix follows this commit's checks (${watchedText(env)}) and marks the PR ready for review when they are green.`,
    });
    await writeStatus(ctx, env, `⏳ **autofix's pull request ${pr.htmlUrl} is waiting for the repository's CI.**`, [
      `The gates passed. The PR stays a draft until ${watchedText(env)} on \`${pr.headSha.slice(0, 12)}\` are green (at most ${env.config.gates.ci.timeoutMinutes} min); then autofix marks it ready for review.`,
      ...(round > 0 ? ["", `This is CI round ${round + 1}: the previous round failed and the agent pushed a repair.`] : []),
    ]);
    return started;
  });
}

async function followRounds(ctx: JobContext, env: PipelineEnv, first: CiRound, rerun: Rerun): Promise<JobOutcome> {
  let round = first;
  for (;;) {
    // Polled outside a step: a wait (JobDeferred) must not record a failed step; only the verdict is saved.
    const name = `ci-${round.round}-verdict`;
    const saved = ctx.job.steps.find((s) => s.name === name && s.status === "done")?.output as Awaited<ReturnType<typeof pollOnce>> | undefined;
    const polled = saved ?? (await pollOnce(ctx, env, round));
    const verdict = await ctx.step(name, async () => polled);
    const next = await settleRound(ctx, env, round, verdict, rerun);
    if ("kind" in next) return next;
    round = next;
  }
}

function watchedText(env: PipelineEnv): string {
  const checks = env.config.gates.ci.checks;
  return checks === "all" ? "all of its checks" : `the checks ${checks.map((c) => `\`${c}\``).join(", ")}`;
}

async function readChecks(env: PipelineEnv, repo: RepoRef, sha: string, withSuites: boolean): Promise<CiCheck[]> {
  const f = env.forge;
  const [runs, suites, statuses] = await Promise.all([
    f.listCheckRuns?.(repo, sha) ?? [],
    withSuites ? (f.listCheckSuites?.(repo, sha) ?? []) : [],
    f.listCommitStatuses?.(repo, sha) ?? [],
  ]);
  // Workflow names: to match watched names, and to name a suite that never started a run.
  const wantWorkflows = withSuites && (env.config.gates.ci.checks !== "all" || suites.some((s) => (s.runCount ?? 0) === 0));
  const workflowRuns = wantWorkflows ? ((await f.listWorkflowRuns?.(repo, sha)) ?? []) : [];
  const checks: CommitChecks = { runs, suites, statuses, workflowRuns };
  return classifyChecks(checks);
}

/** One look at the checks: a verdict to record, or JobDeferred while they are still running. */
async function pollOnce(ctx: JobContext, env: PipelineEnv, round: CiRound): Promise<CiVerdict | { status: "handed-over"; why: string }> {
  const repo = ctx.job.spec.repo;
  const ci = env.config.gates.ci;
  const pr = await env.forge.getPr(repo, round.prNumber);
  if (pr.state !== "open") return { status: "handed-over", why: `PR #${pr.number} was ${pr.merged ? "merged" : "closed"}` };
  if (pr.headSha !== round.headSha)
    return { status: "handed-over", why: `someone else pushed \`${pr.headSha.slice(0, 12)}\` to \`${pr.headRef}\`, so the PR is theirs to steer now` };
  const head = await readChecks(env, repo, round.headSha, true);
  const timeoutMs = ci.timeoutMinutes * 60_000;
  const elapsedMs = Date.now() - round.startedAtMs;
  const pollMs = ci.pollSeconds * 1000;
  const input = { head, config: ci, elapsedMs, timeoutMs, noChecksGraceMs: 3 * pollMs };
  let verdict = ciVerdict(input);
  if ((verdict.status === "red" || verdict.status === "timeout") && head.some((c) => c.state === "failure")) {
    const baseSha = await env.forge.getBranchSha(repo, round.baseBranch);
    const base = baseSha ? await readChecks(env, repo, baseSha, false) : [];
    verdict = ciVerdict({ ...input, base });
  }
  if (verdict.status !== "pending") return verdict;
  await ctx.progress({ step: `ci-${round.round}-wait` });
  const waitMs = Math.max(1_000, Math.min(pollMs, timeoutMs - elapsedMs));
  throw new JobDeferred(waitMs, `the repository's CI on PR #${round.prNumber} (${verdict.waitingOn.length} check(s) unfinished)`);
}

async function settleRound(
  ctx: JobContext,
  env: PipelineEnv,
  round: CiRound,
  verdict: CiVerdict | { status: "handed-over"; why: string },
  rerun: Rerun,
): Promise<JobOutcome | CiRound> {
  const repo = ctx.job.spec.repo;
  const pr = `PR #${round.prNumber}`;
  const finish = async (conclusion: CheckConclusion, title: string, lines: string[], headline: string, message: string): Promise<JobOutcome> => {
    await ctx.step(`ci-${round.round}-end`, async () => {
      await env.forge.ensureCheckRun(repo, { name: ciCheckName, headSha: round.headSha, status: "completed", conclusion, title, summary: lines.join("\n") });
      await writeStatus(ctx, env, headline, lines);
      return {};
    });
    return { ...round.outcome, message };
  };
  if (verdict.status === "handed-over") {
    const lines = [
      `autofix stopped following CI on ${pr}: ${verdict.why}.`,
      "",
      "The PR stays as it is; comment `/autofix revise <instructions>` to hand it back.",
    ];
    return finish("neutral", "Handed over", lines, `👋 **autofix stopped following CI on ${round.prUrl}.**`, `CI not followed further: ${verdict.why}.`);
  }
  const excused =
    "excused" in verdict && verdict.excused.length
      ? ["", "Red on the base branch too, so not blamed on this change:", ...verdict.excused.map((c) => `- ${describeCheck(c)}`)]
      : [];
  if (verdict.status === "green" || verdict.status === "none") {
    const ready = await ctx.step(`ci-${round.round}-ready`, async () => ({ ready: (await env.forge.markPrReady?.(repo, round.prNumber)) ?? false }));
    const readyLine = ready.ready ? "The PR is marked ready for review." : "GitHub did not let autofix mark the PR ready for review; please do it yourself.";
    const lines =
      verdict.status === "none"
        ? [
            `No CI check ran on \`${round.headSha.slice(0, 12)}\` within ${Math.round((3 * env.config.gates.ci.pollSeconds) / 60) || 1} min: the repository has no workflow for this branch.`,
            readyLine,
          ]
        : [
            `Every watched check is green on \`${round.headSha.slice(0, 12)}\`:`,
            ...verdict.checks.map((c) => `- ${describeCheck(c)}`),
            ...excused,
            "",
            readyLine,
          ];
    const headline = `✅ **autofix opened a pull request: ${round.prUrl}** — ${verdict.status === "none" ? "no CI ran for it" : "the repository's CI is green"}.`;
    return finish(
      verdict.status === "none" ? "neutral" : "success",
      verdict.status === "none" ? "No CI ran" : "CI is green",
      lines,
      headline,
      `${pr}: CI ${verdict.status === "none" ? "did not run" : "green"}; ${ready.ready ? "ready for review" : "still a draft"}.`,
    );
  }
  if (verdict.status === "timeout") {
    const lines = [
      `The repository's CI did not finish on \`${round.headSha.slice(0, 12)}\` within ${env.config.gates.ci.timeoutMinutes} min. These checks never finished or never started:`,
      ...verdict.unfinished.map((c) => `- ${describeCheck(c)}`),
      ...excused,
      "",
      "The PR stays a draft. Approve or start the workflows, then mark it ready yourself, or comment `/autofix retry`.",
    ];
    const names = verdict.unfinished.map((c) => `${c.name} (${c.why ?? c.state})`).join(", ");
    return finish(
      "neutral",
      "CI did not finish",
      lines,
      `⏳ **autofix's draft pull request ${round.prUrl} is waiting on CI that never finished.**`,
      `${pr} stays a draft: CI did not finish in time: ${names}.`,
    );
  }
  if (verdict.status === "pending") throw new Error("a pending CI verdict is never recorded");
  // Red: repair while the job's attempts and spend allow, else report.
  const failingNames = verdict.failing.map((c) => c.name).join(", ");
  const allowance = repairAllowance(ctx, env);
  const ci = env.config.gates.ci;
  if (ci.onFailure === "repair" && allowance.ok) {
    await ctx.step(`ci-${round.round}-red`, async () => {
      const summary = [
        `CI failed on this commit:`,
        ...verdict.failing.map((c) => `- ${describeCheck(c)}`),
        ...excused,
        "",
        "autofix hands the failure to the agent for a repair commit.",
      ].join("\n");
      await env.forge.ensureCheckRun(repo, {
        name: ciCheckName,
        headSha: round.headSha,
        status: "completed",
        conclusion: "failure",
        title: `CI failed (${failingNames}); repairing`,
        summary,
      });
      return {};
    });
    const repaired = await repairAfterCi(ctx, env, round, verdict, rerun);
    if (repaired.kind === "round") return startRound(ctx, env, round.round + 1, round.baseBranch, repaired.outcome);
    const lines = [
      `CI failed on \`${round.headSha.slice(0, 12)}\`:`,
      ...verdict.failing.map((c) => `- ${describeCheck(c)}`),
      "",
      `The repair did not land: ${repaired.outcome.message}`,
      "",
      "The PR stays a draft.",
    ];
    return finish(
      "failure",
      "CI failed; repair did not land",
      lines,
      `❌ **autofix's draft pull request ${round.prUrl} fails the repository's CI** (${failingNames}).`,
      `${pr} stays a draft: CI failed (${failingNames}); the repair did not land.`,
    );
  }
  const why =
    ci.onFailure === "report" ? "`gates.ci.onFailure` is `report`, so autofix does not repair." : `No repair left: ${allowance.ok ? "" : allowance.why}`;
  const lines = [
    `CI failed on \`${round.headSha.slice(0, 12)}\`:`,
    ...verdict.failing.map((c) => `- ${describeCheck(c)}`),
    ...excused,
    "",
    why,
    "",
    "The PR stays a draft. Fix it on the branch, or comment `/autofix revise <instructions>`.",
  ];
  return finish(
    "failure",
    "CI failed",
    lines,
    `❌ **autofix's draft pull request ${round.prUrl} fails the repository's CI** (${failingNames}).`,
    `${pr} stays a draft: CI failed (${failingNames}). ${why}`,
  );
}

async function writeStatus(ctx: JobContext, env: PipelineEnv, headline: string, details: string[]): Promise<void> {
  const { spec, key } = ctx.job;
  try {
    // Check names and status descriptions come from CI services: no pings from them.
    await env.forge.ensureStatusComment(spec.repo, spec.issueNumber, statusMarker(key), renderStatusFinal(key, headline, details.map(neutralizeMentions)));
  } catch (err) {
    env.log.warn({ err }, "could not update the status comment");
  }
}
