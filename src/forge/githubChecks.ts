// Check runs on the GitHub forge: one run per name and head sha, updated in place, with output cut to
// GitHub's limits (65535 characters for summary and text) behind a visible marker.
import type { CheckRunInput, RepoRef } from "./types.js";
import type { GitHubContext } from "./githubIssues.js";
import { explained } from "./octokitLike.js";

/** https://docs.github.com/rest/checks/runs#create-a-check-run: summary and text are limited to 65535 characters. */
export const checkOutputMaxChars = 65_535;
const titleMaxChars = 1_000;

/** Cuts `text` to at most `maxChars` UTF-16 units, ending with a marker that says how much was left out. */
export function truncateForGitHub(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const marker = (omitted: number) => `\n\n… (truncated by autofix: ${omitted} more characters not shown)`;
  let keep = maxChars - marker(text.length).length;
  // Never split a surrogate pair: GitHub would reject the lone half.
  const code = text.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep -= 1;
  return text.slice(0, keep) + marker(text.length - keep);
}

function appSlugOf(botLogin: string | undefined): string | undefined {
  return botLogin?.endsWith("[bot]") ? botLogin.slice(0, -"[bot]".length) : undefined;
}

export async function ensureCheckRun(ctx: GitHubContext, repo: RepoRef, check: CheckRunInput): Promise<{ id: number; htmlUrl: string }> {
  const { data: listed } = await explained(`look up the check run "${check.name}"`, () =>
    ctx.octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
      ...repo,
      ref: check.headSha,
      check_name: check.name,
      filter: "latest",
      per_page: 100,
      ...(ctx.appId ? { app_id: ctx.appId } : {}),
    }),
  );
  const slug = appSlugOf(ctx.botLogin);
  // Another app may publish a run with the same name; editing it would fail (403) or, worse, lie.
  const ours = (listed.check_runs as any[]).find(
    (run) => run.name === check.name && (ctx.appId ? run.app?.id === ctx.appId : slug ? run.app?.slug === slug : true),
  );
  const fields = {
    name: check.name,
    status: check.status,
    ...(check.status === "completed" ? { conclusion: check.conclusion ?? "neutral", completed_at: new Date().toISOString() } : {}),
    ...(check.detailsUrl ? { details_url: check.detailsUrl } : {}),
    output: {
      title: truncateForGitHub(check.title, titleMaxChars),
      summary: truncateForGitHub(check.summary, checkOutputMaxChars),
      ...(check.text ? { text: truncateForGitHub(check.text, checkOutputMaxChars) } : {}),
    },
  };
  if (ours) {
    const { data } = await explained(`update the check run "${check.name}"`, () =>
      ctx.octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { ...repo, check_run_id: ours.id, ...fields }),
    );
    return { id: data.id, htmlUrl: data.html_url };
  }
  const { data } = await explained(`create the check run "${check.name}"`, () =>
    ctx.octokit.request("POST /repos/{owner}/{repo}/check-runs", { ...repo, head_sha: check.headSha, ...fields }),
  );
  return { id: data.id, htmlUrl: data.html_url };
}
