// The only step holding a credential that writes to the repository: absorb the delta onto the base
// branch's current head, push `autofix/issue-N`, then open or update the one PR and its check runs.
import { rm } from "node:fs/promises";
import type { JobContext } from "../jobs/index.js";
import type { SpawnKeeper } from "./spawnKeeper.js";
import { absorb } from "../engine/index.js";
import type { Budget, SpendLimitReached } from "./budget.js";
import { isAutofixError } from "../errors.js";
import { mapFindingsToDiff } from "../gates/index.js";
import type { GateName, GateResult } from "../gates/index.js";
import { pushBranch } from "../engine/index.js";
import { neutralizeMentions, renderCheckRun, renderPrBody, renderPrTitle } from "./render.js";
import { agentOutcomeLines, gatesSentence, isPartialChange } from "./agentReport.js";
import type { AttemptRecord, PipelineEnv, PublishResult, ResolvedTarget } from "./context.js";
import type { StatusReporter } from "./status.js";
import type { RepoSource } from "../engine/index.js";

export interface PublishInput {
  ctx: JobContext;
  env: PipelineEnv;
  target: ResolvedTarget;
  source: RepoSource;
  keeper: SpawnKeeper;
  last: { attempt: AttemptRecord; results: GateResult[] };
  status: StatusReporter;
  budget: Budget;
}

interface PushRecord {
  commitSha: string;
  parentSha: string;
  branch: string;
}

function commitMessage(input: PublishInput): string {
  const { target, ctx } = input;
  const { requestedBy: login, requestedById: id } = ctx.job.spec;
  // GitHub attributes a co-author by a verified email or the noreply address, which carries the id.
  const email = id ? `${id}+${login}@users.noreply.github.com` : `${login}@users.noreply.github.com`;
  return [renderPrTitle(target.issue.number, target.issue.title), "", `Fixes #${target.issue.number}`, "", `Co-authored-by: ${login} <${email}>`].join("\n");
}

/** Absorb and push as one step: until the push succeeds nothing is published, so redoing it is safe. */
async function absorbAndPush(input: PublishInput, branch: string): Promise<PushRecord> {
  const { env, target, source, keeper, last, ctx } = input;
  await input.status.phase({ phase: "absorb" });
  const absorbed = await absorb({
    delta: last.attempt.delta,
    baseline: keeper.baseline,
    source,
    // A revision adds a commit on top of the PR (a human's commits included), never replacing it.
    onto: target.mode === "revision" ? target.branch : target.baseBranch,
    cacheRoot: env.paths.cacheRoot,
    workRoot: env.paths.workRoot,
    message: commitMessage(input),
    author: env.author,
    signal: ctx.signal,
    jobId: ctx.job.id,
    engine: env.engine,
  });
  try {
    await pushBranch({ gitdir: absorbed.gitdir, source, branch, commitSha: absorbed.commitSha, force: target.mode === "fresh", signal: ctx.signal });
  } finally {
    await rm(absorbed.gitdir, { recursive: true, force: true });
  }
  return { commitSha: absorbed.commitSha, parentSha: absorbed.parentSha, branch };
}

async function publishChecks(input: PublishInput, headSha: string): Promise<Partial<Record<GateName, string>>> {
  const urls: Partial<Record<GateName, string>> = {};
  for (const result of input.last.results) {
    const check = await input.env.forge.ensureCheckRun(input.ctx.job.spec.repo, renderCheckRun(result, headSha));
    urls[result.gate] = check.htmlUrl;
  }
  return urls;
}

async function conflictOutcome(input: PublishInput, err: unknown): Promise<PublishResult | undefined> {
  if (!isAutofixError(err) || err.code !== "MERGE_CONFLICT") return undefined;
  const e = err.explanation;
  await input.status.final("⚠️ **autofix could not apply its change onto the current base branch.**", [e.what, e.why, "", e.next]);
  return { outcome: { kind: "conflict", message: `${e.what} ${e.why} ${e.next}` } };
}

