// Issues side of the GitHub forge: reading an issue with its human comments, the status comment kept
// in place by its hidden marker, plain comments, reactions and labels.
import type { Issue, IssueComment, RepoRef } from "./types.js";
import { createOnce, explained, tolerating, type GitHubContext } from "./octokitLike.js";
export type { GitHubContext };
import { truncateForGitHub } from "./githubChecks.js";

/** GitHub refuses issue comments, PR bodies and review bodies longer than this (HTTP 422 "body is too long"). */
export const bodyMaxChars = 65_536;

const perPage = 100;

interface RawComment {
  id: number;
  body?: string | null;
  created_at: string;
  user: { login: string; type: string } | null;
}

function toComment(raw: RawComment): IssueComment {
  return {
    id: raw.id,
    author: raw.user?.login ?? "ghost",
    authorIsBot: raw.user?.type === "Bot",
    body: raw.body ?? "",
    createdAt: raw.created_at,
  };
}

function isOwnComment(ctx: GitHubContext, raw: RawComment): boolean {
  if (ctx.botLogin) return raw.user?.login === ctx.botLogin;
  return raw.user?.type === "Bot";
}

/**
 * Comments that are not human input: any Bot account's, and the bot's own. When the "bot" is a person's
 * token (the CLI), only that person's autofix-marked comments are the bot's; their own words still count.
 */
function isBotOutput(ctx: GitHubContext, raw: RawComment): boolean {
  if (raw.user?.type === "Bot") return true;
  if (!ctx.botLogin || raw.user?.login !== ctx.botLogin) return false;
  return ctx.botLogin.endsWith("[bot]") || (raw.body ?? "").includes("<!-- autofix:");
}

async function listComments(ctx: GitHubContext, repo: RepoRef, issueNumber: number): Promise<RawComment[]> {
  return explained(`list the comments of issue #${issueNumber} in ${repo.owner}/${repo.repo}`, () =>
    ctx.octokit.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...repo,
      issue_number: issueNumber,
      per_page: perPage,
    }),
  );
}

export async function getIssue(ctx: GitHubContext, repo: RepoRef, issueNumber: number): Promise<Issue> {
  const { data } = await explained(`read issue #${issueNumber} of ${repo.owner}/${repo.repo}`, () =>
    ctx.octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", { ...repo, issue_number: issueNumber }),
  );
  const comments = (await listComments(ctx, repo, issueNumber)).filter((raw) => !isBotOutput(ctx, raw)).map(toComment);
  return {
    number: data.number,
    title: data.title ?? "",
    body: data.body ?? "",
    author: data.user?.login ?? "ghost",
    state: data.state === "closed" ? "closed" : "open",
    labels: (data.labels ?? []).map((label: string | { name?: string }) => (typeof label === "string" ? label : (label.name ?? ""))).filter(Boolean),
    htmlUrl: data.html_url,
    comments,
  };
}

export async function ensureStatusComment(ctx: GitHubContext, repo: RepoRef, issueNumber: number, marker: string, body: string): Promise<number> {
  // The marker is what finds the comment again after a restart or a redelivery, so it must be in the body.
  const fullBody = truncateForGitHub(body.includes(marker) ? body : `${marker}\n${body}`, bodyMaxChars);
  const key = `${repo.owner}/${repo.repo}#${issueNumber} ${marker}`;
  const known = ctx.statusComments?.get(key);
  if (known) {
    if (known.body === fullBody) return known.id;
    // 404: someone deleted the comment since; find or create it again below.
    const edited = await explained(`update the status comment on issue #${issueNumber}`, () =>
      tolerating([404], () => editComment(ctx, repo, known.id, fullBody)),
    );
    if (edited) {
      ctx.statusComments?.set(key, { id: known.id, body: fullBody });
      return known.id;
    }
    ctx.statusComments?.delete(key);
  }
  const existing = (await listComments(ctx, repo, issueNumber)).find((raw) => isOwnComment(ctx, raw) && (raw.body ?? "").includes(marker));
  if (existing && existing.body !== fullBody) {
    await explained(`update the status comment on issue #${issueNumber}`, () => editComment(ctx, repo, existing.id, fullBody));
  }
  const id = existing
    ? existing.id
    : await createOnce(
        (noRetry) =>
          explained(`comment on issue #${issueNumber} of ${repo.owner}/${repo.repo}`, () =>
            ctx.octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
              ...repo,
              issue_number: issueNumber,
              body: fullBody,
              ...noRetry,
            }),
          ).then(({ data }) => data.id as number),
        async () => (await listComments(ctx, repo, issueNumber)).find((raw) => isOwnComment(ctx, raw) && (raw.body ?? "").includes(marker))?.id,
      );
  ctx.statusComments?.set(key, { id, body: fullBody });
  return id;
}

function editComment(ctx: GitHubContext, repo: RepoRef, commentId: number, body: string) {
  return ctx.octokit.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", { ...repo, comment_id: commentId, body });
}

export async function comment(ctx: GitHubContext, repo: RepoRef, issueNumber: number, body: string): Promise<number> {
  const { data } = await explained(`comment on issue #${issueNumber} of ${repo.owner}/${repo.repo}`, () =>
    ctx.octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...repo,
      issue_number: issueNumber,
      body: truncateForGitHub(body, bodyMaxChars),
    }),
  );
  return data.id;
}

export async function addReaction(
  ctx: GitHubContext,
  repo: RepoRef,
  target: { issueNumber: number } | { commentId: number },
  content: "eyes" | "+1" | "rocket" | "confused",
): Promise<void> {
  // GitHub answers 200 instead of 201 when the reaction already exists, so this is idempotent as is.
  if ("commentId" in target) {
    await explained(`react to comment ${target.commentId}`, () =>
      ctx.octokit.request("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", {
        ...repo,
        comment_id: target.commentId,
        content,
      }),
    );
    return;
  }
  await explained(`react to issue #${target.issueNumber}`, () =>
    ctx.octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/reactions", {
      ...repo,
      issue_number: target.issueNumber,
      content,
    }),
  );
}

export async function addLabels(ctx: GitHubContext, repo: RepoRef, issueNumber: number, labels: string[]): Promise<void> {
  if (labels.length === 0) return;
  await explained(`label #${issueNumber} with ${labels.join(", ")}`, () =>
    ctx.octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", { ...repo, issue_number: issueNumber, labels }),
  );
}

export async function removeLabel(ctx: GitHubContext, repo: RepoRef, issueNumber: number, label: string): Promise<void> {
  // 404: the label is not on the issue (already removed by someone): the wanted state holds.
  await explained(`remove the label ${label} from #${issueNumber}`, () =>
    tolerating([404], () =>
      ctx.octokit.request("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", {
        ...repo,
        issue_number: issueNumber,
        name: label,
      }),
    ),
  );
}
