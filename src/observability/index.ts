// The operators' view, wired into Probot 14's server: `addHandler` takes plain Node handlers
// (Probot 14 dropped `getRouter` and Express), so each mount adds one handler.
import { jobKey, type JobOutcome, type JobRecord, type JobSpec } from "../jobs/index.js";
import type { Settings } from "../settings.js";
import { accessConfigured, accessHint } from "./auth.js";
import { createDashboardHandler, type DashboardDeps, type NodeHandler } from "./dashboard/handler.js";
import { healthPath } from "./healthz.js";
import { recordJobSteps } from "./jobMetrics.js";
import type { Metrics } from "./metrics.js";
import { createMetricsHandler, metricsPath, type MetricsDeps } from "./metricsHandler.js";

export type AddHandler = (handler: NodeHandler) => void;

export { createDashboardHandler, createMetricsHandler };
export type { DashboardDeps, MetricsDeps, NodeHandler };
export { createMetrics, type Metrics, type LlmRole } from "./metrics.js";
export { recordJobSteps } from "./jobMetrics.js";

/** Serves /autofix (jobs), /autofix/jobs/:id, /autofix/login, /autofix/logout and /autofix/healthz. */
export function mountDashboard(addHandler: AddHandler, deps: DashboardDeps): void {
  addHandler(createDashboardHandler(deps));
}

/** Serves /metrics and makes the queue gauges read `deps.queue` on each scrape. */
export function mountMetrics(addHandler: AddHandler, deps: MetricsDeps): void {
  addHandler(createMetricsHandler(deps));
}

/** The start-up log line: where the dashboard is, or exactly how to turn it on. */
export function dashboardStartupMessage(settings: Settings): string {
  const metricsState = settings.AUTOFIX_METRICS_PUBLIC
    ? `${metricsPath} is public (AUTOFIX_METRICS_PUBLIC=true): bind this port privately`
    : accessConfigured(settings)
      ? `${metricsPath} needs the same credentials`
      : `${metricsPath} is off too (or set AUTOFIX_METRICS_PUBLIC=true on a private port)`;
  if (!accessConfigured(settings)) {
    return `Dashboard is off: ${accessHint(settings)} It will then be at /autofix. ${metricsState}; ${healthPath} is always on.`;
  }
  const via = [
    settings.AUTOFIX_DASHBOARD_TOKEN ? "AUTOFIX_DASHBOARD_TOKEN" : "",
    settings.AUTOFIX_DASHBOARD_USER && settings.AUTOFIX_DASHBOARD_PASSWORD ? "AUTOFIX_DASHBOARD_USER/PASSWORD" : "",
  ]
    .filter(Boolean)
    .join(" or ");
  return `Dashboard is on at /autofix (sign in with ${via}); ${metricsState}; ${healthPath} is always on.`;
}

export interface OperatorRoutesDeps extends DashboardDeps {
  /** The process's metrics, created by the runtime (tests bring their own). */
  metrics: Metrics;
  /**
   * Read step durations, gate verdicts, tokens and cost off the job record when it finishes (default).
   * Turn off if the pipeline calls observeStep/recordGate/addTokens/addCost itself: both would count twice.
   */
  deriveJobMetrics?: boolean;
}

export interface OperatorRoutes {
  /** Plain node handlers for Probot's `addHandler`: dashboard, health, metrics. */
  handlers: NodeHandler[];
  startupMessage: string;
  /** Give it every finished job's outcome (the job handler's `onOutcome`). */
  onOutcome(spec: JobSpec, outcome: JobOutcome): void;
  /** For WorkerOptions.onGiveUp (chain it with the issue report): counts the job as an "error" outcome. */
  onGiveUp(job: JobRecord, error: Error): Promise<void>;
}

/** Everything the app mounts for operators, in one call (src/app/boot.ts). */
export function operatorRoutes(deps: OperatorRoutesDeps): OperatorRoutes {
  const jobMetrics = deps.metrics;
  const derive = deps.deriveJobMetrics ?? true;
  return {
    handlers: [createDashboardHandler(deps), createMetricsHandler({ ...deps, metrics: jobMetrics })],
    startupMessage: dashboardStartupMessage(deps.settings),
    onOutcome(spec, outcome) {
      jobMetrics.recordJobOutcome(outcome.kind);
      if (!derive) return;
      // Called as the job ends: the newest record of its key is this job, still running or just
      // finished with this outcome (a newer job superseding it would be queued, and is skipped).
      deps.queue
        .latest(jobKey(spec.repo, spec.issueNumber))
        .then((job) => {
          const isThisJob =
            job?.state === "running" || (job?.state !== "queued" && job?.outcome?.kind === outcome.kind && job.outcome.message === outcome.message);
          if (job && isThisJob) recordJobSteps(jobMetrics, job);
        })
        .catch((err: unknown) => deps.log.warn({ err }, "could not read a finished job for its metrics"));
    },
    async onGiveUp(job) {
      // A job that threw until the worker gave up never reached onOutcome.
      jobMetrics.recordJobOutcome("error");
      if (derive) recordJobSteps(jobMetrics, job);
    },
  };
}
