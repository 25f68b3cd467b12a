// A job, top to bottom: resolve → spawn → (agent → delta → gates) × attempts → absorb → publish.
// Every step's output is saved on the job (ctx.step), so a crash resumes at the step under way and
// a finished side effect (a push, a PR) is never redone.
import path from "node:path";
import type { AgentRun } from "../agents/index.js";
import { AutofixError, throwIfAborted } from "../errors.js";
import type { JobContext, JobOutcome } from "../jobs/index.js";
import { meteredClient, SpendMeter, type SpendTotals } from "../llm/index.js";
import type { AgentFailure } from "../agents/index.js";
import { Budget } from "./budget.js";
import type { GateResult } from "../gates/index.js";
import { decide, renderRepairReport } from "../gates/index.js";
import { runGates } from "./gateRunner.js";
import { publishAtLimit, publishFailure, publishPullRequest } from "./publish.js";
import { StatusReporter } from "./status.js";
import { prepareAttempt } from "./attempt.js";
import { SpawnKeeper } from "./spawnKeeper.js";
import type { AttemptRecord, PipelineEnv, PublishResult, ResolvedTarget, SpawnRecord } from "./context.js";
import type { Delta } from "../engine/index.js";
import { wholeChangeDelta } from "./revision.js";
import { runUpdateBranch } from "./updateBranch.js";
import { agentCouldNotWork, agentOutcomeLines, describeAgentFailure } from "./agentReport.js";
import { fence, neutralizeMentions } from "./render.js";
import { ciWaitDrafts, ciWaitWanted, followCi, resumeCiWait } from "./ciWait.js";

const noChangeCodes = new Set(["EMPTY_DELTA", "ONLY_TOOL_FILES", "RESTORED"]);

