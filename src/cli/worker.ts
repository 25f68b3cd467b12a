// `autofix worker`: runs jobs from the shared queue (Redis when REDIS_URL is set) until SIGTERM.
import { Probot, ProbotOctokit } from "probot";
import { withRateLimitRetries } from "../app/index.js";
import pino from "pino";
import { botIdentity, giveUpReporter, githubJobHandler, sweepAfterReclaim, sweepAtStartup } from "../app/index.js";
import { githubBaseUrl, privateKeyOf } from "../app/index.js";
import { dashboardKeeper } from "../app/index.js";
import { createJobQueue, installSignalHandlers } from "../jobs/index.js";
import { createRuntime } from "../runtime.js";
import { loadSettings } from "../settings.js";
import { UsageError } from "./errors.js";

export async function workerCommand(argv: string[]): Promise<number> {
  if (argv.length) throw new UsageError("`autofix worker` takes no arguments; it reads its settings from the environment.");
  const settings = loadSettings();
  if (!settings.APP_ID)
    throw new UsageError("APP_ID is not set.", "A worker acts as the GitHub App: set APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) as on the server.");
  const log = pino({ level: settings.LOG_LEVEL ?? "info" });
  const probot = new Probot({
    appId: settings.APP_ID,
    privateKey: privateKeyOf(settings),
    baseUrl: githubBaseUrl(settings),
    log,
    // The same rate-limit patience as the server's workers: wait out retry-after before the queue retries.
    Octokit: withRateLimitRetries(ProbotOctokit, log),
  });
  const queue = await createJobQueue(settings, { log });
  const runtime = await createRuntime(settings, log);
  for (const note of runtime.startupNotes) log.warn(note);
  await sweepAtStartup(queue, runtime, log);
  const bot = botIdentity(probot, Number(settings.APP_ID));
  const worker = queue.startWorker({
    // Job moves redraw the dashboard issue of repositories that ask for one (config `dashboard.issue`).
    handler: githubJobHandler({
      probot,
      queue,
      runtime,
      bot,
      log,
      dashboard: dashboardKeeper(probot, queue, bot, log, settings.AUTOFIX_DASHBOARD_ISSUE_INTERVAL_MS),
    }),
    onGiveUp: giveUpReporter(probot, bot),
    concurrency: settings.AUTOFIX_CONCURRENCY,
    perInstallation: settings.AUTOFIX_PER_INSTALLATION,
    leaseMs: settings.AUTOFIX_LEASE_MS,
    maxFailures: settings.AUTOFIX_MAX_FAILURES,
  });
  sweepAfterReclaim(queue, runtime, log, settings.AUTOFIX_LEASE_MS * 1.5);
  log.info({ driver: queue.driver, concurrency: settings.AUTOFIX_CONCURRENCY }, "autofix worker started");
  installSignalHandlers(worker, 60_000, log, { afterStop: () => runtime.close() });
  // The signal handlers exit the process; until then the worker runs.
  await new Promise(() => {});
  return 0;
}
