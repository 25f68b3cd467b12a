// The offline forge for `autofix run --local`: the repository is a local path, the issue comes from a
// file, and whatever would go to GitHub (comments, checks, the "PR") is recorded in a report under outDir.
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import git from "isomorphic-git";
import { AutofixError } from "../errors.js";
import type { CheckRunInput, Forge, PullRequest, RepoInfo, RepoRef, ReviewCommentInput } from "./types.js";

export interface LocalReport {
  repoPath: string;
  issue: { number: number; title: string };
  statusComment?: { id: number; body: string };
  comments: { id: number; issueNumber: number; body: string }[];
  reactions: { target: { issueNumber: number } | { commentId: number }; content: string }[];
  checkRuns: (CheckRunInput & { id: number })[];
  pr?: PullRequest & { title: string; body: string };
  labels: string[];
  reviewers: string[];
  reviews: { prNumber: number; commitSha: string; body: string; comments: ReviewCommentInput[] }[];
  deletedBranches: string[];
  /** Issues the bot would keep in the repository (the dashboard). */
  issues?: { number: number; title: string; body: string; state: "open" | "closed" }[];
}

export interface LocalForgeOptions {
  repoPath: string;
  issue: { title: string; body: string; number?: number };
  outDir: string;
}

export interface LocalForge extends Forge {
  readonly report: LocalReport;
  /** Where the JSON and Markdown reports are written. */
  readonly reportPaths: { json: string; markdown: string };
}

async function gitDirOf(repoPath: string): Promise<string> {
  const dotGit = path.join(repoPath, ".git");
  return fs.existsSync(dotGit) ? dotGit : repoPath;
}

export function renderLocalReport(report: LocalReport): string {
  const lines = [`# autofix local run: ${report.issue.title}`, "", `Repository: \`${report.repoPath}\``, ""];
  if (report.pr) {
    lines.push(
      `## Result`,
      "",
      `Branch \`${report.pr.headRef}\` at \`${report.pr.headSha}\` (would be a ${report.pr.draft ? "draft " : ""}PR into \`${report.pr.baseRef}\`)`,
      "",
      `### ${report.pr.title}`,
      "",
      report.pr.body,
      "",
    );
  }
  if (report.statusComment) lines.push("## Status", "", report.statusComment.body, "");
  for (const check of report.checkRuns) {
    lines.push(`## Check: ${check.name} (${check.status}${check.conclusion ? `, ${check.conclusion}` : ""})`, "", `**${check.title}**`, "", check.summary, "");
    if (check.text) lines.push(check.text, "");
  }
  for (const review of report.reviews) {
    lines.push("## Review", "", review.body, "", ...review.comments.map((c) => `- \`${c.path}:${c.line}\`: ${c.body}`), "");
  }
  for (const c of report.comments) lines.push("## Comment", "", c.body, "");
  return lines.join("\n");
}

