// `autofix poll --label autofix owner/repo`: for people who cannot install a GitHub App (e.g. a
// scheduled workflow with a token). Lists labelled open issues, claims each so two pollers never
// take the same issue, runs the same pipeline, and releases the claim when done or interrupted.
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import pino from "pino";
import { loadConfigViaApi } from "../app/index.js";
import { createOctokitForge, installationGitCredentials, type OctokitLike } from "../forge/index.js";
import { ephemeralContext } from "../jobs/index.js";
import type { JobOutcome } from "../jobs/index.js";
import { runPipelineUntilDone } from "../pipeline/index.js";
import { cleanupJobDirs } from "../pipeline/index.js";
import { createRuntime } from "../runtime.js";
import { loadSettings } from "../settings.js";
import { exitCodeForError, exitCodeForRun, UsageError } from "./errors.js";
import { collectRun } from "./report.js";
import { presentError } from "../app/index.js";
import { githubClient } from "./run.js";
import { createProgress, humanLogDestination } from "./progress.js";
import { claimIssue, type Claim } from "./claim.js";

export async function pollCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { label: { type: "string", default: "autofix" }, once: { type: "boolean", default: true }, "max-issues": { type: "string", default: "10" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const target = parsed.positionals[0];
  const m = target ? /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(target) : null;
  if (!m || parsed.positionals.length !== 1) throw new UsageError("`autofix poll` needs one repository: owner/repo.");
  const maxIssues = Number(parsed.values["max-issues"]);
  if (!Number.isInteger(maxIssues) || maxIssues < 1) throw new UsageError("--max-issues must be a positive whole number.");
  const repo = { owner: m[1], repo: m[2] };
  const settings = loadSettings();
  if (!settings.GITHUB_TOKEN)
    throw new UsageError("GITHUB_TOKEN is not set.", "Export a token that can write issues, contents and pull requests of the repository.");
  const log = pino({ level: settings.LOG_LEVEL ?? "warn" }, humanLogDestination());
  const octokit = githubClient(settings.GITHUB_TOKEN, settings.GHE_HOST ? `${settings.GHE_PROTOCOL ?? "https"}://${settings.GHE_HOST}/api/v3` : undefined);
  const login = ((await octokit.request("GET /user")).data as { login: string }).login;
  const forge = createOctokitForge(octokit as unknown as OctokitLike, {
    botLogin: login,
    gitCredentials: async () => installationGitCredentials(octokit as unknown as OctokitLike)(),
  });
  const progress = createProgress(process.stderr.isTTY ? "tty" : "plain");

  const issues = (await octokit.paginate("GET /repos/{owner}/{repo}/issues", { ...repo, state: "open", labels: parsed.values.label, per_page: 100 })) as {
    number: number;
    pull_request?: unknown;
    user: { login: string };
  }[];
  const candidates = issues.filter((i) => !i.pull_request).slice(0, maxIssues);
  progress.line(`${candidates.length} open issue(s) labelled \`${parsed.values.label}\` in ${repo.owner}/${repo.repo}.`);
  const loaded = await loadConfigViaApi(octokit as unknown as OctokitLike, repo);
  if (!loaded.ok)
    throw new UsageError(`.github/autofix.yml of ${repo.owner}/${repo.repo} is invalid.`, "Run `autofix validate-config` on it and fix the problems.");
  const runtime = await createRuntime(settings, log);
  const pollerId = randomUUID();
  let worst = 0;
  for (const issue of candidates) {
    const claim: Claim | undefined = await claimIssue(octokit, repo, issue.number, pollerId, login);
    if (!claim) {
      progress.line(`#${issue.number}: claimed by another poller; skipped.`);
      continue;
    }
    // Listed before the claim: another poller may have finished it since and consumed the label.
    if (!(await stillLabelled(octokit, repo, issue.number, parsed.values.label))) {
      await claim.release();
      progress.line(`#${issue.number}: already handled by another poller; skipped.`);
      continue;
    }
    const controller = new AbortController();
    const release = () => controller.abort("the poller was interrupted");
    process.once("SIGINT", release);
    process.once("SIGTERM", release);
    const spec = { repo, issueNumber: issue.number, trigger: "poll" as const, requestedBy: issue.user.login };
    const ctx = ephemeralContext(spec, controller.signal, (name, phase, ms) => progress.step(name, phase, ms));
    let outcome: JobOutcome;
    let code: number;
    try {
      outcome = await runPipelineUntilDone(ctx, { ...runtime.envFor(forge, loaded.config), forge, config: loaded.config, log });
      code = exitCodeForRun(outcome.kind, collectRun(ctx).attempts.at(-1)?.attempt.agent.failure?.kind);
    } catch (err) {
      outcome = { kind: "error", message: presentError(err).plain };
      // The same set-up error gives the same exit code as `autofix run` (2), not a generic 3.
      code = exitCodeForError(err);
    } finally {
      process.off("SIGINT", release);
      process.off("SIGTERM", release);
    }
    try {
      // A label is one request: consume it when the run ended, so the next poll does not redo the work. Before
      // the claim goes: released first, another poller could claim the still-labelled issue and run it again.
      if (!controller.signal.aborted && outcome.kind !== "error") await forge.removeLabel(repo, issue.number, parsed.values.label);
    } finally {
      await claim.release();
      await cleanupJobDirs(ctx.job.id, runtime.paths.workRoot, runtime.paths.scratchRoot);
    }
    progress.line(`#${issue.number}: ${outcome.message}`);
    worst = Math.max(worst, code);
    if (controller.signal.aborted) break;
  }
  await runtime.close();
  progress.stop();
  return worst;
}

async function stillLabelled(
  octokit: ReturnType<typeof githubClient>,
  repo: { owner: string; repo: string },
  issueNumber: number,
  label: string,
): Promise<boolean> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", { ...repo, issue_number: issueNumber });
  return data.state === "open" && data.labels.some((l: string | { name?: string }) => (typeof l === "string" ? l : l.name) === label);
}
