// What the CI gate reads on GitHub: a commit's check runs, check suites, commit statuses and workflow
// runs, a failed check's annotations and (for GitHub Actions) its job log; and marking a draft ready.
import type { ActionsJobLog, CheckAnnotation, CommitCheckRun, CommitCheckSuite, CommitStatus, RepoRef, WorkflowRunInfo } from "./types.js";
import type { GitHubContext } from "./octokitLike.js";
import { explained, tolerating } from "./octokitLike.js";

// GitHub's answers, as far as they are read here (the API may omit any field).
interface RawCheckRun {
  id: number;
  name: string;
  status: CommitCheckRun["status"];
  conclusion?: string | null;
  app?: { slug?: string } | null;
  check_suite?: { id?: number } | null;
  html_url?: string;
  output?: { title?: string | null; summary?: string | null; text?: string | null } | null;
}
interface RawCheckSuite {
  id: number;
  app?: { slug?: string } | null;
  status: string;
  conclusion?: string | null;
  latest_check_runs_count?: number;
}
interface RawStatus {
  context: string;
  state: CommitStatus["state"];
  description?: string | null;
  target_url?: string | null;
}
interface RawWorkflowRun {
  id: number;
  name: string;
  check_suite_id?: number;
  status: string;
  conclusion?: string | null;
}
interface RawAnnotation {
  path: string;
  start_line?: number;
  annotation_level: string;
  message: string;
  title?: string | null;
}
interface RawJob {
  steps?: { name: string; number: number; conclusion?: string | null }[];
}

/** A job log can be megabytes; the failing step's tail is what matters, so keep the end of a bounded read. */
const maxLogChars = 2_000_000;

export async function listCheckRuns(ctx: GitHubContext, repo: RepoRef, sha: string): Promise<CommitCheckRun[]> {
  // A monorepo's CI can report hundreds of runs on one commit: read every page, or a red one goes unseen.
  const runs = await explained(`list the check runs of ${sha.slice(0, 12)}`, () =>
    ctx.octokit.paginate("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { ...repo, ref: sha, per_page: 100, filter: "latest" }),
  );
  return (runs as RawCheckRun[]).map((r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    conclusion: r.conclusion ?? null,
    appSlug: r.app?.slug ?? undefined,
    checkSuiteId: r.check_suite?.id ?? undefined,
    htmlUrl: r.html_url,
    output: r.output ? { title: r.output.title, summary: r.output.summary, text: r.output.text } : undefined,
  }));
}

export async function listCheckSuites(ctx: GitHubContext, repo: RepoRef, sha: string): Promise<CommitCheckSuite[]> {
  const suites = await explained(`list the check suites of ${sha.slice(0, 12)}`, () =>
    ctx.octokit.paginate("GET /repos/{owner}/{repo}/commits/{ref}/check-suites", { ...repo, ref: sha, per_page: 100 }),
  );
  return (suites as RawCheckSuite[]).map((s) => ({
    id: s.id,
    appSlug: s.app?.slug ?? undefined,
    status: s.status,
    conclusion: s.conclusion ?? null,
    runCount: typeof s.latest_check_runs_count === "number" ? s.latest_check_runs_count : undefined,
  }));
}

export async function listCommitStatuses(ctx: GitHubContext, repo: RepoRef, sha: string): Promise<CommitStatus[]> {
  const { data } = await explained(`read the commit statuses of ${sha.slice(0, 12)}`, () =>
    ctx.octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/status", { ...repo, ref: sha, per_page: 100 }),
  );
  return ((data as { statuses?: RawStatus[] } | undefined)?.statuses ?? []).map((s) => ({
    context: s.context,
    state: s.state,
    description: s.description ?? null,
    targetUrl: s.target_url ?? null,
  }));
}

export async function listWorkflowRuns(ctx: GitHubContext, repo: RepoRef, sha: string): Promise<WorkflowRunInfo[]> {
  // 404: Actions is disabled for this repository; no workflow runs then.
  const answer = await explained(`list the workflow runs of ${sha.slice(0, 12)}`, () =>
    tolerating([404], () => ctx.octokit.request("GET /repos/{owner}/{repo}/actions/runs", { ...repo, head_sha: sha, per_page: 100 })),
  );
  return ((answer?.data as { workflow_runs?: RawWorkflowRun[] } | undefined)?.workflow_runs ?? []).map((w) => ({
    id: w.id,
    name: w.name,
    checkSuiteId: w.check_suite_id,
    status: w.status,
    conclusion: w.conclusion ?? null,
  }));
}

export async function listCheckAnnotations(ctx: GitHubContext, repo: RepoRef, checkRunId: number): Promise<CheckAnnotation[]> {
  const answer = await explained(`list the annotations of check run ${checkRunId}`, () =>
    tolerating([404], () =>
      ctx.octokit.request("GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", { ...repo, check_run_id: checkRunId, per_page: 50 }),
    ),
  );
  return ((answer?.data ?? []) as RawAnnotation[]).map((a) => ({
    path: a.path,
    startLine: a.start_line,
    level: a.annotation_level,
    message: a.message,
    title: a.title ?? null,
  }));
}

export async function getActionsJobLog(ctx: GitHubContext, repo: RepoRef, jobId: number): Promise<ActionsJobLog | undefined> {
  // 404/410: not an Actions job, or its logs expired; 403: the app lacks `actions: read`. The check's own output remains.
  const job = await tolerating([403, 404, 410], () => ctx.octokit.request("GET /repos/{owner}/{repo}/actions/jobs/{job_id}", { ...repo, job_id: jobId }));
  if (!job) return undefined;
  // GitHub answers 302 to a short-lived download URL; fetch follows it.
  const logs = await tolerating([403, 404, 410], () => ctx.octokit.request("GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs", { ...repo, job_id: jobId }));
  const raw = logs?.data;
  const text = typeof raw === "string" ? raw : raw instanceof ArrayBuffer ? Buffer.from(raw).toString("utf8") : raw ? String(raw) : "";
  const steps = ((job.data as RawJob | undefined)?.steps ?? []).map((s) => ({
    name: String(s.name),
    number: Number(s.number),
    conclusion: s.conclusion ?? null,
  }));
  return { steps, log: text.length > maxLogChars ? text.slice(-maxLogChars) : text };
}

/** REST cannot leave draft; GraphQL's markPullRequestReadyForReview can (needs the PR's node id). */
export async function markPrReady(ctx: GitHubContext, repo: RepoRef, prNumber: number): Promise<boolean> {
  const { data } = (await explained(`read PR #${prNumber}`, () =>
    ctx.octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { ...repo, pull_number: prNumber }),
  )) as {
    data: { draft?: boolean; node_id?: string };
  };
  if (data.draft !== true) return true;
  if (!ctx.octokit.graphql || !data.node_id) {
    ctx.log.warn({ pr: prNumber }, "cannot mark the PR ready for review: this Octokit has no GraphQL client");
    return false;
  }
  try {
    await ctx.octokit.graphql("mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }", {
      id: data.node_id,
    });
    return true;
  } catch (err) {
    ctx.log.warn({ pr: prNumber, err: String(err) }, "GitHub refused to mark the PR ready for review; it stays a draft");
    return false;
  }
}