export async function publishPullRequest(input: PublishInput & { draft: boolean; failing: GateName[] }): Promise<PublishResult> {
  const { ctx, env, target, last, budget } = input;
  const repo = ctx.job.spec.repo;
  let pushed: PushRecord;
  try {
    pushed = await ctx.step("push", () => absorbAndPush(input, target.branch));
  } catch (err) {
    const conflict = await conflictOutcome(input, err);
    if (conflict) return conflict;
    throw err;
  }
  await input.status.phase({ phase: "publish" });
  const bodyInput = {
    issueNumber: target.issue.number,
    issueTitle: target.issue.title,
    delta: last.attempt.delta,
    results: last.results,
    agentRun: last.attempt.agent,
    attempts: last.attempt.attempt,
    spend: budget.total,
    failing: input.failing,
  };
  const prInput = { head: target.branch, base: target.baseBranch, title: renderPrTitle(target.issue.number, target.issue.title), draft: input.draft };
  const pr = await ctx.step("pr", async () => {
    const opened = await env.forge.ensurePr(repo, { ...prInput, body: renderPrBody({ ...bodyInput, checkUrls: {} }) });
    // No PR was open when the job resolved its target, so one found now was opened by this job before a crash.
    return { number: opened.number, htmlUrl: opened.htmlUrl, created: opened.created || !target.pr };
  });
  await ctx.step("checks", async () => {
    const checkUrls = await publishChecks(input, pushed.commitSha);
    await env.forge.ensurePr(repo, { ...prInput, body: renderPrBody({ ...bodyInput, checkUrls }) });
    return { checkUrls };
  });
  await ctx.step("pr-extras", async () => {
    const labels = [...env.config.pr.labels, ...input.failing.map((g) => `autofix: ${g} failed`)];
    if (labels.length) await env.forge.addLabels(repo, pr.number, labels);
    const reviewers = [...new Set([ctx.job.spec.requestedBy, ...env.config.pr.reviewers])];
    await env.forge.requestReviewers(repo, pr.number, reviewers);
    const findings = last.results.find((r) => r.gate === "review")?.findings ?? [];
    if (findings.length) {
      const { inline, body } = mapFindingsToDiff(findings, last.attempt.delta);
      const bodyText = [
        "Findings of the `autofix / review` gate.",
        ...body.map((f) => `- **${f.severity}** \`${f.path}${f.line ? `:${f.line}` : ""}\`: ${neutralizeMentions(f.text)}`),
      ].join("\n");
      await env.forge.createReview(repo, pr.number, {
        commitSha: pushed.commitSha,
        body: bodyText,
        comments: inline.map((f) => ({ path: f.path, line: f.line ?? 1, body: `**${f.severity}**: ${neutralizeMentions(f.text)}` })),
      });
    }
    return {};
  });
  const verb = pr.created ? "opened" : "updated";
  if (env.forge.kind === "local") {
    const message = `The change is committed on local branch ${target.branch} (parent: the current ${target.baseBranch}); the report is ${pr.htmlUrl}.`;
    await input.status.final("✅ **autofix committed the change on a local branch.**", [message]);
    return { outcome: { kind: pr.created ? "pr-opened" : "pr-updated", message, branch: target.branch } };
  }
  const headline = input.failing.length
    ? `📝 **autofix ${verb} a draft pull request: ${pr.htmlUrl}** — the ${input.failing.join(", ")} gate(s) did not pass; see the check runs.`
    : `✅ **autofix ${verb} a pull request: ${pr.htmlUrl}**`;
  const partial = isPartialChange(last.attempt);
  await input.status.final(headline, [
    ...(partial ? [`⏱️ **Partial change:** the agent ran out of time and was stopped; the PR holds what it had written by then.`, ""] : []),
    `Gates: ${gatesSentence(last.results)}`,
    ...agentOutcomeLines(last.attempt.agent).map((l) => `- ${neutralizeMentions(l)}`),
    "",
    "Review it like a colleague's: comment `/autofix revise <instructions>` for changes, `/autofix retry` for a fresh attempt.",
  ]);
  return {
    outcome: {
      kind: pr.created ? "pr-opened" : "pr-updated",
      message: `Pull request ${verb}: ${pr.htmlUrl}`,
      prUrl: pr.htmlUrl,
      prNumber: pr.number,
      branch: target.branch,
    },
  };
}