export function createLocalForge(opts: LocalForgeOptions): LocalForge {
  const repoPath = path.resolve(opts.repoPath);
  const issueNumber = opts.issue.number ?? 0;
  const report: LocalReport = {
    repoPath,
    issue: { number: issueNumber, title: opts.issue.title },
    comments: [],
    reactions: [],
    checkRuns: [],
    labels: [],
    reviewers: [],
    reviews: [],
    deletedBranches: [],
  };
  const reportPaths = { json: path.join(opts.outDir, "report.json"), markdown: path.join(opts.outDir, "report.md") };
  let nextId = 1;
  const save = async () => {
    await fs.promises.mkdir(opts.outDir, { recursive: true });
    await fs.promises.writeFile(reportPaths.json, JSON.stringify(report, null, 2) + "\n");
    await fs.promises.writeFile(reportPaths.markdown, renderLocalReport(report));
  };
  const localRepo = (): RepoRef => ({ owner: "local", repo: path.basename(repoPath) });

  const forge: LocalForge = {
    kind: "local",
    report,
    reportPaths,

    async getRepo(): Promise<RepoInfo> {
      const gitdir = await gitDirOf(repoPath);
      const branch = await git.currentBranch({ fs, gitdir }).catch(() => undefined);
      return { ...localRepo(), defaultBranch: branch ?? "main", cloneUrl: repoPath, private: true, htmlUrl: `file://${repoPath}` };
    },
    async getIssue() {
      return {
        number: issueNumber,
        title: opts.issue.title,
        body: opts.issue.body,
        author: os.userInfo().username,
        state: "open" as const,
        labels: [],
        htmlUrl: "",
        comments: [],
      };
    },
    // The person running the CLI on their own checkout is its owner.
    getPermission: async () => "admin",
    async getBranchSha(_repo, branch) {
      const gitdir = await gitDirOf(repoPath);
      return git.resolveRef({ fs, gitdir, ref: `refs/heads/${branch}` }).catch(() => undefined);
    },
    gitCredentials: async () => undefined,

    async ensureStatusComment(_repo, _issue, marker, body) {
      report.statusComment = { id: report.statusComment?.id ?? nextId++, body: body.includes(marker) ? body : `${marker}\n${body}` };
      await save();
      return report.statusComment.id;
    },
    async comment(_repo, issue, body) {
      const id = nextId++;
      report.comments.push({ id, issueNumber: issue, body });
      await save();
      return id;
    },
    async addReaction(_repo, target, content) {
      report.reactions.push({ target, content });
      await save();
    },
    findOpenPrByHead: async (_repo, branch) => (report.pr?.headRef === branch && report.pr.state === "open" ? report.pr : undefined),
    async ensurePr(repo, wanted) {
      const created = report.pr?.headRef !== wanted.head;
      const headSha = (await forge.getBranchSha(repo, wanted.head)) ?? "";
      report.pr = {
        number: report.pr?.number ?? 1,
        htmlUrl: `file://${reportPaths.markdown}`,
        headRef: wanted.head,
        headSha,
        baseRef: wanted.base,
        state: "open",
        merged: false,
        draft: wanted.draft,
        title: wanted.title,
        body: wanted.body,
      };
      await save();
      return { ...report.pr, created };
    },
    async getPr() {
      if (!report.pr) {
        throw new AutofixError("FORGE_NOT_FOUND", {
          what: "There is no local PR to read yet.",
          why: "An offline run records its branch as the PR only once the gates pass and it publishes.",
          next: "Read the report under the run's output directory for what happened instead.",
        });
      }
      return report.pr;
    },
    async addLabels(_repo, _n, labels) {
      report.labels = [...new Set([...report.labels, ...labels])];
      await save();
    },
    async removeLabel(_repo, _n, label) {
      report.labels = report.labels.filter((l) => l !== label);
      await save();
    },
    async requestReviewers(_repo, _n, reviewers) {
      report.reviewers = [...new Set([...report.reviewers, ...reviewers])];
      await save();
    },
    async ensureCheckRun(_repo, check) {
      const existing = report.checkRuns.findIndex((run) => run.name === check.name && run.headSha === check.headSha);
      const id = existing >= 0 ? report.checkRuns[existing].id : nextId++;
      if (existing >= 0) report.checkRuns[existing] = { ...check, id };
      else report.checkRuns.push({ ...check, id });
      await save();
      return { id, htmlUrl: `file://${reportPaths.markdown}` };
    },
    async createReview(_repo, prNumber, review) {
      report.reviews.push({ prNumber, ...review });
      await save();
    },
    async deleteBranch(_repo, branch) {
      report.deletedBranches.push(branch);
      await save();
    },
    // Offline there is no CI: no checks to follow, and the recorded PR leaves draft when asked.
    listCheckRuns: async () => [],
    listCheckSuites: async () => [],
    listCommitStatuses: async () => [],
    listWorkflowRuns: async () => [],
    listCheckAnnotations: async () => [],
    getActionsJobLog: async () => undefined,
    async markPrReady() {
      if (report.pr) report.pr.draft = false;
      await save();
      return true;
    },
    findIssueByMarker: async (_repo, marker) => {
      const found = [...(report.issues ?? [])].reverse().find((i) => i.body.includes(marker));
      return found ? { number: found.number, state: found.state, body: found.body, htmlUrl: `file://${reportPaths.markdown}` } : undefined;
    },
    async createIssue(_repo, issue) {
      report.issues ??= [];
      const created = { number: 1000 + report.issues.length + 1, title: issue.title, body: issue.body, state: "open" as const };
      report.issues.push(created);
      await save();
      return { number: created.number, state: created.state, body: created.body, htmlUrl: `file://${reportPaths.markdown}` };
    },
    async updateIssue(_repo, issueNumber, fields) {
      const found = report.issues?.find((i) => i.number === issueNumber);
      if (!found) return undefined;
      Object.assign(found, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
      await save();
      return { number: found.number, state: found.state, body: found.body, htmlUrl: `file://${reportPaths.markdown}` };
    },
  };
  return forge;
}
