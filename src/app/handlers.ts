// Webhook handlers: validate, decide, enqueue, return. No long work here: GitHub gives up after
// 10 seconds (https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks).
import type { Context } from "probot";
import { z } from "zod";
import { createHash } from "node:crypto";
import { defaultConfig, type AutofixConfig } from "../config/index.js";
import type { PermissionLevel } from "../forge/index.js";
import type { Forge, RepoRef } from "../forge/index.js";
import { jobKey, type JobQueue, type JobSpec } from "../jobs/index.js";
import { mayTrigger, type Sender } from "./trigger.js";
import { isPaused } from "./inert.js";
import type { BurstCache, NoticeBoard } from "./burst.js";

type Problems = { path: string; line?: number; message: string }[];
/** `version` and `triggerLabel` (what the file names, even when invalid) let an invalid config be explained once per version. */
type LoadedConfig = { ok: true; config: AutofixConfig } | { ok: false; problems: Problems; version?: string; triggerLabel?: string };

export interface AppDeps {
  queue: JobQueue;
  forgeFor(context: Context): Forge;
  loadConfig(context: Context): Promise<LoadedConfig>;
  renderProblems(problems: Problems): string;
  botLogin(): Promise<string | undefined>;
  /** Short-lived answers for the label handler, so a burst of labels on one repository asks GitHub once. */
  burst?: { config: BurstCache<LoadedConfig>; permission: BurstCache<PermissionLevel | "none"> };
  /** Posts what the label handler says on GitHub after the webhook is answered, once per key (default: at once). */
  notices?: NoticeBoard;
  /** The forge notices are posted through (default: the webhook's own client). */
  installationForge?(installationId: number): Promise<Forge>;
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

/** Without a board (unit wiring), a notice is posted at once and its failure is only logged. */
function immediateBoard(log: Context["log"]): NoticeBoard {
  return {
    submit(notice) {
      void notice.post().catch((err: unknown) => log.warn({ key: notice.key, err: String(err) }, "could not post a notice on the issue"));
      return true;
    },
    idle: async () => {},
  };
}

function invalidConfigBody(deps: AppDeps, problems: Problems): string {
  return [
    "⚠️ **autofix did not start: `.github/autofix.yml` is invalid.**",
    "",
    deps.renderProblems(problems),
    "",
    "Fix the file on the default branch, then add the label again.",
  ].join("\n");
}

/**
 * Decides, records and returns: the answer to GitHub waits only for the checks (config and permission, shared
 * by a burst) and the enqueue. Whatever is said on the issue (👀, the queued note, why nothing started) goes
 * to the notice board, which posts it after the answer, once per issue and reason.
 */
export async function onIssueLabeled(deps: AppDeps, context: Context<"issues.labeled">): Promise<void> {
  const payload = labeledPayload.parse(context.payload);
  if (payload.issue.pull_request || payload.issue.state !== "open" || !payload.label) return;
  const forge = deps.forgeFor(context);
  const repo = repoOf(payload);
  const issueNumber = payload.issue.number;
  const key = jobKey(repo, issueNumber);
  const notices = deps.notices ?? immediateBoard(context.log);
  // Throttled per installation: one installation's notices never wait for another's.
  const lane = payload.installation ? `installation:${payload.installation.id}` : `repo:${repo.owner}/${repo.repo}`;
  const installationId = payload.installation?.id;
  // The installation's own client (for notices, and reads on a burst cache miss), else the webhook's.
  const installationClient = async () => (installationId !== undefined && deps.installationForge ? deps.installationForge(installationId) : forge);
  const say = (reason: string, body: string) =>
    notices.submit({ lane, key: `${key}:${reason}`, post: async () => void (await (await installationClient()).comment(repo, issueNumber, body)) });

  // Cheap checks first: the bot's own event costs no API call.
  const sender: Sender = payload.sender;
  const botLogin = await deps.botLogin();
  if (botLogin && sender.login === botLogin) return;
  const loaded = deps.burst ? await deps.burst.config.get(`${repo.owner}/${repo.repo}`, () => deps.loadConfig(context)) : await deps.loadConfig(context);
  if (!loaded.ok) {
    // Only the trigger label (as the invalid file names it, else the default) is answered, once per config version.
    if (payload.label.name !== (loaded.triggerLabel ?? defaultConfig().label)) return;
    const version = loaded.version ?? createHash("sha256").update(JSON.stringify(loaded.problems)).digest("hex").slice(0, 16);
    const queued = say(`config-invalid:${version}`, invalidConfigBody(deps, loaded.problems));
    context.log.info({ repo, issueNumber, problems: loaded.problems.length, explained: queued }, "config invalid; nothing started");
    return;
  }
  const config = loaded.config;
  if (payload.label.name !== config.label) return;

  const burst = deps.burst;
  const permissions = burst
    ? {
        getPermission: (r: RepoRef, login: string) =>
          burst.permission.get(`${r.owner}/${r.repo}:${login}`, async () => (await installationClient()).getPermission(r, login)),
      }
    : forge;
  const decision = await mayTrigger({ forge: permissions, repo, sender, config, botLogin, action: "start" });
  if (!decision.allowed) {
    const queued = decision.explain ? say(`refused:${decision.reason}:${sender.login}`, decision.explain) : false;
    context.log.info({ repo, issueNumber, sender: sender.login, reason: decision.reason, explained: queued }, "trigger refused");
    return;
  }
  if (isPaused(context.payload.issue.labels)) {
    say(
      "paused",
      `autofix is paused for this issue because its last pull request was closed without merging. Comment \`/autofix retry\` to start a fresh attempt.`,
    );
    context.log.info({ repo, issueNumber }, "trigger refused: the issue is paused");
    return;
  }
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
  const marker = `<!-- autofix:status:${key} -->`;
  notices.submit({
    lane,
    key: `${key}:ack:${job.id}`,
    post: async () => {
      const poster = await installationClient();
      await poster.addReaction(repo, { issueNumber }, "eyes");
      // A worker that already took the job writes the status comment itself; "queued" would overwrite its news.
      if ((await deps.queue.get(job.id))?.state !== "queued") return;
      await poster.ensureStatusComment(
        repo,
        issueNumber,
        marker,
        `${marker}\n🤖 **autofix is on it.** Queued as job \`${job.id}\`; this comment will show each step and then the result.\n\nRemove the \`${config.label}\` label or comment \`/autofix stop\` to cancel.`,
      );
    },
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
  const reason = payload.label
    ? `the \`${payload.label.name}\` label was removed by @${payload.sender.login}`
    : `the issue was closed by @${payload.sender.login}`;
  await deps.queue.cancel(key, reason);
  context.log.info({ key, job: active.id, reason }, "job cancelled");
}