/** Gates failed after the last attempt (or a guard refused the change): no PR; keep the work on a branch. */
export async function publishFailure(input: PublishInput & { keepBranch: boolean }): Promise<PublishResult> {
  const { ctx, env, target, last } = input;
  const repo = ctx.job.spec.repo;
  const failed = last.results.filter((r) => r.status === "fail" || r.status === "error");
  const names = failed.map((r) => r.gate).join(", ") || "deterministic";
  let branchLine = "";
  let branch: string | undefined;
  if (input.keepBranch) {
    // Never overwrite the branch of an open PR with a change that failed its gates.
    const open = await env.forge.findOpenPrByHead(repo, target.branch);
    branch = open ? `${target.branch}-rejected-${ctx.job.id.slice(0, 8)}` : target.branch;
    try {
      const pushed = await ctx.step("push-kept", () => absorbAndPush(input, branch!));
      await ctx.step("checks-kept", async () => ({ checkUrls: await publishChecks(input, pushed.commitSha) }));
      branchLine = `The agent's change is kept on branch [\`${branch}\`](${target.repo.htmlUrl}/compare/${encodeURIComponent(target.baseBranch)}...${encodeURIComponent(branch)}) so no work is lost.`;
    } catch (err) {
      if (!(isAutofixError(err) && err.code === "MERGE_CONFLICT")) throw err;
      branch = undefined;
      branchLine = "The change could not be kept on a branch because it conflicts with the current base branch.";
    }
  }
  const reasons = failed.flatMap((r) => [`**${r.gate}**: ${neutralizeMentions(r.summary)}`, ...r.reasons.map((x) => `  - ${neutralizeMentions(x)}`)]);
  const guardLines = last.attempt.violations.map((v) => `- ${neutralizeMentions(v.message)}`);
  const said = agentOutcomeLines(last.attempt.agent);
  const details = [
    `After ${last.attempt.attempt} attempt(s), the ${names} gate(s) did not pass, so no pull request was opened.`,
    "",
    ...(said.length ? ["What the agent reported:", ...said.map((l) => `- ${neutralizeMentions(l)}`), ""] : []),
    ...(guardLines.length ? ["Guards:", ...guardLines, ""] : []),
    ...reasons.map((r) => (r.startsWith("  ") ? r : `- ${r}`)),
    "",
    branchLine,
    "",
    "What next: clarify the issue and comment `/autofix retry`, or set `pr.onGateFailure: draft` in `.github/autofix.yml` to get a draft PR for changes that fail their gates.",
  ];
  await input.status.final(`❌ **autofix did not open a pull request: the ${names} gate(s) failed.**`, details);
  const kind = last.attempt.violations.length ? "guard-refused" : "gates-failed";
  return { outcome: { kind, message: `The ${names} gate(s) failed; no pull request was opened.${branch ? ` Work kept on ${branch}.` : ""}`, branch } };
}

/**
 * A spend cap stopped the run: no PR (the change may not have passed its gates), but the agent's work so
 * far is kept on a branch unless a guard refused it, and the status comment names the cap and the setting.
 */
export async function publishAtLimit(input: PublishInput, limit: SpendLimitReached): Promise<PublishResult> {
  const { ctx, env, target, last } = input;
  const e = limit.explanation;
  let branch: string | undefined;
  let branchLine = "";
  if (last.attempt.delta.files.length > 0 && last.attempt.violations.length === 0) {
    // Never put unfinished work on the branch of an open PR.
    const open = await env.forge.findOpenPrByHead(ctx.job.spec.repo, target.branch);
    branch = open ? `${target.branch}-limit-${ctx.job.id.slice(0, 8)}` : target.branch;
    try {
      await ctx.step("push-kept", () => absorbAndPush(input, branch!));
      branchLine = `The agent's change so far is kept on branch [\`${branch}\`](${target.repo.htmlUrl}/compare/${encodeURIComponent(target.baseBranch)}...${encodeURIComponent(branch)}), unreviewed, so no work is lost.`;
    } catch (err) {
      if (!(isAutofixError(err) && err.code === "MERGE_CONFLICT")) throw err;
      branch = undefined;
      branchLine = "The change could not be kept on a branch because it conflicts with the current base branch.";
    }
  }
  const cap = String(limit.data.cap);
  await input.status.final(`🛑 **autofix stopped: this job reached its ${cap} cap.** No pull request was opened.`, [
    e.what,
    e.why,
    "",
    ...(branchLine ? [branchLine, ""] : []),
    `What next: ${e.next}`,
  ]);
  return { outcome: { kind: "limit-reached", message: `${e.what} ${e.next}${branch ? ` Work kept on ${branch}.` : ""}`, branch } };
}
