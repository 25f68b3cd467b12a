// The port to the code host. The pipeline talks only to this interface; an Octokit implementation

/** A person's permission on a repository, lowest first (GitHub's collaborator permission levels). */
export const permissionLevels = ["read", "triage", "write", "maintain", "admin"] as const;
export type PermissionLevel = (typeof permissionLevels)[number];
// serves the app and the CLI, a local one serves offline runs. Verbs named ensure* are idempotent.

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface RepoInfo extends RepoRef {
  defaultBranch: string;
  /** Smart-HTTP clone URL from the API/payload (works for GHES too), or a local path offline. */
  cloneUrl: string;
  private: boolean;
  htmlUrl: string;
}

export interface IssueComment {
  id: number;
  author: string;
  authorIsBot: boolean;
  body: string;
  createdAt: string;
}

export interface Issue {
  number: number;
  title: string;
  body: string;
  author: string;
  state: "open" | "closed";
  labels: string[];
  htmlUrl: string;
  /** Comments by humans only (bots filtered out), oldest first. */
  comments: IssueComment[];
}

export interface PullRequest {
  number: number;
  htmlUrl: string;
  headRef: string;
  headSha: string;
  baseRef: string;
  state: "open" | "closed";
  merged: boolean;
  draft: boolean;
  /** GitHub's verdict on merging into the base; null while GitHub is still computing it. */
  mergeable?: boolean | null;
}

export type CheckConclusion = "success" | "failure" | "neutral" | "cancelled" | "skipped" | "action_required";

export interface CheckRunInput {
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion?: CheckConclusion;
  title: string;
  summary: string;
  text?: string;
  detailsUrl?: string;
}

export interface ReviewCommentInput {
  path: string;
  /** Line on the new side of the PR's diff. */
  line: number;
  body: string;
}

/** One file of a PR's whole change against its base, as GitHub reports it. */
export interface PrFile {
  path: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  previousPath?: string;
  /** Unified hunks without file headers; absent when GitHub omits it (binary or too large). */
  patch?: string;
}

export interface PrCommit {
  sha: string;
  /** Parent commits (the first commit's first parent is where the PR's change starts). */
  parentShas?: string[];
  authorLogin?: string;
  authorEmail?: string;
}

export interface GitCredentials {
  username: string;
  password: string;
}

export interface Forge extends CiForge {
  readonly kind: "github" | "local";
  getRepo(repo: RepoRef): Promise<RepoInfo>;
  getIssue(repo: RepoRef, issueNumber: number): Promise<Issue>;
  /** The user's permission on the repository, from the API, never inferred from a payload. */
  getPermission(repo: RepoRef, username: string): Promise<PermissionLevel | "none">;
  getBranchSha(repo: RepoRef, branch: string): Promise<string | undefined>;
  /** Credentials for git fetch/push of this repository, minted when asked; never stored. */
  gitCredentials(repo: RepoRef): Promise<GitCredentials | undefined>;

  /** Create the status comment carrying `marker` or edit it in place; returns its id. */
  ensureStatusComment(repo: RepoRef, issueNumber: number, marker: string, body: string): Promise<number>;
  comment(repo: RepoRef, issueNumber: number, body: string): Promise<number>;
  addReaction(repo: RepoRef, target: { issueNumber: number } | { commentId: number }, content: "eyes" | "+1" | "rocket" | "confused"): Promise<void>;

