// Which webhook deliveries go through the inbox, and how a recorded one is decided after the answer: the issue
// events whose handling reads GitHub or changes an issue's job (label, unlabel, close, slash commands).
// Other events stay direct: they are rare, their issue is known only from the repository's config (the bot's branch
// prefix), and they read nothing before deciding (CI events) or only say something on a PR (config check).
import { Context, type Probot } from "probot";
import { z } from "zod";
import { jobKey, type InboxEntry } from "../jobs/index.js";
import type { AppDeps } from "./handlers.js";
import { onIssueCancelled, onIssueLabeled, repoOf } from "./handlers.js";
import { onIssueComment, parseCommand } from "./commands.js";
import type { InboxRunner } from "./inboxRunner.js";
import type { DashboardKeeper } from "./dashboardIssue.js";

type Handler = (deps: AppDeps, context: Context<any>) => Promise<void>;

/** `<event>.<action>` → the handler that decides it, unchanged from when it ran before the answer. */
export const INBOX_HANDLERS: Record<string, Handler> = {
  "issues.labeled": onIssueLabeled,
  "issues.unlabeled": onIssueCancelled,
  "issues.closed": onIssueCancelled,
  "issue_comment.created": onIssueComment,
};

const issueEvent = z.object({
  action: z.string(),
  label: z.object({ name: z.string() }).optional(),
  issue: z.object({ number: z.number().int().positive(), state: z.string().optional(), pull_request: z.unknown().optional() }),
  comment: z.object({ body: z.string() }).optional(),
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }),
  sender: z.object({ login: z.string(), type: z.string() }),
});

/**
 * What to do with a delivery before answering, with no I/O: `skip` (the handler would do nothing: a PR, a closed
 * issue, a comment without a command), `record` under its issue key, or `direct` (a payload the checks cannot
 * read: the handler runs before the answer and reports it as before).
 */
export function triage(name: string, payload: unknown): { kind: "skip" } | { kind: "direct" } | { kind: "record"; key: string } {
  const parsed = issueEvent.safeParse(payload);
  if (!parsed.success) return { kind: "direct" };
  const p = parsed.data;
  const key = jobKey(repoOf(p), p.issue.number);
  if (name === "issue_comment") return p.comment && parseCommand(p.comment.body) ? { kind: "record", key } : { kind: "skip" };
  if (p.issue.pull_request) return { kind: "skip" };
  if (p.action === "labeled" && (p.issue.state !== "open" || !p.label)) return { kind: "skip" };
  return { kind: "record", key };
}

/** An issue's text is never read by these handlers (the worker reads the issue itself): dropped from an oversized record. */
function trimmed(payload: object): object {
  const p = payload as { issue?: { body?: unknown } };
  return p.issue && typeof p.issue === "object" ? { ...p, issue: { ...p.issue, body: null } } : payload;
}

/** The Probot handler of an inbox event: record and return, or decide now when recording is not possible. */
export function acceptDelivery(deps: AppDeps, runner: InboxRunner) {
  return async (context: Context<any>): Promise<void> => {
    const handler = INBOX_HANDLERS[`${context.name}.${(context.payload as { action?: string }).action}`];
    if (!handler) return;
    const verdict = triage(context.name, context.payload);
    if (verdict.kind === "skip") return;
    if (verdict.kind === "direct") return handler(deps, context);
    const entry = (payload: object): InboxEntry => ({ id: context.id, name: context.name, key: verdict.key, payload, receivedAt: new Date().toISOString() });
    let accepted: Awaited<ReturnType<InboxRunner["accept"]>>;
    try {
      accepted = await runner.accept(entry(context.payload as object));
      if (accepted === "too-large") accepted = await runner.accept(entry(trimmed(context.payload as object)));
    } catch (err) {
      // The store would not take it: decide now, as before the inbox, rather than lose the delivery.
      context.log.warn(
        { deliveryId: context.id, event: context.name, err: String(err) },
        "could not record the webhook delivery; deciding it before answering",
      );
      return handler(deps, context);
    }
    if (accepted === "too-large") {
      context.log.warn({ deliveryId: context.id, event: context.name }, "webhook payload too large to record; deciding it before answering");
      return handler(deps, context);
    }
    if (accepted === "duplicate")
      context.log.info({ deliveryId: context.id, event: context.name }, "webhook redelivered while it is being decided; nothing new");
  };
}

/** Decides a recorded delivery as Probot would have: a context with the installation's client, then its handler. */
export function decideDelivery(deps: AppDeps, probot: Probot, log: { child(b: object): unknown }, dashboard?: DashboardKeeper) {
  return async (entry: InboxEntry): Promise<void> => {
    const payload = entry.payload as { action?: string; installation?: { id?: number }; repository: { name: string; owner: { login: string } } };
    const handler = INBOX_HANDLERS[`${entry.name}.${payload.action}`];
    if (!handler) return;
    const installationId = payload.installation?.id;
    const octokit = await probot.auth(installationId);
    const context = new Context(
      { id: entry.id, name: entry.name, payload } as never,
      octokit as never,
      log.child({ deliveryId: entry.id, event: `${entry.name}.${payload.action}` }) as never,
    );
    await handler(deps, context);
    // The dashboard was touched at receipt; the job moved only now.
    dashboard?.touch(repoOf(payload), installationId);
  };
}
