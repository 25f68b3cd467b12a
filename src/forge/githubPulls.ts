// Pull-request side of the GitHub forge. ensurePr looks the PR up by head branch before creating one:
// that lookup is what keeps "crash between push and PR creation" from ever opening a second PR.
import type { PullRequest, RepoRef, ReviewCommentInput } from "./types.js";
import { bodyMaxChars, type GitHubContext } from "./githubIssues.js";
import { truncateForGitHub } from "./githubChecks.js";
import { explainRequestError, explained, statusOf, tolerating } from "./octokitLike.js";

export function toPullRequest(data: any): PullRequest {
  return {
    number: data.number,
    htmlUrl: data.html_url,
    headRef: data.head.ref,
    headSha: data.head.sha,
    baseRef: data.base.ref,
    state: data.state === "closed" ? "closed" : "open",
    merged: data.merged === true || Boolean(data.merged_at),
    draft: data.draft === true,
    mergeable: typeof data.mergeable === "boolean" ? data.mergeable : null,
  };
}

export async function findOpenPrByHead(ctx: GitHubContext, repo: RepoRef, branch: string): Promise<PullRequest | undefined> {
  const { data } = await explained(`look up the open PR of branch ${branch}`, () =>
    ctx.octokit.request("GET /repos/{owner}/{repo}/pulls", {
      ...repo,
      head: `${repo.owner}:${branch}`,
      state: "open",
      per_page: 10,
    }),
  );
  // The head filter matches the owner's account: a same-owner fork with the same branch must not match.
  const fullName = `${repo.owner}/${repo.repo}`.toLowerCase();
  const found = (data as any[]).find((pr) => pr.head?.ref === branch && (!pr.head?.repo || String(pr.head.repo.full_name).toLowerCase() === fullName));
  return found ? toPullRequest(found) : undefined;
}

export async function getPr(ctx: GitHubContext, repo: RepoRef, prNumber: number): Promise<PullRequest> {
  const { data } = await explained(`read PR #${prNumber} of ${repo.owner}/${repo.repo}`, () =>
    ctx.octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { ...repo, pull_number: prNumber }),
  );
  return toPullRequest(data);
}

async function setDraft(ctx: GitHubContext, pr: { node_id?: string; number: number }, draft: boolean): Promise<boolean> {
  // REST cannot change a PR's draft state; only GraphQL can (and only on plans that allow drafts).
  if (!ctx.octokit.graphql || !pr.node_id) {
    ctx.log.warn({ pr: pr.number, draft }, "cannot change the PR's draft state: this Octokit has no GraphQL client");
    return false;
  }
  const mutation = draft
    ? "mutation($id: ID!) { convertPullRequestToDraft(input: { pullRequestId: $id }) { pullRequest { isDraft } } }"
    : "mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }";
  try {
    await ctx.octokit.graphql(mutation, { id: pr.node_id });
    return true;
  } catch (err) {
    ctx.log.warn({ pr: pr.number, draft, err: String(err) }, "GitHub refused to change the PR's draft state; left as is");
    return false;
  }
}

async function updateOpenPr(
  ctx: GitHubContext,
  repo: RepoRef,
  prNumber: number,
  wanted: { base: string; title: string; body: string; draft: boolean },
): Promise<PullRequest> {
  const { data: current } = await explained(`read PR #${prNumber}`, () =>
    ctx.octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { ...repo, pull_number: prNumber }),
  );
  let latest = current;
  if (current.title !== wanted.title || (current.body ?? "") !== wanted.body || current.base?.ref !== wanted.base) {
    latest = (
      await explained(`update PR #${prNumber}`, () =>
        ctx.octokit.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
          ...repo,
          pull_number: prNumber,
          title: wanted.title,
          body: wanted.body,
          base: wanted.base,
        }),
      )
    ).data;
  }
  const pr = toPullRequest(latest);
  if (pr.draft !== wanted.draft && (await setDraft(ctx, current, wanted.draft))) pr.draft = wanted.draft;
  return pr;
}

