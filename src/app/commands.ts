// Slash commands in issue and PR comments: `/autofix retry | revise <instructions> | stop | status`.
// The bot reacts before any work starts, and explains to anyone it will not obey.
import type { Context } from "probot";
import { z } from "zod";
import type { Forge, RepoRef } from "../forge/index.js";
import { jobKey, type JobRecord, type JobSpec } from "../jobs/index.js";
import type { AppDeps } from "./handlers.js";
import { repoOf } from "./handlers.js";
import { mayTrigger } from "./trigger.js";
import { clearPause } from "./inert.js";

export type Command = { name: "retry" } | { name: "revise"; instructions: string } | { name: "stop" } | { name: "status" } | { name: "unknown"; text: string };

/** The first line starting with `/autofix` is the command; the rest of the comment belongs to `revise`. */
export function parseCommand(body: string): Command | undefined {
  const lines = body.replace(/\r\n/g, "\n").split("\n");
  const index = lines.findIndex((l) => /^\s*\/autofix\b/i.test(l));
  if (index < 0) return undefined;
  const [, verb = "", rest = ""] = /^\s*\/autofix\s*(\S*)\s*(.*)$/i.exec(lines[index]) ?? [];
  const more = lines
    .slice(index + 1)
    .join("\n")
    .trim();
  switch (verb.toLowerCase()) {
    case "retry":
      return { name: "retry" };
    case "stop":
    case "cancel":
      return { name: "stop" };
    case "status":
      return { name: "status" };
    case "revise": {
      const instructions = [rest.trim(), more].filter(Boolean).join("\n").trim();
      return { name: "revise", instructions };
    }
    default:
      return { name: "unknown", text: verb };
  }
}

const help =
  "Commands: `/autofix retry` (a fresh attempt from the current base), `/autofix revise <instructions>` (another attempt on top of the PR), `/autofix stop` (cancel), `/autofix status`.";

const commentPayload = z.object({
  comment: z.object({ id: z.number(), body: z.string(), user: z.object({ login: z.string(), type: z.string() }) }),
  issue: z.object({ number: z.number(), title: z.string(), pull_request: z.unknown().optional() }),
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }),
  sender: z.object({ login: z.string(), type: z.string(), id: z.number().optional() }),
  installation: z.object({ id: z.number() }).optional(),
});

/** The issue a PR of the bot belongs to, from its head branch `<prefix>issue-N`. */
export async function issueOfPr(forge: Forge, repo: RepoRef, prNumber: number, branchPrefix: string): Promise<number | undefined> {
  const pr = await forge.getPr(repo, prNumber);
  const m = new RegExp(`^${branchPrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}issue-(\\d+)$`).exec(pr.headRef);
  return m ? Number(m[1]) : undefined;
}

/** A job parked until its PR's CI finishes (step `ci-N-wait`): which PR and which round, from the round's start record. */
function ciWaitOf(job: JobRecord): { round: number; prUrl?: string } | undefined {
  const m = /^ci-(\d+)-wait$/.exec(job.progress.step ?? "");
  if (!m || (job.state !== "queued" && job.state !== "running")) return undefined;
  const start = job.steps.find((s) => s.name === `ci-${m[1]}-start`)?.output as { prUrl?: string } | undefined;
  return { round: Number(m[1]) + 1, prUrl: start?.prUrl };
}

export function describeJob(job: JobRecord | undefined): string {
  if (!job) return "autofix has no job for this issue yet. Add the label or comment `/autofix retry` to start one.";
  const ci = ciWaitOf(job);
  if (ci) {
    return [
      `Job \`${job.id}\` (${job.spec.trigger} by @\u200b${job.spec.requestedBy}) is **waiting for the repository's CI** on ${ci.prUrl ?? "its pull request"} (CI round ${ci.round}).`,
      "",
      "The gates passed; autofix marks the PR ready for review when the checks are green, or hands a red CI back to the agent for a repair. Comment `/autofix stop` to stop following CI.",
    ].join("\n");
  }
  const step = job.progress.step ? `, step \`${job.progress.step}\`` : "";
  const attempt = job.progress.attempt ? `, attempt ${job.progress.attempt}` : "";
  const outcome = job.outcome ? `\n\nOutcome: ${job.outcome.message}` : job.cancelReason ? `\n\nCancelled: ${job.cancelReason}` : "";
  return `Job \`${job.id}\` (${job.spec.trigger} by @\u200b${job.spec.requestedBy}) is **${job.state}**${step}${attempt}.${outcome}`;
}

