// Starts the webhook server (Probot's Server on host:port) and, unless disabled, an embedded worker.
// Used by `npm start` and by the end-to-end tests, so both run the same wiring.
import { readFileSync } from "node:fs";
import { Probot, ProbotOctokit, Server } from "probot";
import pino, { type Logger } from "pino";
import { createJobQueue, installSignalHandlers } from "../jobs/index.js";
import type { JobQueue, Worker } from "../jobs/index.js";
import { createRuntime, type Runtime } from "../runtime.js";
import type { Settings } from "../settings.js";
import { AutofixError } from "../errors.js";
import { createApp } from "./probotApp.js";
import { operatorRoutes } from "../observability/index.js";
import type { DashboardKeeper } from "./dashboardIssue.js";
import { appDeps, botIdentity, dashboardKeeper, giveUpReporter, githubJobHandler, sweepAfterReclaim, sweepAtStartup } from "./wiring.js";
import { withRateLimitRetries } from "./tokens.js";

export interface BootOptions {
  settings: Settings;
  host?: string;
  port?: number;
  log?: Logger;
  Octokit?: typeof ProbotOctokit;
  startWorker?: boolean;
  /** Install SIGTERM/SIGINT handlers (the real server does; tests do not). */
  signals?: boolean;
  queue?: JobQueue;
}

export interface Booted {
  server: Server;
  probot: Probot;
  queue: JobQueue;
  runtime: Runtime;
  worker?: Worker;
  /** The dashboard issue keeper (config `dashboard.issue`). */
  dashboard: DashboardKeeper;
  url: string;
  stop(graceMs?: number): Promise<void>;
}

export function privateKeyOf(settings: Settings): string {
  if (settings.PRIVATE_KEY) return settings.PRIVATE_KEY.replace(/\\n/g, "\n");
  if (settings.PRIVATE_KEY_PATH) {
    try {
      return readFileSync(settings.PRIVATE_KEY_PATH, "utf8");
    } catch (cause) {
      throw new AutofixError("PRIVATE_KEY_UNREADABLE", { what: `The app's private key file ${settings.PRIVATE_KEY_PATH} cannot be read.`, why: String((cause as Error).message), next: "Fix PRIVATE_KEY_PATH or set PRIVATE_KEY." }, { cause });
    }
  }
  throw new AutofixError("PRIVATE_KEY_MISSING", { what: "The GitHub App's private key is not set.", why: "Neither PRIVATE_KEY nor PRIVATE_KEY_PATH is set.", next: "Set one of them (see .env.example), or run `npm start` without APP_ID to register the app." });
}

export function githubBaseUrl(settings: Settings): string | undefined {
  return settings.GHE_HOST ? `${settings.GHE_PROTOCOL ?? "https"}://${settings.GHE_HOST}/api/v3` : undefined;
}

export async function bootAutofix(options: BootOptions): Promise<Booted> {
  const { settings } = options;
  // Probot 14 sets probot.log only after its asynchronous set-up, so the logger is built here and handed in.
  const log: Logger = options.log ?? pino({ level: settings.LOG_LEVEL ?? "info" });
  const probotOptions = {
    appId: settings.APP_ID,
    privateKey: privateKeyOf(settings),
    secret: settings.WEBHOOK_SECRET,
    baseUrl: githubBaseUrl(settings),
    log,
    Octokit: withRateLimitRetries(options.Octokit ?? ProbotOctokit, log),
  };
  if (!settings.WEBHOOK_SECRET)
    throw new AutofixError("WEBHOOK_SECRET_MISSING", { what: "The webhook secret is not set.", why: "Without it anyone could forge webhooks.", next: "Set WEBHOOK_SECRET to the secret configured on the GitHub App." });
  const probot = new Probot(probotOptions);
  const queue = options.queue ?? (await createJobQueue(settings, { log }));
  const runtime = await createRuntime(settings, log);
  for (const note of runtime.startupNotes) log.warn(note);
  const bot = botIdentity(probot, Number(settings.APP_ID));
  const routes = operatorRoutes({ queue, settings, log, metrics: runtime.metrics });
  if (routes.startupMessage) log.info(routes.startupMessage);

  const server = new Server({
    host: options.host ?? "localhost",
    port: options.port ?? 3000,
    log,
    Probot: Probot.defaults(probotOptions),
  });
  const dashboard = dashboardKeeper(probot, queue, bot, log, settings.AUTOFIX_DASHBOARD_ISSUE_INTERVAL_MS);
  await server.load(createApp({ deps: appDeps(queue, bot), routes: routes.handlers, dashboard }));
  await server.start();

  let worker: Worker | undefined;
  if (options.startWorker !== false) {
    await sweepAtStartup(queue, runtime, log);
    worker = queue.startWorker({
      handler: githubJobHandler({ probot, queue, runtime, bot, log, onOutcome: routes.onOutcome, dashboard }),
      concurrency: settings.AUTOFIX_CONCURRENCY,
      perInstallation: settings.AUTOFIX_PER_INSTALLATION,
      leaseMs: settings.AUTOFIX_LEASE_MS,
      maxFailures: settings.AUTOFIX_MAX_FAILURES,
      onGiveUp: giveUpReporter(probot, bot, routes.onGiveUp),
    });
    sweepAfterReclaim(queue, runtime, log, settings.AUTOFIX_LEASE_MS * 1.5);
    if (options.signals) installSignalHandlers(worker, 60_000, log, { afterStop: () => runtime.close() });
  }
  return {
    server,
    probot,
    queue,
    runtime,
    worker,
    dashboard,
    url: `http://${server.host}:${server.port}`,
    async stop(graceMs = 5_000) {
      await worker?.stop(graceMs);
      dashboard.stop();
      await runtime.close();
      await server.stop();
      if (!options.queue) await queue.close();
    },
  };
}
