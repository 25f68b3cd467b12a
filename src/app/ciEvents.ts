// Check suites, check runs and commit statuses on the bot's branches wake the job waiting for that CI
// (gates.ci.wait). No API call here: the waiting job reads the checks itself, and polls when an event is lost.
import type { Context } from "probot";
import { z } from "zod";
import { jobKey } from "../jobs/index.js";
import type { AppDeps } from "./handlers.js";
import { repoOf } from "./handlers.js";

const repository = z.object({ name: z.string(), owner: z.object({ login: z.string() }) });
const checkSuitePayload = z.object({ check_suite: z.object({ head_branch: z.string().nullable().optional() }), repository });
const checkRunPayload = z.object({
  check_run: z.object({ name: z.string(), check_suite: z.object({ head_branch: z.string().nullable().optional() }).optional() }),
  repository,
});
const statusPayload = z.object({ context: z.string(), branches: z.array(z.object({ name: z.string() })).default([]), repository });

/** The branch of a CI event, or nothing when it is not about a branch this app could own. */
function branchesOf(name: string, payload: unknown): { repo: ReturnType<typeof repoOf>; branches: string[] } | undefined {
  if (name === "check_suite") {
    const p = checkSuitePayload.safeParse(payload);
    return p.success && p.data.check_suite.head_branch ? { repo: repoOf(p.data), branches: [p.data.check_suite.head_branch] } : undefined;
  }
  if (name === "check_run") {
    const p = checkRunPayload.safeParse(payload);
    // The bot's own check runs change when it writes them: never a reason to look again.
    if (!p.success || p.data.check_run.name.startsWith("autofix / ")) return undefined;
    const branch = p.data.check_run.check_suite?.head_branch;
    return branch ? { repo: repoOf(p.data), branches: [branch] } : undefined;
  }
  const p = statusPayload.safeParse(payload);
  if (!p.success || p.data.context.startsWith("autofix")) return undefined;
  return { repo: repoOf(p.data), branches: p.data.branches.map((b) => b.name) };
}

export async function onCiEvent(deps: AppDeps, context: Context<"check_suite" | "check_run" | "status">): Promise<void> {
  const found = branchesOf(context.name, context.payload);
  if (!found || !deps.queue.wake) return;
  for (const branch of found.branches) {
    const m = /issue-(\d+)$/.exec(branch);
    if (!m) continue;
    const job = await deps.queue.latest(jobKey(found.repo, Number(m[1])));
    if (!job || job.state !== "queued" || !/^ci-\d+-wait$/.test(job.progress.step ?? "")) continue;
    if (await deps.queue.wake(job.id)) context.log.info({ key: job.key, job: job.id, event: context.name }, "CI event: waiting job woken");
  }
}
