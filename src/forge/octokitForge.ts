// The GitHub forge: the Forge port implemented over any Octokit (Probot's context.octokit or
// @octokit/rest), with no hard-coded host so GitHub Enterprise Server works through the Octokit's baseUrl.
import { permissionLevels, type PermissionLevel } from "./types.js";
import type { Forge, GitCredentials, RepoInfo, RepoRef } from "./types.js";
import { explained, silentLogger, tolerating, type ForgeLogger, type OctokitLike } from "./octokitLike.js";
import * as issues from "./githubIssues.js";
import * as pulls from "./githubPulls.js";
import * as history from "./githubHistory.js";
import { ensureCheckRun } from "./githubChecks.js";
import * as ci from "./githubCi.js";
import * as marked from "./githubMarkedIssues.js";

export interface OctokitForgeOptions {
  /** The bot's login (`<app-slug>[bot]`, or the token owner for the CLI): its comments are its own, never human input. */
  botLogin?: string;
  /** The GitHub App's id: check runs are looked up among this app's runs only. */
  appId?: number;
  /** Credentials for git over HTTPS, minted when asked (see installationGitCredentials). */
  gitCredentials?: (repo: RepoRef) => Promise<GitCredentials | undefined>;
  log?: ForgeLogger;
}

const strongestFirst = [...permissionLevels].reverse();

/**
 * Maps GitHub's answer onto our five levels. `role_name` is precise for the built-in roles; a custom
 * role falls back to the `user.permissions` flags, then to the legacy `permission` (admin|write|read|none).
 */
export function toPermissionLevel(data: any): PermissionLevel | "none" {
  const role = data?.role_name;
  if ((permissionLevels as readonly string[]).includes(role)) return role as PermissionLevel;
  if (role === "none" || data?.permission === "none") return "none";
  const flags = data?.user?.permissions;
  if (flags && typeof flags === "object") {
    const flagOf: Record<PermissionLevel, string> = { admin: "admin", maintain: "maintain", write: "push", triage: "triage", read: "pull" };
    const level = strongestFirst.find((lvl) => flags[flagOf[lvl]] === true);
    if (level) return level;
  }
  const legacy = data?.permission;
  if (legacy === "admin" || legacy === "write" || legacy === "read") return legacy;
  return "none";
}

export function createOctokitForge(octokit: OctokitLike, opts: OctokitForgeOptions = {}): Forge {
  const ctx: issues.GitHubContext = { octokit, botLogin: opts.botLogin, appId: opts.appId, log: opts.log ?? silentLogger, statusComments: new Map() };
  return {
    kind: "github",

    async getRepo(repo: RepoRef): Promise<RepoInfo> {
      const { data } = await explained(`read the repository ${repo.owner}/${repo.repo}`, () => octokit.request("GET /repos/{owner}/{repo}", { ...repo }));
      // Names from the API, not the caller: a renamed repository redirects and answers with its new name.
      return {
        owner: data.owner.login,
        repo: data.name,
        defaultBranch: data.default_branch,
        cloneUrl: data.clone_url,
        private: data.private === true,
        htmlUrl: data.html_url,
      };
    },

    getIssue: (repo, issueNumber) => issues.getIssue(ctx, repo, issueNumber),

    async getPermission(repo, username) {
      const answer = await explained(`read the permission of ${username} on ${repo.owner}/${repo.repo}`, () =>
        tolerating([404], () => octokit.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", { ...repo, username })),
      );
      return answer ? toPermissionLevel(answer.data) : "none";
    },

    async getBranchSha(repo, branch) {
      const answer = await explained(`read branch ${branch} of ${repo.owner}/${repo.repo}`, () =>
        tolerating([404], () => octokit.request("GET /repos/{owner}/{repo}/git/ref/{ref}", { ...repo, ref: `heads/${branch}` })),
      );
      // GET git/ref/heads/x answers a list when x is only a prefix of branch names: no exact branch then.
      if (!answer || Array.isArray(answer.data)) return undefined;
      return answer.data.object?.sha;
    },

    gitCredentials: async (repo) => (opts.gitCredentials ? opts.gitCredentials(repo) : undefined),

    ensureStatusComment: (repo, issueNumber, marker, body) => issues.ensureStatusComment(ctx, repo, issueNumber, marker, body),
    comment: (repo, issueNumber, body) => issues.comment(ctx, repo, issueNumber, body),
    addReaction: (repo, target, content) => issues.addReaction(ctx, repo, target, content),
    addLabels: (repo, issueNumber, labels) => issues.addLabels(ctx, repo, issueNumber, labels),
    removeLabel: (repo, issueNumber, label) => issues.removeLabel(ctx, repo, issueNumber, label),

    findOpenPrByHead: (repo, branch) => pulls.findOpenPrByHead(ctx, repo, branch),
    ensurePr: (repo, pr) => pulls.ensurePr(ctx, repo, pr),
    getPr: (repo, prNumber) => pulls.getPr(ctx, repo, prNumber),
    requestReviewers: (repo, prNumber, reviewers) => pulls.requestReviewers(ctx, repo, prNumber, reviewers),
    createReview: (repo, prNumber, review) => pulls.createReview(ctx, repo, prNumber, review),
    deleteBranch: (repo, branch) => pulls.deleteBranch(ctx, repo, branch),

    ensureCheckRun: (repo, check) => ensureCheckRun(ctx, repo, check),

    listPrFiles: (repo, prNumber) => history.listPrFiles(ctx, repo, prNumber),
    listPrCommits: (repo, prNumber) => history.listPrCommits(ctx, repo, prNumber),
    listOpenPrs: (repo, base) => history.listOpenPrs(ctx, repo, base),

    listCheckRuns: (repo, sha) => ci.listCheckRuns(ctx, repo, sha),
    listCheckSuites: (repo, sha) => ci.listCheckSuites(ctx, repo, sha),
    listCommitStatuses: (repo, sha) => ci.listCommitStatuses(ctx, repo, sha),
    listWorkflowRuns: (repo, sha) => ci.listWorkflowRuns(ctx, repo, sha),
    listCheckAnnotations: (repo, id) => ci.listCheckAnnotations(ctx, repo, id),
    getActionsJobLog: (repo, jobId) => ci.getActionsJobLog(ctx, repo, jobId),
    markPrReady: (repo, prNumber) => ci.markPrReady(ctx, repo, prNumber),
    findIssueByMarker: (repo, marker) => marked.findIssueByMarker(ctx, repo, marker),
    listIssuesByMarker: (repo, marker) => marked.listIssuesByMarker(ctx, repo, marker),
    createIssue: (repo, issue) => marked.createIssue(ctx, repo, issue, /<!-- autofix:[^>]+-->/.exec(issue.body)?.[0]),
    updateIssue: (repo, issueNumber, issue) => marked.updateIssue(ctx, repo, issueNumber, issue),
  };
}