export async function runPipeline(ctx: JobContext, env: PipelineEnv): Promise<JobOutcome> {
  const { spec } = ctx.job;
  const waiting = await resumeCiWait(ctx, env, runPipeline);
  if (waiting) return waiting;
  if (spec.trigger === "update-branch") return followCiAfter(ctx, env, await runUpdateBranch(ctx, env));
  const { config, log } = env;
  const status = new StatusReporter(env.forge, spec.repo, spec.issueNumber, ctx.job.key, log, !env.dryRun);
  const meter = new SpendMeter({ maxTokens: config.limits.maxTokens, maxCostUsd: config.limits.maxCostUsd }, spentBefore(ctx));
  // Saved with the job at every call, so a crash mid-attempt does not forget what the attempt spent.
  meter.onRecord((t) => void ctx.progress({ tokens: t.inputTokens + t.outputTokens, costUsd: t.costUsd, spend: t }).catch(() => {}));
  const budget = new Budget(config.limits, new Date(ctx.job.createdAt), meter);
  const judged: PipelineEnv = { ...env, judge: env.judge && meteredClient(env.judge, meter) };

  const target = await ctx.step("resolve", async (): Promise<ResolvedTarget> => {
    const repo = await env.forge.getRepo(spec.repo);
    const issue = await env.forge.getIssue(spec.repo, spec.issueNumber);
    const baseBranch = config.baseBranch ?? repo.defaultBranch;
    const branch = `${config.pr.branchPrefix}issue-${spec.issueNumber}`;
    const open = await env.forge.findOpenPrByHead(spec.repo, branch);
    const revisionReason = open ? (env.revisionReason ?? (await revisionReasonFor(env, spec.trigger, spec.repo, open.number))) : undefined;
    const pr = open ? { number: open.number, htmlUrl: open.htmlUrl } : undefined;
    return { repo, issue, baseBranch, branch, pr, mode: revisionReason ? "revision" : "fresh", revisionReason } as ResolvedTarget;
  });
  if (target.revisionReason) status.note(`Revising PR #${target.pr?.number}: ${target.revisionReason}.`);
  const source = env.source(target.repo);

  await status.phase({ phase: "spawn" });
  const spawnRef = target.mode === "revision" ? target.branch : target.baseBranch;
  const spawnRecord = await ctx.step("spawn", () => SpawnKeeper.create(ctx.job.id, source, spawnRef, env.paths, ctx.signal, env.spares, env.engine));
  const keeper = new SpawnKeeper(spawnRecord, source, env.paths, ctx.job.claims > 1, env.engine);
  status.note(`Spawn pinned to \`${spawnRecord.spawn.baseSha.slice(0, 12)}\` of \`${spawnRef}\`.`);

  const attempts = config.limits.attempts;
  let last: { attempt: AttemptRecord; results: GateResult[] } | undefined;
  let repairReports: string[] = env.repairReports ?? [];
  // A cap reached after an attempt ends the run with the work kept on a branch (never a PR).
  const stopAtLimit = async (reached: { attempt: AttemptRecord; results: GateResult[] }): Promise<JobOutcome | undefined> => {
    const over = budget.exceeded();
    if (!over) return undefined;
    if (env.dryRun) throw over;
    return (await publishAtLimit({ ctx, env, target, source, keeper, last: reached, status, budget }, over)).outcome;
  };
  for (let k = 1; k <= attempts; k++) {
    throwIfAborted(ctx.signal);
    budget.check();
    await ctx.progress({ step: `agent-${k}`, attempt: k, tokens: budget.tokens, costUsd: budget.total.costUsd });
    await status.phase({ phase: "agent", attempt: k, of: attempts });
    const attempt = await ctx.step(`agent-${k}`, () => prepareAttempt({ ctx, env, keeper, target, attempt: k, repairReports, previous: last?.attempt, meter }));
    const spentByAgent = await stopAtLimit({ attempt, results: [] });
    if (spentByAgent) return spentByAgent;
    status.note(`Attempt ${k}: agent finished in ${(attempt.agent.durationMs / 1000).toFixed(0)} s; ${attempt.delta.files.length} file(s) changed.`);
    for (const line of agentOutcomeLines(attempt.agent)) status.note(`Attempt ${k}: ${neutralizeMentions(line)}`);
    const blocked = agentCouldNotWork(attempt);
    if (blocked) return reportAgentFailure(env, status, attempt, blocked);

    await ctx.progress({ step: `gates-${k}`, attempt: k, tokens: budget.tokens, costUsd: budget.total.costUsd });
    const gates = await ctx.step(`gates-${k}`, async () => {
      await keeper.ensure(attempt.delta, ctx.signal);
      const judgeDelta = await judgedChange(env, target, keeper, attempt);
      return {
        results: await runGates({
          env: judged,
          target,
          keeper,
          attempt,
          judgeDelta,
          signal: ctx.signal,
          onPhase: (gate) => status.phase({ phase: "gate", gate, attempt: k }),
        }),
      };
    });
    last = { attempt, results: gates.results };
    const decision = decide(gates.results, config);
    status.note(`Attempt ${k}: ${gates.results.map((r) => `${r.gate} ${r.status}`).join(", ")}.`);
    if (decision.verdict === "pass") break;
    const spentByGates = await stopAtLimit(last);
    if (spentByGates) return spentByGates;
    // Judges that could not run (no answer, no credentials) are not something the agent can repair.
    // (A deterministic error may come from the change itself, e.g. a broken manifest, so it still gets its repair.)
    if (decision.failing.every((g) => g !== "deterministic" && gates.results.find((r) => r.gate === g)?.status === "error")) {
      status.note(`Attempt ${k}: the ${decision.failing.join(", ")} gate(s) could not run; another attempt would not change that.`);
      break;
    }
    repairReports = [renderRepairReport(gates.results)];
  }
  if (!last)
    throw new AutofixError("NO_ATTEMPT", { what: "No agent attempt ran.", why: "limits.attempts is below 1.", next: "Set limits.attempts to at least 1." });

  const decision = decide(last.results, config);
  const noChange = last.attempt.violations.find((v) => noChangeCodes.has(v.code));
  if (noChange) {
    const said = agentOutcomeLines(last.attempt.agent);
    const message = [noChange.message, ...said].join(" ");
    await status.final("🤷 **autofix found nothing to propose.**", [
      noChange.message,
      ...(said.length ? ["", "What the agent reported:", ...said.map((l) => `- ${neutralizeMentions(l)}`)] : []),
      "",
      "No pull request was opened. Clarify the issue and comment `/autofix retry` to try again.",
    ]);
    return { kind: "no-change", message };
  }
  if (env.dryRun) {
    const passed = decision.verdict === "pass";
    return {
      kind: passed ? "dry-run-passed" : "gates-failed",
      message: passed ? "Dry run: all gates passed; nothing was written." : `Dry run: the ${decision.failing.join(", ")} gate(s) did not pass.`,
    };
  }
  const guardRefused = last.attempt.violations.length > 0;
  let result: PublishResult;
  if (decision.action === "no-pr" || guardRefused) {
    result = await publishFailure({ ctx, env, target, source, keeper, last, status, budget, keepBranch: !guardRefused });
  } else {
    result = await publishPullRequest({
      ctx,
      env,
      target,
      source,
      keeper,
      last,
      status,
      budget,
      draft: decision.action === "draft-pr" || config.pr.draft || ciWaitDrafts(env),
      failing: decision.failing,
    });
  }
  // Only a change that passed every gate waits for CI: green CI must never make a failing draft ready.
  if (decision.failing.length === 0 && ciWaitWanted(env, result.outcome)) return followCi(ctx, env, target.baseBranch, result.outcome, runPipeline);
  return result.outcome;
}

