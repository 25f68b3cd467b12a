// Check runs on the GitHub forge: one run per name and head sha, updated in place, with output cut to
// GitHub's limits (65535 characters for summary and text) behind a visible marker.
import type { CheckRunInput, RepoRef } from "./types.js";
import type { GitHubContext } from "./octokitLike.js";
import { createOnce, explained } from "./octokitLike.js";

/**
 * https://docs.github.com/rest/checks/runs#create-a-check-run: summary and text "Maximum length: 65535
 * characters". In practice GitHub counts bytes (github/rest-api-description#5399, github/docs#35252), so
 * every limit here is applied to UTF-8 bytes, which also satisfies a count in characters.
 */
export const checkOutputMaxChars = 65_535;
const titleMaxChars = 1_000;

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, ending with a marker that says how much was left out. */
export function truncateForGitHub(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  // The marker's own length depends on the count it shows; a generous count keeps the sum under the limit.
  const markerFor = (omitted: number) => `\n\n… (truncated by autofix: ${omitted} more characters not shown)`;
  let end = maxBytes - Buffer.byteLength(markerFor(text.length));
  // Never cut inside a multi-byte character: step back over continuation bytes (10xxxxxx).
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end -= 1;
  const kept = bytes.subarray(0, end).toString("utf8");
  return kept + markerFor(text.length - kept.length);
}

function appSlugOf(botLogin: string | undefined): string | undefined {
  return botLogin?.endsWith("[bot]") ? botLogin.slice(0, -"[bot]".length) : undefined;
}

/**
 * This app's latest run of the check on the head commit. Another app may publish a run with the same name;
 * editing it would fail (403) or, worse, lie.
 */
async function findOurCheckRun(ctx: GitHubContext, repo: RepoRef, check: CheckRunInput): Promise<{ id: number; html_url: string } | undefined> {
  const { data } = await ctx.octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
    ...repo,
    ref: check.headSha,
    check_name: check.name,
    filter: "latest",
    per_page: 100,
    ...(ctx.appId ? { app_id: ctx.appId } : {}),
  });
  const slug = appSlugOf(ctx.botLogin);
  return (data.check_runs as any[]).find((run) => run.name === check.name && (ctx.appId ? run.app?.id === ctx.appId : slug ? run.app?.slug === slug : true));
}

export async function ensureCheckRun(ctx: GitHubContext, repo: RepoRef, check: CheckRunInput): Promise<{ id: number; htmlUrl: string }> {
  const ours = await explained(`look up the check run "${check.name}"`, () => findOurCheckRun(ctx, repo, check));
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
  return createOnce(
    (noRetry) =>
      explained(`create the check run "${check.name}"`, () =>
        ctx.octokit.request("POST /repos/{owner}/{repo}/check-runs", { ...repo, head_sha: check.headSha, ...fields, ...noRetry }),
      ).then(({ data }) => ({ id: data.id as number, htmlUrl: data.html_url as string })),
    async () => {
      const run = await findOurCheckRun(ctx, repo, check);
      return run ? { id: run.id, htmlUrl: run.html_url } : undefined;
    },
  );
}
