// The Probot app: maps events to handlers and mounts the operator routes. Nothing else lives here.
import type { ApplicationFunction } from "probot";
import { onIssueCancelled, onIssueLabeled, type AppDeps } from "./handlers.js";
import { onConfigPullRequest } from "./configCheck.js";
import { onIssueComment } from "./commands.js";
import { onPush } from "./baseMoved.js";
import { onPullRequestClosed, onPullRequestSynchronize, onReviewSubmitted } from "./prEvents.js";
import { onCiEvent } from "./ciEvents.js";
import { onDashboardEdited, type DashboardKeeper } from "./dashboardIssue.js";
import { repoOf } from "./handlers.js";
import type { InboxRunner } from "./inboxRunner.js";
import { acceptDelivery } from "./deliveries.js";

export interface AppOptions {
  deps: AppDeps;
  /** Keeps the dashboard issue of repositories that ask for one (config `dashboard.issue`). */
  dashboard?: DashboardKeeper;
  /** Operator routes (dashboard, metrics, health) as plain node handlers. */
  routes?: Parameters<Parameters<ApplicationFunction>[1]["addHandler"]>[0][];
  /** Issue events are recorded and answered at once, then decided by this runner (see deliveries.ts). */
  inbox?: InboxRunner;
}

export function createApp(options: AppOptions): ApplicationFunction {
  const { deps } = options;
  return (app, { addHandler }) => {
    const inbox = options.inbox;
    if (inbox) app.on(["issues.labeled", "issues.unlabeled", "issues.closed", "issue_comment.created"], acceptDelivery(deps, inbox));
    else {
      app.on("issues.labeled", (context) => onIssueLabeled(deps, context));
      app.on(["issues.unlabeled", "issues.closed"], (context) => onIssueCancelled(deps, context));
      app.on("issue_comment.created", (context) => onIssueComment(deps, context));
    }
    app.on(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"], (context) => onConfigPullRequest(deps, context));
    app.on("pull_request.closed", (context) => onPullRequestClosed(deps, context));
    app.on("pull_request.synchronize", (context) => onPullRequestSynchronize(deps, context));
    app.on("pull_request_review.submitted", (context) => onReviewSubmitted(deps, context));
    app.on("push", (context) => onPush(deps, context));
    app.on(["check_suite.completed", "check_run.completed", "status"], (context) => onCiEvent(deps, context));
    const dashboard = options.dashboard;
    if (dashboard) {
      app.on("issues.edited", (context) => onDashboardEdited({ ...deps, dashboard }, context));
      // Issue events through the inbox touch the dashboard once decided (the job moves only then).
      const touched = inbox
        ? ["pull_request.closed" as const]
        : (["issues.labeled", "issues.unlabeled", "issues.closed", "issue_comment.created", "pull_request.closed"] as const);
      app.on([...touched], async (context) => dashboard.touch(repoOf(context.payload), context.payload.installation?.id));
    }
    for (const route of options.routes ?? []) addHandler(route);
  };
}
