// The reviewer's loop on the bot's own PRs: a review requesting changes starts a revision, a human's
// push means hands off, a closed PR pauses the issue, a merged one ends its story.
import type { Context } from "probot";
import { z } from "zod";
import type { AutofixConfig } from "../config/index.js";
import type { Forge, RepoRef } from "../forge/index.js";
import { jobKey } from "../jobs/index.js";
import type { AppDeps } from "./handlers.js";
import { repoOf } from "./handlers.js";
import { pause } from "./inert.js";
import { mayTrigger } from "./trigger.js";

const prPayload = z.object({
  pull_request: z.object({
    number: z.number(),
    merged: z.boolean().nullable().optional(),
    head: z.object({ ref: z.string(), repo: z.object({ full_name: z.string() }).nullable() }),
    user: z.object({ login: z.string() }),
  }),
  repository: z.object({ name: z.string(), full_name: z.string(), owner: z.object({ login: z.string() }), delete_branch_on_merge: z.boolean().optional() }),
  sender: z.object({ login: z.string(), type: z.string() }),
  installation: z.object({ id: z.number() }).optional(),
});

/** The issue number when this PR is the bot's own (its branch, in the same repository), else undefined. */
function botIssueOf(payload: z.infer<typeof prPayload>, config: AutofixConfig, botLogin: string | undefined): number | undefined {
  const pr = payload.pull_request;
  if (pr.head.repo?.full_name !== payload.repository.full_name) return undefined;
  if (botLogin && pr.user.login !== botLogin) return undefined;
  const prefix = config.pr.branchPrefix;
  if (!pr.head.ref.startsWith(prefix)) return undefined;
  const m = /^issue-(\d+)$/.exec(pr.head.ref.slice(prefix.length));
  return m ? Number(m[1]) : undefined;
}

async function context_(deps: AppDeps, context: Context) {
  const payload = prPayload.parse(context.payload);
  const loaded = await deps.loadConfig(context);
  if (!loaded.ok) return undefined;
  const botLogin = await deps.botLogin();
  const issueNumber = botIssueOf(payload, loaded.config, botLogin);
  if (issueNumber === undefined) return undefined;
  return { payload, config: loaded.config, botLogin, issueNumber, repo: repoOf(payload), forge: deps.forgeFor(context) };
}

export async function onPullRequestClosed(deps: AppDeps, context: Context<"pull_request.closed">): Promise<void> {
  const c = await context_(deps, context);
  if (!c) return;
  const { payload, repo, forge, issueNumber } = c;
  await deps.queue.cancel(jobKey(repo, issueNumber), `pull request #${payload.pull_request.number} was closed`);
  if (payload.pull_request.merged) {
    // The story ends; tidy the branch unless GitHub already does.
    if (!payload.repository.delete_branch_on_merge) await forge.deleteBranch(repo, payload.pull_request.head.ref);
    return;
  }
  await pause(forge, repo, issueNumber, payload.pull_request.number);
}

const handsOffMarker = "<!-- autofix:hands-off -->";

/** A human pushed to the bot's branch: say once that the bot will build on top from now on. */
export async function onPullRequestSynchronize(deps: AppDeps, context: Context<"pull_request.synchronize">): Promise<void> {
  const c = await context_(deps, context);
  if (!c || c.payload.sender.login === c.botLogin) return;
  await c.forge.ensureStatusComment(
    c.repo,
    c.payload.pull_request.number,
    handsOffMarker,
    `${handsOffMarker}\n👋 @\u200b${c.payload.sender.login} pushed to \`${c.payload.pull_request.head.ref}\`. From now on autofix will never force-push this branch: \`/autofix revise\`, \`/autofix retry\` and reviews add commits on top of yours.`,
  );
}

const reviewPayload = prPayload.extend({
  review: z.object({ id: z.number(), state: z.string(), body: z.string().nullable(), user: z.object({ login: z.string(), type: z.string() }) }),
});

export async function onReviewSubmitted(deps: AppDeps, context: Context<"pull_request_review.submitted">): Promise<void> {
  const review = reviewPayload.parse(context.payload).review;
  if (review.state.toLowerCase() !== "changes_requested") return;
  const c = await context_(deps, context);
  if (!c || !c.config.pr.reviseOnChangesRequested) return;
  const decision = await mayTrigger({
    forge: c.forge,
    repo: c.repo,
    sender: review.user,
    config: c.config,
    botLogin: c.botLogin,
    action: "revise this pull request",
  });
  if (!decision.allowed) {
    if (decision.explain) await c.forge.comment(c.repo, c.payload.pull_request.number, decision.explain);
    return;
  }
  const comments = await reviewComments(context, c.repo, c.payload.pull_request.number, review.id);
  const instructions = [review.body?.trim() ? `Review summary: ${review.body.trim()}` : "", ...comments].filter(Boolean).join("\n");
  await c.forge.addReaction(c.repo, { issueNumber: c.payload.pull_request.number }, "eyes");
  await deps.queue.enqueue({
    repo: c.repo,
    issueNumber: c.issueNumber,
    installationId: c.payload.installation?.id,
    trigger: "review",
    requestedBy: review.user.login,
    deliveryId: context.id,
    instructions: instructions || "The reviewer requested changes without comments: re-read the issue and improve the change.",
    prNumber: c.payload.pull_request.number,
  });
}

async function reviewComments(context: Context, repo: RepoRef, prNumber: number, reviewId: number): Promise<string[]> {
  const data = (await context.octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments", {
    ...repo,
    pull_number: prNumber,
    review_id: reviewId,
    per_page: 100,
  })) as { path: string; line?: number | null; original_line?: number | null; body: string }[];
  return data.map((c) => `- ${c.path}${(c.line ?? c.original_line) ? `:${c.line ?? c.original_line}` : ""}: ${c.body}`);
}

export type { Forge };
