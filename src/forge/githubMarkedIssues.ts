// Issues the bot keeps itself (the dashboard): found again by a hidden marker in the body, so a restart
// or a redelivery finds the one issue instead of opening a second.
import type { MarkedIssue, RepoRef } from "./types.js";
import { bodyMaxChars } from "./githubIssues.js";
import type { GitHubContext } from "./octokitLike.js";
import { truncateForGitHub } from "./githubChecks.js";
import { createOnce, explained, tolerating } from "./octokitLike.js";

interface RawIssue {
  number: number;
  state: string;
  body?: string | null;
  html_url: string;
  pull_request?: unknown;
  user?: { login?: string; type?: string } | null;
}

function toMarkedIssue(data: RawIssue): MarkedIssue {
  return { number: data.number, state: data.state === "closed" ? "closed" : "open", body: data.body ?? "", htmlUrl: data.html_url };
}

function isOwn(ctx: GitHubContext, data: RawIssue): boolean {
  if (ctx.botLogin) return data.user?.login === ctx.botLogin;
  return data.user?.type === "Bot";
}

/** The bot's own issues carrying `marker`, newest first; stops at the first match unless `all`. */
async function scanMarked(ctx: GitHubContext, repo: RepoRef, marker: string, all: boolean): Promise<MarkedIssue[]> {
  const matches: MarkedIssue[] = [];
  // Newest first, a few pages at most: the dashboard is recreated only when deleted, so it is rarely old and buried.
  for (let page = 1; page <= 5; page++) {
    const { data } = await explained(`list the issues of ${repo.owner}/${repo.repo}`, () =>
      ctx.octokit.request("GET /repos/{owner}/{repo}/issues", { ...repo, state: "all", sort: "created", direction: "desc", per_page: 100, page }),
    );
    const items = data as RawIssue[];
    for (const i of items) {
      if (i.pull_request || !isOwn(ctx, i) || !String(i.body ?? "").includes(marker)) continue;
      matches.push(toMarkedIssue(i));
      if (!all) return matches;
    }
    if (items.length < 100) break;
  }
  return matches;
}

export async function findIssueByMarker(ctx: GitHubContext, repo: RepoRef, marker: string): Promise<MarkedIssue | undefined> {
  return (await scanMarked(ctx, repo, marker, false))[0];
}

export async function listIssuesByMarker(ctx: GitHubContext, repo: RepoRef, marker: string): Promise<MarkedIssue[]> {
  return scanMarked(ctx, repo, marker, true);
}

export async function createIssue(ctx: GitHubContext, repo: RepoRef, issue: { title: string; body: string }, marker?: string): Promise<MarkedIssue> {
  const body = truncateForGitHub(issue.body, bodyMaxChars);
  return createOnce(
    (noRetry) =>
      explained(`open an issue in ${repo.owner}/${repo.repo}`, () =>
        ctx.octokit.request("POST /repos/{owner}/{repo}/issues", { ...repo, title: issue.title, body, ...noRetry }),
      ).then(({ data }) => toMarkedIssue(data as RawIssue)),
    async () => (marker ? findIssueByMarker(ctx, repo, marker) : undefined),
  );
}

export async function updateIssue(
  ctx: GitHubContext,
  repo: RepoRef,
  issueNumber: number,
  issue: { title?: string; body?: string; state?: "open" | "closed" },
): Promise<MarkedIssue | undefined> {
  const fields = { ...issue, ...(issue.body !== undefined ? { body: truncateForGitHub(issue.body, bodyMaxChars) } : {}) };
  // 404/410: the issue was deleted (or transferred away); the caller creates a new one.
  const answer = await explained(`update issue #${issueNumber}`, () =>
    tolerating([404, 410], () => ctx.octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...repo, issue_number: issueNumber, ...fields })),
  );
  return answer ? toMarkedIssue(answer.data as RawIssue) : undefined;
}
