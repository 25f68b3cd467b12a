// Webhook handlers: validate, decide, enqueue, return. No long work here: GitHub gives up after
// 10 seconds (https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks).
import type { Context } from "probot";
import { z } from "zod";
import type { AutofixConfig } from "../config/index.js";
import type { PermissionLevel } from "../forge/index.js";
import type { Forge, RepoRef } from "../forge/index.js";
import { jobKey, type JobQueue, type JobSpec } from "../jobs/index.js";
import { mayTrigger, type Sender } from "./trigger.js";
import { isPaused } from "./inert.js";
import type { BurstCache } from "./burst.js";

type LoadedConfig = { ok: true; config: AutofixConfig } | { ok: false; problems: { path: string; line?: number; message: string }[] };

export interface AppDeps {
  queue: JobQueue;
  forgeFor(context: Context): Forge;
  loadConfig(context: Context): Promise<LoadedConfig>;
  renderProblems(problems: { path: string; line?: number; message: string }[]): string;
  botLogin(): Promise<string | undefined>;
  /** Short-lived answers for the label handler, so a burst of labels on one repository asks GitHub once. */
  burst?: { config: BurstCache<LoadedConfig>; permission: BurstCache<PermissionLevel | "none"> };
  /** Runs the label handler's reaction and queued note after the webhook is answered (default: at once). */
  acknowledge?(task: () => Promise<void>): Promise<void>;
}

const labeledPayload = z.object({
  label: z.object({ name: z.string() }).optional(),
  issue: z.object({ number: z.number().int().positive(), title: z.string(), pull_request: z.unknown().optional(), state: z.string() }),
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }),
  sender: z.object({ login: z.string(), type: z.string(), id: z.number().optional() }),
  installation: z.object({ id: z.number() }).optional(),
});

export function repoOf(payload: { repository: { name: string; owner: { login: string } } }): RepoRef {
  return { owner: payload.repository.owner.login, repo: payload.repository.name };
}

async function configOrExplain(deps: AppDeps, context: Context, forge: Forge, repo: RepoRef, issueNumber: number) {
  const loaded = deps.burst ? await deps.burst.config.get(`${repo.owner}/${repo.repo}`, () => deps.loadConfig(context)) : await deps.loadConfig(context);
  if (loaded.ok) return loaded.config;
  const body = [
    "⚠️ **autofix did not start: `.github/autofix.yml` is invalid.**",
    "",
    deps.renderProblems(loaded.problems),
    "",
    "Fix the file on the default branch, then add the label again.",
  ].join("\n");
  await forge.comment(repo, issueNumber, body);
  context.log.info({ repo, issueNumber, problems: loaded.problems.length }, "config invalid; explained on the issue");
  return undefined;
}

export async function onIssueLabeled(deps: AppDeps, context: Context<"issues.labeled">): Promise<void> {
  const payload = labeledPayload.parse(context.payload);
  if (payload.issue.pull_request || payload.issue.state !== "open" || !payload.label) return;
  const forge = deps.forgeFor(context);
  const repo = repoOf(payload);
  const issueNumber = payload.issue.number;
  // Cheap checks first: a label that is not ours, or the bot's own event, costs no API call.
  const sender: Sender = payload.sender;
  const botLogin = await deps.botLogin();
  if (botLogin && sender.login === botLogin) return;
  const config = await configOrExplain(deps, context, forge, repo, issueNumber);
  if (!config || payload.label.name !== config.label) return;

  const burst = deps.burst;
  const permissions = burst
    ? { getPermission: (r: RepoRef, login: string) => burst.permission.get(`${r.owner}/${r.repo}:${login}`, () => forge.getPermission(r, login)) }
    : forge;
  const decision = await mayTrigger({ forge: permissions, repo, sender, config, botLogin, action: "start" });
  if (!decision.allowed) {
    context.log.info({ repo, issueNumber, sender: sender.login, reason: decision.reason }, "trigger refused");
    if (decision.explain) await forge.comment(repo, issueNumber, decision.explain);
    return;
  }
  if (isPaused(context.payload.issue.labels)) {
    await forge.comment(repo, issueNumber, `autofix is paused for this issue because its last pull request was closed without merging. Comment \`/autofix retry\` to start a fresh attempt.`);
    return;
  }
  const key = jobKey(repo, issueNumber);
  // The same label applied twice in quick succession makes one job, not a superseded one.
  const active = await deps.queue.latest(key);
  if (active && (active.state === "queued" || active.state === "running") && active.spec.trigger === "label") {
    context.log.info({ key, job: active.id }, "label re-applied while a job is active; nothing new");
    return;
  }
  const spec: JobSpec = {
    repo,
    issueNumber,
    installationId: payload.installation?.id,
    trigger: "label",
    requestedBy: sender.login,
    requestedById: payload.sender.id,
    deliveryId: context.id,
    issueTitle: payload.issue.title,
  };
  const { job, created } = await deps.queue.enqueue(spec);
  if (!created) return;
  context.log.info({ key, job: job.id }, "job enqueued");
  // Probot answers GitHub only after the handler settles, so what follows runs after the answer, one job at
  // a time (deps.acknowledge): a burst of labels is acknowledged at the pace of the checks above.
  const marker = `<!-- autofix:status:${key} -->`;
  const acknowledge = deps.acknowledge ?? ((task) => task());
  void acknowledge(async () => {
    try {
      await forge.addReaction(repo, { issueNumber }, "eyes");
      // A worker that already took the job writes the status comment itself; "queued" would overwrite its news.
      if ((await deps.queue.get(job.id))?.state !== "queued") return;
      await forge.ensureStatusComment(
        repo,
        issueNumber,
        marker,
        `${marker}\n🤖 **autofix is on it.** Queued as job \`${job.id}\`; this comment will show each step and then the result.\n\nRemove the \`${config.label}\` label or comment \`/autofix stop\` to cancel.`,
      );
    } catch (err) {
      context.log.warn({ key, job: job.id, err: String(err) }, "could not acknowledge the job on the issue");
    }
  });
}

const cancelPayload = z.object({
  label: z.object({ name: z.string() }).optional(),
  issue: z.object({ number: z.number().int().positive(), pull_request: z.unknown().optional() }),
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }),
  sender: z.object({ login: z.string(), type: z.string() }),
});

/** `issues.unlabeled` (our label) and `issues.closed` cancel a queued or running job for the issue. */
export async function onIssueCancelled(deps: AppDeps, context: Context<"issues.unlabeled" | "issues.closed">): Promise<void> {
  const payload = cancelPayload.parse(context.payload);
  if (payload.issue.pull_request) return;
  const repo = repoOf(payload);
  const key = jobKey(repo, payload.issue.number);
  const active = await deps.queue.latest(key);
  if (!active || (active.state !== "queued" && active.state !== "running")) return;
  if (context.name === "issues" && payload.label) {
    const loaded = await deps.loadConfig(context);
    const label = loaded.ok ? loaded.config.label : "autofix";
    if (payload.label.name !== label) return;
  }
  const reason = payload.label ? `the \`${payload.label.name}\` label was removed by @${payload.sender.login}` : `the issue was closed by @${payload.sender.login}`;
  await deps.queue.cancel(key, reason);
  context.log.info({ key, job: active.id, reason }, "job cancelled");
}
