// GitHub-side wiring shared by the webhook server and `autofix worker`: forges from Probot's
// installation clients, config loading, and the job handler that runs the pipeline.
import type { Context, Probot } from "probot";
import { loadConfigViaApi, loadVersionedConfig } from "./configLoad.js";
import { renderConfigProblems } from "../config/index.js";
import { createOctokitForge, installationGitCredentials, type OctokitLike } from "../forge/index.js";
import type { Forge } from "../forge/index.js";
import type { JobQueue, JobSpec } from "../jobs/index.js";
import { cleanupJobDirs, createJobHandler } from "../pipeline/index.js";
import { botAuthor, type Runtime } from "../runtime.js";
import type { AppDeps } from "./handlers.js";
import type { JobOutcome, JobRecord } from "../jobs/index.js";
import { presentError } from "./present.js";
import { sweepStaleSpawns } from "../engine/index.js";
import { createJobOctokit } from "./tokens.js";
import { burstCache, noticeBoard } from "./burst.js";
import { DashboardKeeper, type DashboardKeeperOptions } from "./dashboardIssue.js";

/**
 * How long the label handler reuses a repository's config and a sender's permission. Long enough to
 * cover a burst of labels, short enough that a fixed config or a revoked permission applies within seconds;
 * the worker loads the config again for the run itself.
 */
export const TRIGGER_BURST_TTL_MS = 10_000;

const INSTALLATION_CLIENT_TTL_MS = 10 * 60_000;

/** How long an explanation (or acknowledgement) is remembered, so redeliveries and re-applied labels repeat nothing. */
export const NOTICE_MEMORY_MS = 60 * 60_000;

export interface BotIdentity {
  login(): Promise<string | undefined>;
  appId?: number;
  /** A client for one installation whose write pacing is that installation's alone (see appDeps' notices). */
  installationOctokit?(installationId: number): Promise<OctokitLike>;
}

/** The app's own login (`<slug>[bot]`), looked up once: its events and comments are never human input. */
export function botIdentity(probot: Probot, appId?: number): BotIdentity {
  let cached: Promise<string | undefined> | undefined;
  const clients = new Map<number, { client: Promise<OctokitLike>; until: number }>();
  return {
    appId,
    installationOctokit: (installationId) => {
      // One client per installation for a few minutes: its token is cached inside, and its pacing state is the
      // installation's. A failed auth is forgotten at once.
      const hit = clients.get(installationId);
      if (hit && hit.until > Date.now()) return hit.client;
      const client = probot.auth(installationId).then((o) => o as unknown as OctokitLike);
      clients.set(installationId, { client, until: Date.now() + INSTALLATION_CLIENT_TTL_MS });
      client.catch(() => clients.delete(installationId));
      return client;
    },
    login() {
      cached ??= (async () => {
        try {
          const octokit = await probot.auth();
          const { data } = await octokit.request("GET /app");
          return data?.slug ? `${data.slug}[bot]` : undefined;
        } catch {
          cached = undefined;
          return undefined;
        }
      })();
      return cached;
    },
  };
}

export function forgeFromOctokit(octokit: OctokitLike, botLogin: string | undefined, appId?: number): Forge {
  return createOctokitForge(octokit, { botLogin, appId, gitCredentials: async () => installationGitCredentials(octokit)() });
}

export function appDeps(queue: JobQueue, bot: BotIdentity, log?: { warn(o: object, m?: string): void }): AppDeps {
  let login: string | undefined;
  void bot.login().then((l) => (login = l));
  return {
    queue,
    forgeFor: (context: Context) => forgeFromOctokit(context.octokit as unknown as OctokitLike, login, bot.appId),
    // Probot paces writes per client id, and gives every webhook's client the same one: the notices go through a
    // client of their installation (probot.auth), so one installation's burst does not delay another's comments.
    ...(bot.installationOctokit
      ? { installationForge: async (installationId: number) => forgeFromOctokit(await bot.installationOctokit!(installationId), login, bot.appId) }
      : {}),
    // Read through the REST API like the worker does (Probot's loader cannot see a file's size or version).
    loadConfig: async (context: Context) => {
      // Read through the installation's client: Probot gives every webhook's client one concurrency limit per process.
      const installationId = (context.payload as { installation?: { id?: number } }).installation?.id;
      const octokit =
        installationId !== undefined && bot.installationOctokit ? await bot.installationOctokit(installationId) : (context.octokit as unknown as OctokitLike);
      return loadVersionedConfig(octokit, context.repo());
    },
    renderProblems: renderConfigProblems,
    botLogin: () => bot.login(),
    // Only a valid config is reused: a repository fixing an invalid one is read again at the next label.
    burst: { config: burstCache(TRIGGER_BURST_TTL_MS, (loaded) => loaded.ok), permission: burstCache(TRIGGER_BURST_TTL_MS) },
    notices: noticeBoard({
      quietMs: 50,
      maxWaitMs: 2_000,
      rememberMs: NOTICE_MEMORY_MS,
      onError: (err, notice) =>
        log?.warn({ key: notice.key, err: String(err) }, "could not post a notice on the issue; the next delivery asking for it tries again"),
    }),
  };
}