export async function ensurePr(
  ctx: GitHubContext,
  repo: RepoRef,
  requested: { head: string; base: string; title: string; body: string; draft: boolean },
): Promise<PullRequest & { created: boolean }> {
  const wanted = { ...requested, body: truncateForGitHub(requested.body, bodyMaxChars) };
  const open = await findOpenPrByHead(ctx, repo, wanted.head);
  if (open) return { ...(await updateOpenPr(ctx, repo, open.number, wanted)), created: false };
  const create = (draft: boolean) =>
    ctx.octokit.request("POST /repos/{owner}/{repo}/pulls", {
      ...repo,
      head: wanted.head,
      base: wanted.base,
      title: wanted.title,
      body: wanted.body,
      draft,
      // No maintainer_can_modify: it is only valid for cross-repo PRs; on a same-repo PR GitHub may answer
      // 422 "Fork collab can only be enabled on cross-repo pull requests" (JuliaPackaging/BinaryBuilder.jl#1448).
    });
  try {
    return { ...toPullRequest((await create(wanted.draft)).data), created: true };
  } catch (err) {
    if (statusOf(err) !== 422) throw explainRequestError(err, `open a PR from ${wanted.head} into ${wanted.base}`);
    // 422 "A pull request already exists": another worker won the race since our lookup; adopt its PR.
    const raced = await findOpenPrByHead(ctx, repo, wanted.head);
    if (raced) return { ...(await updateOpenPr(ctx, repo, raced.number, wanted)), created: false };
    // 422 "Draft pull requests are not supported in this repository" (private repos on some plans).
    if (wanted.draft && /draft/i.test(JSON.stringify((err as { response?: { data?: unknown } }).response?.data ?? ""))) {
      ctx.log.warn({ head: wanted.head }, "draft PRs are not available in this repository; opening a regular PR");
      try {
        return { ...toPullRequest((await create(false)).data), created: true };
      } catch (retryErr) {
        throw explainRequestError(retryErr, `open a PR from ${wanted.head} into ${wanted.base}`);
      }
    }
    throw explainRequestError(err, `open a PR from ${wanted.head} into ${wanted.base}`);
  }
}

export async function requestReviewers(ctx: GitHubContext, repo: RepoRef, prNumber: number, reviewers: string[]): Promise<void> {
  const pr = await explained(`read PR #${prNumber}`, () =>
    ctx.octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { ...repo, pull_number: prNumber }),
  );
  const author = pr.data.user?.login?.toLowerCase();
  // GitHub refuses a review request to the PR's author; the bot itself cannot review either.
  const wanted = [...new Set(reviewers)].filter((login) => login.toLowerCase() !== author && login.toLowerCase() !== ctx.botLogin?.toLowerCase());
  if (wanted.length === 0) return;
  const ask = (logins: string[]) =>
    ctx.octokit.request("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", {
      ...repo,
      pull_number: prNumber,
      reviewers: logins,
    });
  try {
    await ask(wanted);
    return;
  } catch (err) {
    if (statusOf(err) !== 422) throw explainRequestError(err, `request reviews on PR #${prNumber}`);
    if (wanted.length === 1) {
      ctx.log.warn({ pr: prNumber, reviewer: wanted[0] }, "review request refused (not a collaborator on this repository); skipped");
      return;
    }
  }
  // One unknown login makes GitHub refuse the whole list, so ask for each one alone.
  for (const login of wanted) {
    try {
      await ask([login]);
    } catch (err) {
      if (statusOf(err) !== 422) throw err;
      ctx.log.warn({ pr: prNumber, reviewer: login }, "review request refused (not a collaborator on this repository); skipped");
    }
  }
}

function commentsAsText(comments: ReviewCommentInput[]): string {
  return comments.map((c) => `- \`${c.path}:${c.line}\`: ${c.body.replace(/\n/g, "\n  ")}`).join("\n");
}

export async function createReview(
  ctx: GitHubContext,
  repo: RepoRef,
  prNumber: number,
  review: { commitSha: string; body: string; comments: ReviewCommentInput[] },
): Promise<void> {
  const post = (body: string, comments: ReviewCommentInput[]) =>
    ctx.octokit.request("POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews", {
      ...repo,
      pull_number: prNumber,
      commit_id: review.commitSha,
      event: "COMMENT",
      body: truncateForGitHub(body, bodyMaxChars),
      comments: comments.map((c) => ({ path: c.path, line: c.line, side: "RIGHT", body: c.body })),
    });
  try {
    await post(review.body, review.comments);
  } catch (err) {
    // 422: a comment points at a line outside the diff. Keep every word by moving them into the body.
    if (statusOf(err) !== 422 || review.comments.length === 0) {
      throw explainRequestError(err, `review PR #${prNumber}`);
    }
    ctx.log.warn({ pr: prNumber, comments: review.comments.length }, "inline review comments refused; posting them in the review body");
    const body = `${review.body}\n\n**Comments on specific lines** (GitHub could not place them inline):\n${commentsAsText(review.comments)}`;
    await explained(`review PR #${prNumber}`, () => post(body, []));
  }
}

export async function deleteBranch(ctx: GitHubContext, repo: RepoRef, branch: string): Promise<void> {
  // 404/422: the branch is already gone (merged PRs often delete it): the wanted state holds.
  await explained(`delete branch ${branch}`, () =>
    tolerating([404, 422], () => ctx.octokit.request("DELETE /repos/{owner}/{repo}/git/refs/{ref}", { ...repo, ref: `heads/${branch}` })),
  );
}