export async function onIssueComment(deps: AppDeps, context: Context<"issue_comment.created">): Promise<void> {
  const payload = commentPayload.parse(context.payload);
  const command = parseCommand(payload.comment.body);
  if (!command) return;
  const botLogin = await deps.botLogin();
  if (botLogin && payload.comment.user.login === botLogin) return;
  const forge = deps.forgeFor(context);
  const repo = repoOf(payload);
  const loaded = await deps.loadConfig(context);
  if (!loaded.ok) {
    await forge.comment(
      repo,
      payload.issue.number,
      ["⚠️ autofix cannot act on this command: `.github/autofix.yml` is invalid.", "", deps.renderProblems(loaded.problems)].join("\n"),
    );
    return;
  }
  const config = loaded.config;
  const decision = await mayTrigger({ forge, repo, sender: payload.comment.user, config, botLogin, action: "run this command" });
  if (!decision.allowed) {
    if (decision.explain) await forge.comment(repo, payload.issue.number, decision.explain);
    return;
  }
  await forge.addReaction(repo, { commentId: payload.comment.id }, command.name === "unknown" ? "confused" : "eyes");

  const onPr = Boolean(payload.issue.pull_request);
  const issueNumber = onPr ? await issueOfPr(forge, repo, payload.issue.number, config.pr.branchPrefix) : payload.issue.number;
  if (issueNumber === undefined) {
    await forge.comment(repo, payload.issue.number, `This pull request was not opened by autofix, so there is nothing for it to ${command.name}. ${help}`);
    return;
  }
  const key = jobKey(repo, issueNumber);
  const reply = (body: string) => forge.comment(repo, payload.issue.number, body);
  switch (command.name) {
    case "unknown":
      await reply(`autofix does not know \`/autofix ${command.text}\`. ${help}`);
      return;
    case "status":
      await reply(describeJob(await deps.queue.latest(key)));
      return;
    case "stop": {
      const cancelled = await deps.queue.cancel(key, `@${payload.sender.login} commented \`/autofix stop\``);
      await reply(
        cancelled
          ? `Stopping job \`${cancelled.id}\`; the status comment will confirm.`
          : "autofix has no queued or running job for this issue; nothing to stop.",
      );
      return;
    }
    case "revise":
      if (!command.instructions) {
        await reply("`/autofix revise` needs instructions, e.g. `/autofix revise keep the old function name`.");
        return;
      }
      break;
    case "retry":
      break;
  }
  const pr = await forge.findOpenPrByHead(repo, `${config.pr.branchPrefix}issue-${issueNumber}`);
  if (command.name === "revise" && !pr) {
    await reply("There is no open autofix pull request for this issue to revise. Comment `/autofix retry` for a fresh attempt.");
    return;
  }
  if (command.name === "retry") await clearPause(forge, repo, issueNumber);
  const spec: JobSpec = {
    repo,
    issueNumber,
    installationId: payload.installation?.id,
    trigger: command.name,
    requestedBy: payload.sender.login,
    requestedById: payload.sender.id,
    deliveryId: context.id,
    instructions: command.name === "revise" ? command.instructions : undefined,
    prNumber: pr?.number,
    issueTitle: onPr ? undefined : payload.issue.title,
  };
  const { job, created } = await deps.queue.enqueue(spec);
  if (created) context.log.info({ key, job: job.id, command: command.name }, "command enqueued a job");
}