export function githubJobHandler(input: {
  probot: Probot;
  queue: JobQueue;
  runtime: Runtime;
  bot: BotIdentity;
  log: Parameters<typeof createJobHandler>[0]["log"];
  onOutcome?: (spec: JobSpec, outcome: JobOutcome) => void;
  dashboard?: DashboardKeeper;
}) {
  const { probot, runtime, bot } = input;
  // One client per claimed job (the store hands each claim a fresh spec object), holding a token for
  // the job's repository alone; forge, config loading and git credentials share it.
  const clients = new WeakMap<JobSpec, Promise<OctokitLike>>();
  const octokitFor = (spec: JobSpec): Promise<OctokitLike> => {
    let client = clients.get(spec);
    if (!client) {
      const log = input.log.child?.({ repo: `${spec.repo.owner}/${spec.repo.repo}`, issue: spec.issueNumber }) ?? input.log;
      client = createJobOctokit(probot, spec, { log: log as never }).then((c) => c.octokit);
      client.catch(() => clients.delete(spec));
      clients.set(spec, client);
    }
    return client;
  };
  const handler = createJobHandler({
    queue: input.queue,
    log: input.log,
    installationRunsPerDay: runtime.settings.AUTOFIX_INSTALLATION_RUNS_PER_DAY,
    forgeForJob: async (spec) => forgeFromOctokit(await octokitFor(spec), await bot.login(), bot.appId),
    loadConfig: async (_forge, spec) => loadConfigViaApi(await octokitFor(spec), spec.repo),
    renderProblems: renderConfigProblems,
    // Commits are authored by the app's own bot account, whatever its slug.
    envFor: async (forge, config) => runtime.envFor(forge, config, { author: botAuthor(await bot.login()) }),
    onOutcome: input.onOutcome,
  });
  const dashboard = input.dashboard;
  if (!dashboard) return handler;
  // A job starting, waiting or ending moves it on the dashboard issue.
  return async (ctx: Parameters<typeof handler>[0]) => {
    dashboard.touch(ctx.job.spec.repo, ctx.job.spec.installationId);
    try {
      return await handler(ctx);
    } finally {
      dashboard.touch(ctx.job.spec.repo, ctx.job.spec.installationId);
    }
  };
}

/** The dashboard keeper of a GitHub App process: installation clients, the repository config read through the API. */
export function dashboardKeeper(probot: Probot, queue: JobQueue, bot: BotIdentity, log: DashboardKeeperOptions["log"], minIntervalMs: number): DashboardKeeper {
  return new DashboardKeeper({
    queue,
    log,
    minIntervalMs,
    access: async (repo, installationId) => {
      const octokit = (await probot.auth(installationId)) as unknown as OctokitLike;
      const loaded = await loadConfigViaApi(octokit, repo);
      return loaded.ok ? { forge: forgeFromOctokit(octokit, await bot.login(), bot.appId), config: loaded.config } : undefined;
    },
  });
}

/** A job that kept failing until the queue gave up is reported on its issue, once. */
export function giveUpReporter(probot: Probot, bot: BotIdentity, also?: (job: JobRecord, error: Error) => Promise<void> | void) {
  return async (job: JobRecord, error: Error): Promise<void> => {
    await also?.(job, error);
    const { spec } = job;
    try {
      const octokit = (await probot.auth(spec.installationId)) as unknown as OctokitLike;
      const forge = forgeFromOctokit(octokit, await bot.login(), bot.appId);
      const marker = `<!-- autofix:status:${job.key} -->`;
      await forge.ensureStatusComment(
        spec.repo,
        spec.issueNumber,
        marker,
        [
          marker,
          "⚠️ **autofix gave up on this issue.**",
          "",
          presentError(error).markdown,
          "",
          `It tried ${job.failures} time(s). The operator's logs have the details (job \`${job.id}\`). Comment \`/autofix retry\` to try again.`,
        ].join("\n"),
      );
    } catch {
      // Reporting is best effort: the failure is recorded on the job either way.
    }
  };
}

/** Spawns of jobs that are neither queued nor running were left by a crash: remove them at start-up. */
export async function sweepAtStartup(queue: JobQueue, runtime: Runtime, log: { info(o: object, m?: string): void }): Promise<void> {
  const active = await queue.list({ states: ["queued", "running"], limit: 10_000 });
  const keep = new Set(active.flatMap((j) => [j.id, `${j.id}--baseline`]));
  const removed = await sweepStaleSpawns(runtime.paths.workRoot, keep, runtime.spares);
  if (removed.length) log.info({ removed: removed.length }, "removed spawns left behind by a crash");
}

/**
 * A crashed job cancelled or given up while no worker ran is only marked so when a worker reclaims its lapsed
 * lease, after the start-up sweep kept its spawn. After `delayMs` (a lease and a half), remove the dirs of
 * ended jobs: by their ids, so a spawn of a job claimed meanwhile is never touched.
 */
export function sweepAfterReclaim(queue: JobQueue, runtime: Runtime, log: { warn(o: object, m?: string): void }, delayMs: number): void {
  const sweep = async () => {
    const ended = await queue.list({ states: ["cancelled", "failed"], limit: 1_000 });
    for (const job of ended) await cleanupJobDirs(job.id, runtime.paths.workRoot, runtime.paths.scratchRoot);
  };
  setTimeout(() => void sweep().catch((err: unknown) => log.warn({ err: String(err) }, "could not sweep the spawns of ended jobs")), delayMs).unref();
}
