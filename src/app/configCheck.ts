// A pull request that changes .github/autofix.yml gets an `autofix / config` check run validating
// the new file, so a broken config is caught in review rather than on the next trigger.
import type { Context } from "probot";
import { z } from "zod";
import { parseConfig } from "../config/index.js";
import { renderConfigProblems } from "../config/index.js";
import type { AppDeps } from "./handlers.js";
import { repoOf } from "./handlers.js";

const configPath = ".github/autofix.yml";

const prPayload = z.object({
  pull_request: z.object({
    number: z.number(),
    head: z.object({ sha: z.string(), repo: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }).nullable() }),
  }),
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }),
});

export async function onConfigPullRequest(deps: AppDeps, context: Context<"pull_request">): Promise<void> {
  const payload = prPayload.parse(context.payload);
  const repo = repoOf(payload);
  const pr = payload.pull_request;
  const files = await context.octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", { ...repo, pull_number: pr.number, per_page: 100 });
  const changed = files.find((f: { filename: string; status: string }) => f.filename === configPath);
  if (!changed) return;
  const forge = deps.forgeFor(context);
  if (changed.status === "removed") {
    await forge.ensureCheckRun(repo, {
      name: "autofix / config",
      headSha: pr.head.sha,
      status: "completed",
      conclusion: "neutral",
      title: "autofix.yml removed: defaults apply",
      summary: `This pull request removes \`${configPath}\`; autofix will use its defaults (label \`autofix\`, write permission, no PR on gate failure).`,
    });
    return;
  }
  // Read the file from the head repository: a fork's PR carries its own copy.
  const headRepo = pr.head.repo ? { owner: pr.head.repo.owner.login, repo: pr.head.repo.name } : repo;
  const { data } = await context.octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
    ...headRepo,
    path: configPath,
    ref: pr.head.sha,
    mediaType: { format: "raw" },
  });
  const content = typeof data === "string" ? data : new TextDecoder().decode(data as unknown as ArrayBuffer);
  const parsed = parseConfig(content, configPath);
  await forge.ensureCheckRun(repo, {
    name: "autofix / config",
    headSha: pr.head.sha,
    status: "completed",
    conclusion: parsed.ok ? "success" : "failure",
    title: parsed.ok ? "autofix.yml is valid" : `autofix.yml has ${parsed.problems.length} problem(s)`,
    summary: parsed.ok
      ? `\`${configPath}\` is valid. The [configuration reference](https://github.com/autofix-bot/autofix/blob/main/docs/configuration.md) lists every option.`
      : [`\`${configPath}\` is invalid; autofix would refuse to run with it:`, "", renderConfigProblems(parsed.problems), "", "Fix these before merging."].join(
          "\n",
        ),
  });
}
