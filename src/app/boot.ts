// Starts the webhook server (Probot's Server on host:port) and, unless disabled, an embedded worker.
// Used by `npm start` and by the end-to-end tests, so both run the same wiring.
import { createPrivateKey } from "node:crypto";
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
import { homeHandler } from "./home.js";
import { InboxRunner } from "./inboxRunner.js";
import { decideDelivery } from "./deliveries.js";

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
  /** Decides recorded webhook deliveries after the answer (absent when the store has no inbox). */
  inbox?: InboxRunner;
  /** Resolves once every recorded delivery is decided and what the handlers had to say on GitHub is posted. */
  idle(): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

export function privateKeyOf(settings: Settings): string {
  if (settings.PRIVATE_KEY) return checkedPrivateKey(settings.PRIVATE_KEY.replace(/\\n/g, "\n"), "PRIVATE_KEY");
  if (settings.PRIVATE_KEY_PATH) {
    let pem: string;
    try {
      pem = readFileSync(settings.PRIVATE_KEY_PATH, "utf8");
    } catch (cause) {
      throw new AutofixError(
        "PRIVATE_KEY_UNREADABLE",
        {
          what: `The app's private key file ${settings.PRIVATE_KEY_PATH} (PRIVATE_KEY_PATH) cannot be read.`,
          why: `${(cause as Error).message}.`,
          next: "Point PRIVATE_KEY_PATH at the .pem file GitHub gave you for the App (readable by this user), or set PRIVATE_KEY instead.",
        },
        { cause },
      );
    }
    return checkedPrivateKey(pem, `PRIVATE_KEY_PATH (${settings.PRIVATE_KEY_PATH})`);
  }
  throw new AutofixError("PRIVATE_KEY_MISSING", {
    what: "The GitHub App's private key is not set.",
    why: "Neither PRIVATE_KEY nor PRIVATE_KEY_PATH is set.",
    next: "Set one of them (see .env.example), or run `npm start` without APP_ID to register the app.",
  });
}

/** A key that does not parse would only fail at the first GitHub call; say so at start-up instead. */
function checkedPrivateKey(pem: string, source: string): string {
  try {
    createPrivateKey(pem);
    return pem;
  } catch (cause) {
    throw new AutofixError(
      "PRIVATE_KEY_INVALID",
      {
        what: `The app's private key in ${source} is not a PEM private key.`,
        why: `It could not be parsed (${(cause as Error).message}).`,
        next: "Use the .pem file downloaded from the GitHub App's settings page (Private keys → Generate), unchanged.",
      },
      { cause },
    );
  }
}

export function githubBaseUrl(settings: Settings): string | undefined {
  return settings.GHE_HOST ? `${settings.GHE_PROTOCOL ?? "https"}://${settings.GHE_HOST}/api/v3` : undefined;
}

export async function bootAutofix(options: BootOptions): Promise<Booted> {
  const { settings } = options;
  // Probot 14 sets probot.log only after its asynchronous set-up, so the logger is built here and handed in.
  const log: Logger = options.log ?? pino({ level: settings.LOG_LEVEL ?? "info" });
  if (!settings.WEBHOOK_SECRET)
    throw new AutofixError("WEBHOOK_SECRET_MISSING", {
      what: "The webhook secret (WEBHOOK_SECRET) is not set.",
      why: "Without it anyone could forge webhooks, so autofix refuses to start.",
      next: "Set WEBHOOK_SECRET to the secret configured on the GitHub App (its settings page, Webhook secret).",
    });
  const probotOptions = {
    appId: settings.APP_ID,
    privateKey: privateKeyOf(settings),
    secret: settings.WEBHOOK_SECRET,
    baseUrl: githubBaseUrl(settings),
    log,
    Octokit: withRateLimitRetries(options.Octokit ?? ProbotOctokit, log),
  };
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
    // Development: Probot relays a smee.io channel to the webhook path (README, "Webhooks on a development machine").
    webhookProxy: settings.WEBHOOK_PROXY_URL,
    log,
    Probot: Probot.defaults(probotOptions),
  });
  const home = homeHandler({ operators: routes.startupMessage, worker: options.startWorker === false ? "off" : "embedded" });
  const dashboard = dashboardKeeper(probot, queue, bot, log, settings.AUTOFIX_DASHBOARD_ISSUE_INTERVAL_MS);
  const deps = appDeps(queue, bot, log);
  const inbox = queue.inbox
    ? new InboxRunner({ inbox: queue.inbox, decide: decideDelivery(deps, probot, log, dashboard), log, leaseMs: settings.AUTOFIX_INBOX_LEASE_MS })
    : undefined;
  await server.load(createApp({ deps, routes: [...routes.handlers, home], dashboard, inbox }));
  await server.start().catch((cause: NodeJS.ErrnoException) => {
    throw listenError(cause, options.host ?? "localhost", options.port ?? 3000);
  });
  // Deliveries a process that died had recorded but not decided are taken over now and on every sweep.
  inbox?.start();

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
    inbox,
    url: `http://${server.host}:${server.port}`,
    idle: async () => {
      await inbox?.idle();
      await deps.notices?.idle();
    },
    async stop(graceMs = 5_000) {
      // Deliveries being decided, then notices still queued, get the grace period, so a stopping server
      // neither drops a decision (what is left is released to the next process) nor swallows an explanation.
      await inbox?.stop(graceMs);
      await Promise.race([deps.notices?.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      await worker?.stop(graceMs);
      dashboard.stop();
      await runtime.close();
      await server.stop();
      if (!options.queue) await queue.close();
    },
  };
}

/** Probot's own message for a taken port is right but reaches the operator as "unexpected": name the settings. */
function listenError(cause: NodeJS.ErrnoException, host: string, port: number): Error {
  if (cause?.code === "EADDRINUSE")
    return new AutofixError(
      "PORT_IN_USE",
      {
        what: `autofix cannot listen on ${host}:${port}: the port is already in use.`,
        why: "Another process (perhaps another autofix) listens on PORT there.",
        next: "Stop that process, or set PORT (and HOST) to a free address.",
      },
      { cause },
    );
  if (cause?.code === "EACCES")
    return new AutofixError(
      "PORT_NOT_ALLOWED",
      {
        what: `autofix may not listen on ${host}:${port}.`,
        why: "Ports below 1024 need extra privileges.",
        next: "Set PORT to 1024 or above (put a reverse proxy in front for port 80/443).",
      },
      { cause },
    );
  if (cause?.code === "EADDRNOTAVAIL" || cause?.code === "ENOTFOUND")
    return new AutofixError(
      "HOST_INVALID",
      {
        what: `autofix cannot listen on ${host}:${port}.`,
        why: `HOST ${host} is not an address of this machine (${cause.code}).`,
        next: "Set HOST to 0.0.0.0 (all interfaces), 127.0.0.1, or an address of this machine.",
      },
      { cause },
    );
  return cause;
}