/** The job's spend saved before a crash (or by an earlier claim), so the meter resumes from it. */
function spentBefore(ctx: JobContext): Partial<SpendTotals> | undefined {
  const p = ctx.job.progress;
  if (p.spend) return p.spend;
  if (p.tokens === undefined && p.costUsd === undefined) return undefined;
  // An older record: only the total survives, which is what the caps compare against.
  return { inputTokens: p.tokens ?? 0, outputTokens: 0, costUsd: p.costUsd ?? 0 };
}

/** The agent could not work (credentials, provider, missing program, timeout): say so, and who can fix it. */
async function reportAgentFailure(env: PipelineEnv, status: StatusReporter, attempt: AttemptRecord, failure: AgentFailure): Promise<JobOutcome> {
  const story = describeAgentFailure(failure, attempt.agent.agent, env.config.agent.timeoutMinutes);
  const said = agentOutcomeLines(attempt.agent);
  await status.final(`⚠️ **${story.headline}**`, [
    story.what,
    "",
    ...(said.length ? ["What the agent reported:", ...said.map((l) => `- ${neutralizeMentions(l)}`), ""] : []),
    `What next: ${story.next}`,
    "",
    `<details><summary>Agent output (tail)</summary>\n\n${fence(attempt.agent.outputTail, 3_000)}\n</details>`,
  ]);
  return { kind: "error", message: [story.headline, story.what, `The agent said: ${failure.message}`, `What next: ${story.next}`].join(" ") };
}

/** A branch update pushed a new head: its CI is followed like a fresh PR's (gates.ci.wait). */
async function followCiAfter(ctx: JobContext, env: PipelineEnv, outcome: JobOutcome): Promise<JobOutcome> {
  if (!ciWaitWanted(env, outcome)) return outcome;
  const pr = await env.forge.getPr(ctx.job.spec.repo, outcome.prNumber!);
  return followCi(ctx, env, pr.baseRef, outcome, runPipeline);
}

/** A revision is judged as the PR's whole change against the base branch, not as the last commit alone. */
async function judgedChange(env: PipelineEnv, target: ResolvedTarget, keeper: SpawnKeeper, attempt: AttemptRecord): Promise<Delta | undefined> {
  if (target.mode !== "revision" || !target.pr || !env.forge.listPrFiles || attempt.delta.files.length === 0) return undefined;
  const prFiles = await env.forge.listPrFiles({ owner: target.repo.owner, repo: target.repo.repo }, target.pr.number);
  return wholeChangeDelta({ spawn: keeper.spawn, headBaseline: keeper.baseline, revision: attempt.delta, prFiles, engine: env.engine });
}

/**
 * A run builds on the open PR instead of replacing it when asked to revise, or when a human pushed
 * commits to the bot's branch: from then on the bot never force-pushes that branch.
 */
async function revisionReasonFor(env: PipelineEnv, trigger: string, repo: { owner: string; repo: string }, prNumber: number): Promise<string | undefined> {
  if (trigger === "revise") return "asked with `/autofix revise`";
  if (trigger === "review") return "a review requested changes";
  if (!env.forge.listPrCommits) return undefined;
  const commits = await env.forge.listPrCommits(repo, prNumber);
  const human = commits.find((c) => c.authorEmail !== env.author.email);
  return human ? `a human pushed ${human.sha.slice(0, 12)} to the branch, so autofix builds on top of it instead of force-pushing` : undefined;
}

export function scratchFor(env: PipelineEnv, jobId: string, name: string): string {
  return path.join(env.paths.scratchRoot, jobId.replace(/[^A-Za-z0-9_.-]/g, "_"), name);
}

export type { AgentRun, SpawnRecord };
