// What the reviewer's loop reads about an existing PR: its whole change, its commits (to notice a
// human's push) and the open PRs into a branch (to keep the bot's branches current).
import type { PrCommit, PrFile, PullRequest, RepoRef } from "./types.js";
import type { GitHubContext } from "./octokitLike.js";
import { toPullRequest } from "./githubPulls.js";
import { explained } from "./octokitLike.js";

export async function listPrFiles(ctx: GitHubContext, repo: RepoRef, prNumber: number): Promise<PrFile[]> {
  const files = await explained(`list the files of PR #${prNumber}`, () =>
    ctx.octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", { ...repo, pull_number: prNumber, per_page: 100 }),
  );
  return (files as any[]).map((f) => ({
    path: f.filename,
    status: f.status,
    ...(f.previous_filename ? { previousPath: f.previous_filename } : {}),
    ...(typeof f.patch === "string" ? { patch: f.patch } : {}),
  }));
}

export async function listPrCommits(ctx: GitHubContext, repo: RepoRef, prNumber: number): Promise<PrCommit[]> {
  const commits = await explained(`list the commits of PR #${prNumber}`, () =>
    ctx.octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", { ...repo, pull_number: prNumber, per_page: 100 }),
  );
  return (commits as any[]).map((c) => ({
    sha: c.sha,
    authorLogin: c.author?.login ?? undefined,
    authorEmail: c.commit?.author?.email ?? undefined,
    ...(Array.isArray(c.parents) ? { parentShas: c.parents.map((p: { sha: string }) => p.sha) } : {}),
  }));
}

export async function listOpenPrs(ctx: GitHubContext, repo: RepoRef, base: string): Promise<PullRequest[]> {
  const pulls = await explained(`list the open PRs into ${base}`, () =>
    ctx.octokit.paginate("GET /repos/{owner}/{repo}/pulls", { ...repo, state: "open", base, per_page: 100 }),
  );
  return (pulls as any[]).map(toPullRequest);
}
