// Claims an issue for one poller with a marker comment, checked after setting it: the oldest live
// claim wins, so two pollers racing on the same issue agree on one owner without a lock server.
import type { Octokit } from "@octokit/rest";
import type { RepoRef } from "../forge/index.js";

const claimPrefix = "<!-- autofix:claim:";
/** A claim older than this is from a poller that died; anyone may take over. */
const staleAfterMs = 2 * 60 * 60_000;

export interface Claim {
  commentId: number;
  release(): Promise<void>;
}

interface ClaimComment {
  id: number;
  body?: string;
  created_at: string;
  user: { login: string } | null;
}

export async function claimIssue(octokit: Octokit, repo: RepoRef, issueNumber: number, pollerId: string, login: string): Promise<Claim | undefined> {
  const existing = await liveClaims(octokit, repo, issueNumber, login);
  if (existing.length) return undefined;
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    ...repo,
    issue_number: issueNumber,
    body: `${claimPrefix}${pollerId} -->\n🤖 autofix (poll mode) is working on this issue. This comment is removed when it finishes.`,
  });
  const mine = data.id;
  const release = async () => {
    await octokit.request("DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}", { ...repo, comment_id: mine }).catch(() => undefined);
  };
  // Checked after setting it: the oldest live claim (lowest id on ties) owns the issue.
  const claims = await liveClaims(octokit, repo, issueNumber, login);
  const winner = claims.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id)[0];
  if (!winner || winner.id !== mine) {
    await release();
    return undefined;
  }
  return { commentId: mine, release };
}

async function liveClaims(octokit: Octokit, repo: RepoRef, issueNumber: number, login: string): Promise<ClaimComment[]> {
  const comments = (await octokit.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    ...repo,
    issue_number: issueNumber,
    per_page: 100,
  })) as ClaimComment[];
  const now = Date.now();
  return comments.filter((c) => c.user?.login === login && c.body?.startsWith(claimPrefix) && now - Date.parse(c.created_at) < staleAfterMs);
}