  findOpenPrByHead(repo: RepoRef, branch: string): Promise<PullRequest | undefined>;
  /** Open a PR for `head` or update the open one in place (looked up by head branch first). */
  ensurePr(repo: RepoRef, pr: { head: string; base: string; title: string; body: string; draft: boolean }): Promise<PullRequest & { created: boolean }>;
  getPr(repo: RepoRef, prNumber: number): Promise<PullRequest>;
  addLabels(repo: RepoRef, issueNumber: number, labels: string[]): Promise<void>;
  removeLabel(repo: RepoRef, issueNumber: number, label: string): Promise<void>;
  requestReviewers(repo: RepoRef, prNumber: number, reviewers: string[]): Promise<void>;
  /** Create the named check run on headSha or update the existing one; returns its html url. */
  ensureCheckRun(repo: RepoRef, check: CheckRunInput): Promise<{ id: number; htmlUrl: string }>;
  createReview(repo: RepoRef, prNumber: number, review: { commitSha: string; body: string; comments: ReviewCommentInput[] }): Promise<void>;
  deleteBranch(repo: RepoRef, branch: string): Promise<void>;
  /** The PR's whole change against its base (revisions judge it again). Absent offline. */
  listPrFiles?(repo: RepoRef, prNumber: number): Promise<PrFile[]>;
  /** The PR's commits, oldest first (to notice commits pushed by humans). Absent offline. */
  listPrCommits?(repo: RepoRef, prNumber: number): Promise<PrCommit[]>;
  /** Open PRs into `base` (to keep the bot's branches current when the base moves). */
  listOpenPrs?(repo: RepoRef, base: string): Promise<PullRequest[]>;
}

/** One check run on a commit, as the CI gate reads it (any app's, the bot's own included). */
export interface CommitCheckRun {
  id: number;
  name: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion?: string | null;
  appSlug?: string;
  checkSuiteId?: number;
  htmlUrl?: string;
  output?: { title?: string | null; summary?: string | null; text?: string | null };
}

export interface CommitCheckSuite {
  id: number;
  appSlug?: string;
  status: string;
  conclusion?: string | null;
  /** How many check runs the suite holds; 0 for a suite whose workflow never started. */
  runCount?: number;
}

/** A commit status (the older Statuses API, still used by many CI services). */
export interface CommitStatus {
  context: string;
  state: "pending" | "success" | "failure" | "error";
  description?: string | null;
  targetUrl?: string | null;
}

/** A GitHub Actions workflow run of a commit, to match watched checks by workflow name. */
export interface WorkflowRunInfo {
  id: number;
  name: string;
  checkSuiteId?: number;
  status: string;
  conclusion?: string | null;
}

export interface CheckAnnotation {
  path: string;
  startLine?: number;
  level: string;
  message: string;
  title?: string | null;
}

/** A GitHub Actions job's log and steps (the job id is its check run's id). */
export interface ActionsJobLog {
  steps: { name: string; number: number; conclusion?: string | null }[];
  log: string;
}

/** An issue the bot keeps (the dashboard), found again by a hidden marker in its body. */
export interface MarkedIssue {
  number: number;
  state: "open" | "closed";
  body: string;
  htmlUrl: string;
}

/**
 * What the CI gate and the dashboard need from the code host; optional so a forge without CI
 * (offline, a minimal test double) still satisfies `Forge`.
 */
export interface CiForge {
  listCheckRuns?(repo: RepoRef, sha: string): Promise<CommitCheckRun[]>;
  listCheckSuites?(repo: RepoRef, sha: string): Promise<CommitCheckSuite[]>;
  listCommitStatuses?(repo: RepoRef, sha: string): Promise<CommitStatus[]>;
  listWorkflowRuns?(repo: RepoRef, sha: string): Promise<WorkflowRunInfo[]>;
  listCheckAnnotations?(repo: RepoRef, checkRunId: number): Promise<CheckAnnotation[]>;
  getActionsJobLog?(repo: RepoRef, jobId: number): Promise<ActionsJobLog | undefined>;
  /** Mark a draft PR ready for review; false when the host refused (the PR stays a draft). */
  markPrReady?(repo: RepoRef, prNumber: number): Promise<boolean>;
  /** The open or closed issue the bot created whose body holds `marker`, newest first. */
  findIssueByMarker?(repo: RepoRef, marker: string): Promise<MarkedIssue | undefined>;
  /** Every issue of the bot carrying the marker, newest first (to notice two processes opening one each). */
  listIssuesByMarker?(repo: RepoRef, marker: string): Promise<MarkedIssue[]>;
  createIssue?(repo: RepoRef, issue: { title: string; body: string }): Promise<MarkedIssue>;
  updateIssue?(repo: RepoRef, issueNumber: number, issue: { title?: string; body?: string; state?: "open" | "closed" }): Promise<MarkedIssue | undefined>;
}
