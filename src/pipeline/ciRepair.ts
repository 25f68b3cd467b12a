// A red CI becomes one more revision: what failed (check output, annotations, the Actions log of the
// failing step) goes to the agent in a new spawn from the PR head, through the same path as
// `/autofix revise`, with the attempts and spend the job has left.
import type { JobContext, JobOutcome, StepRecord } from "../jobs/index.js";
import { decide, renderCiRepairReport, type CiFailureDetail, type CiVerdict, type GateResult } from "../gates/index.js";
import type { Usage } from "../llm/index.js";
import type { PipelineEnv } from "./context.js";
import { cleanupJobDirs } from "./jobDirs.js";

/** What a waiting job keeps between claims: where the round started and what the PR is. */
export interface CiRound {
  round: number;
  headSha: string;
  startedAtMs: number;
  prNumber: number;
  prUrl: string;
  /** The branch the PR merges into (its head checks are the base of comparison). */
  baseBranch: string;
  /** The publish outcome the CI wait qualifies (pr-opened or pr-updated). */
  outcome: JobOutcome;
}

export type Rerun = (ctx: JobContext, env: PipelineEnv) => Promise<JobOutcome>;

/** At most this many failing checks are detailed for the agent; the rest are named. */
const maxDetailed = 5;

export interface JobSpend {
  attempts: number;
  tokens: number;
  costUsd: number;
}

/** Agent attempts and spend recorded on the job so far, the CI repairs' included. */
export function spentSoFar(steps: StepRecord[]): JobSpend {
  const spent: JobSpend = { attempts: 0, tokens: 0, costUsd: 0 };
  const add = (u: Usage | undefined) => {
    if (!u) return;
    spent.tokens += u.inputTokens + u.outputTokens;
    spent.costUsd += u.costUsd ?? 0;
  };
  for (const s of steps) {
    if (s.status !== "done") continue;
    if (/(^|\/)agent-\d+$/.test(s.name)) {
      spent.attempts++;
      add((s.output as { agent?: { usage?: Usage } } | undefined)?.agent?.usage);
    } else if (/(^|\/)gates-\d+$/.test(s.name)) {
      for (const r of (s.output as { results?: { usage?: Usage }[] } | undefined)?.results ?? []) add(r.usage);
    }
  }
  return spent;
}

export function repairAllowance(
  ctx: JobContext,
  env: PipelineEnv,
): { ok: true; attempts: number; tokens: number; costUsd: number } | { ok: false; why: string } {
  const limits = env.config.limits;
  const spent = spentSoFar(ctx.job.steps);
  const attempts = limits.attempts - spent.attempts;
  if (attempts < 1) return { ok: false, why: `the job used all ${limits.attempts} of its agent attempts (\`limits.attempts\`).` };
  if (spent.tokens >= limits.maxTokens)
    return { ok: false, why: `the job spent its ${limits.maxTokens.toLocaleString("en-US")} tokens (\`limits.maxTokens\`).` };
  if (spent.costUsd >= limits.maxCostUsd) return { ok: false, why: `the job spent its $${limits.maxCostUsd} (\`limits.maxCostUsd\`).` };
  return { ok: true, attempts, tokens: limits.maxTokens - spent.tokens, costUsd: limits.maxCostUsd - spent.costUsd };
}

async function failureDetails(env: PipelineEnv, ctx: JobContext, round: CiRound, failing: CiVerdict & { status: "red" }): Promise<CiFailureDetail[]> {
  const repo = ctx.job.spec.repo;
  const runs = (await env.forge.listCheckRuns?.(repo, round.headSha)) ?? [];
  const details: CiFailureDetail[] = [];
  for (const check of failing.failing.slice(0, maxDetailed)) {
    const run = runs.find((r) => r.id === check.checkRunId);
    const annotations = check.checkRunId ? ((await env.forge.listCheckAnnotations?.(repo, check.checkRunId)) ?? []) : [];
    const job = check.checkRunId && check.appSlug === "github-actions" ? await env.forge.getActionsJobLog?.(repo, check.checkRunId) : undefined;
    details.push({ check, output: run?.output, annotations, job });
  }
  return details;
}

/** The gates the repair's last attempt failed, read from its recorded steps. */
function repairGatesFailing(ctx: JobContext, round: number, env: PipelineEnv): string[] {
  const pattern = new RegExp(`^ci-${round}/gates-(\\d+)$`);
  const last = ctx.job.steps
    .filter((s) => s.status === "done" && pattern.test(s.name))
    .sort((a, b) => Number(pattern.exec(a.name)![1]) - Number(pattern.exec(b.name)![1]))
    .at(-1);
  const results = (last?.output as { results?: GateResult[] } | undefined)?.results;
  return results ? decide(results, env.config).failing : ["deterministic"];
}

/** Runs the repair revision; `round` when it pushed a commit whose CI is followed next. */
export async function repairAfterCi(
  ctx: JobContext,
  env: PipelineEnv,
  round: CiRound,
  verdict: CiVerdict & { status: "red" },
  rerun: Rerun,
): Promise<{ kind: "round" | "ended"; outcome: JobOutcome }> {
  const allowance = repairAllowance(ctx, env);
  if (!allowance.ok) return { kind: "ended", outcome: { ...round.outcome, message: allowance.why } };
  const report = await ctx.step(`ci-${round.round}-report`, async () => ({ text: renderCiRepairReport(await failureDetails(env, ctx, round, verdict)) }));
  const names = verdict.failing.map((c) => c.name).join(", ");
  const limits = env.config.limits;
  const elapsedMin = (Date.now() - new Date(ctx.job.createdAt).getTime()) / 60_000;
  const repairEnv: PipelineEnv = {
    ...env,
    // Waiting for CI does not count against the wall-time cap; attempts, tokens and cost do.
    config: {
      ...env.config,
      limits: {
        ...limits,
        attempts: allowance.attempts,
        maxTokens: allowance.tokens,
        maxCostUsd: allowance.costUsd,
        maxWallMinutes: elapsedMin + limits.maxWallMinutes,
      },
    },
    // CI output is written by code under test: it reaches the agent as a gate report (data), never as instructions.
    repairReports: [report.text],
    revisionReason: `the repository's CI failed (${names})`,
    ciFollow: false,
  };
  const repairId = `${ctx.job.id}-ci${round.round}`;
  const repairCtx: JobContext = {
    // A revision of the PR whatever started the job (a branch update must not dispatch to itself again).
    job: { ...ctx.job, id: repairId, spec: { ...ctx.job.spec, trigger: "revise", instructions: undefined } },
    signal: ctx.signal,
    step: (name, fn) => ctx.step(`ci-${round.round}/${name}`, fn),
    progress: (update) => ctx.progress(update),
  };
  try {
    const outcome = await rerun(repairCtx, repairEnv);
    if (outcome.kind !== "pr-updated" || outcome.prNumber === undefined) return { kind: "ended", outcome };
    // With `pr.onGateFailure: draft` a repair that failed its gates is pushed too: never follow (and make ready) that.
    const failing = repairGatesFailing(ctx, round.round, repairEnv);
    if (failing.length)
      return { kind: "ended", outcome: { ...outcome, message: `The repair commit did not pass the ${failing.join(", ")} gate(s); see its check runs.` } };
    return { kind: "round", outcome };
  } finally {
    await cleanupJobDirs(repairId, env.paths.workRoot, env.paths.scratchRoot);
  }
}
