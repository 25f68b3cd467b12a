// The dashboard issue (config `dashboard.issue`): one issue per repository, kept in place by its hidden
// marker, refreshed at most once per interval however many jobs move, and steered by its checkboxes.
import type { Context } from "probot";
import { z } from "zod";
import type { AutofixConfig } from "../config/index.js";
import type { Forge, RepoRef } from "../forge/index.js";
import type { JobQueue } from "../jobs/index.js";
import { dashboardMarker, latestPerIssue, renderDashboard, tickedActions, type DashboardAction } from "./dashboardRender.js";
import { repoOf } from "./handlers.js";
import { mayTrigger } from "./trigger.js";

export interface DashboardAccess {
  forge: Forge;
  config: AutofixConfig;
}

export interface DashboardKeeperOptions {
  queue: JobQueue;
  /** The repository's forge and config, for an installation. Undefined when the config cannot be read. */
  access(repo: RepoRef, installationId: number | undefined): Promise<DashboardAccess | undefined>;
  log: { warn(o: object, m?: string): void; info(o: object, m?: string): void };
  /** Fewest milliseconds between two updates of one repository's dashboard. */
  minIntervalMs: number;
}

interface RepoState {
  repo: RepoRef;
  installationId?: number;
  lastMs: number;
  timer?: NodeJS.Timeout;
  /** Refreshes of one repository run one at a time: the find-or-create below must never race itself. */
  chain: Promise<void>;
  issueNumber?: number;
  /** A repository without `dashboard.issue` is not asked again (config read, token) until then. */
  offUntilMs?: number;
}

/** How long a repository found without `dashboard.issue` is left alone before its config is read again. */
const offRecheckMs = 5 * 60_000;

export class DashboardKeeper {
  private readonly repos = new Map<string, RepoState>();

  constructor(private readonly opts: DashboardKeeperOptions) {}

  /** Something moved in this repository: refresh its dashboard soon (coalesced, throttled). */
  touch(repo: RepoRef, installationId: number | undefined): void {
    const id = `${repo.owner}/${repo.repo}`.toLowerCase();
    let state = this.repos.get(id);
    if (!state) {
      state = { repo, lastMs: 0, chain: Promise.resolve() };
      this.repos.set(id, state);
    }
    state.installationId = installationId ?? state.installationId;
    if (state.timer || (state.offUntilMs ?? 0) > Date.now()) return;
    const s = state;
    // A short settle delay lets the job store record the move that caused this touch.
    const delayMs = Math.max(200, s.lastMs + this.opts.minIntervalMs - Date.now());
    s.timer = setTimeout(() => {
      s.timer = undefined;
      s.lastMs = Date.now();
      s.chain = s.chain
        .then(() => this.refresh(s))
        .catch((err: unknown) => this.opts.log.warn({ repo: id, err: String(err) }, "could not update the dashboard issue"));
    }, delayMs);
    s.timer.unref?.();
  }

  /** Waits for pending refreshes (tests, shutdown). */
  async idle(): Promise<void> {
    for (const s of this.repos.values()) {
      while (s.timer) await new Promise((r) => setTimeout(r, 50));
      await s.chain;
    }
  }

  stop(): void {
    for (const s of this.repos.values()) if (s.timer) clearTimeout(s.timer);
  }

  private async refresh(s: RepoState): Promise<void> {
    const access = await this.opts.access(s.repo, s.installationId);
    if (!access || !access.config.dashboard.issue) {
      s.offUntilMs = Date.now() + offRecheckMs;
      return;
    }
    s.offUntilMs = undefined;
    const { forge, config } = access;
    if (!forge.findIssueByMarker || !forge.createIssue || !forge.updateIssue) return;
    const jobs = latestPerIssue(await this.opts.queue.list({ limit: 1_000 }), `${s.repo.owner}/${s.repo.repo}`);
    const body = renderDashboard(jobs);
    const title = config.dashboard.title;
    if (s.issueNumber !== undefined && (await forge.updateIssue(s.repo, s.issueNumber, { title, body }))) return;
    // Unknown or deleted: find it by its marker, else open it (once: refreshes of a repository are serialized).
    const found = await forge.findIssueByMarker(s.repo, dashboardMarker);
    if (found && (await forge.updateIssue(s.repo, found.number, { title, body }))) {
      s.issueNumber = found.number;
      return;
    }
    const created = await forge.createIssue(s.repo, { title, body });
    s.issueNumber = (await this.keepOldest(forge, s.repo, created.number)) ?? created.number;
    if (s.issueNumber === created.number) this.opts.log.info({ repo: `${s.repo.owner}/${s.repo.repo}`, issue: s.issueNumber }, "dashboard issue opened");
  }
  /**
   * The server and every `autofix worker` keep dashboards, so two processes can each open one at the same
   * moment. Whoever finds an older open one closes its own (marker removed, so it is never found again)
   * and adopts the oldest: every process converges on the same single issue.
   */
  private async keepOldest(forge: Forge, repo: RepoRef, createdNumber: number): Promise<number | undefined> {
    if (!forge.listIssuesByMarker || !forge.updateIssue) return undefined;
    const open = (await forge.listIssuesByMarker(repo, dashboardMarker)).filter((i) => i.state === "open");
    const oldest = open.reduce<number | undefined>((min, i) => (min === undefined || i.number < min ? i.number : min), undefined);
    if (oldest === undefined || oldest >= createdNumber) return undefined;
    await forge.updateIssue(repo, createdNumber, {
      state: "closed",
      body: `Closed: another autofix process opened the dashboard at the same moment; it lives in #${oldest}.`,
    });
    return oldest;
  }
}

const editedPayload = z.object({
  issue: z.object({ number: z.number(), body: z.string().nullable(), user: z.object({ login: z.string() }), pull_request: z.unknown().optional() }),
  changes: z.object({ body: z.object({ from: z.string() }).optional() }).optional(),
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }),
  sender: z.object({ login: z.string(), type: z.string() }),
  installation: z.object({ id: z.number() }).optional(),
});

export interface DashboardEditDeps {
  queue: JobQueue;
  dashboard: DashboardKeeper;
  forgeFor(context: Context): Forge;
  loadConfig(context: Context): Promise<{ ok: true; config: AutofixConfig } | { ok: false }>;
  botLogin(): Promise<string | undefined>;
}

/** `issues.edited` on the dashboard: act on boxes a permitted person ticked, then redraw (unticked). */
export async function onDashboardEdited(deps: DashboardEditDeps, context: Context<"issues.edited">): Promise<void> {
  const parsed = editedPayload.safeParse(context.payload);
  if (!parsed.success) return;
  const p = parsed.data;
  const body = p.issue.body ?? "";
  if (p.issue.pull_request || !body.includes(dashboardMarker)) return;
  const botLogin = await deps.botLogin();
  // The bot's own redraws, and dashboards someone else wrote, are never commands.
  if (botLogin && (p.sender.login === botLogin || p.issue.user.login !== botLogin)) return;
  const ticked = tickedActions(body, p.changes?.body?.from);
  if (ticked.length === 0) return;
  const repo = repoOf(p);
  const loaded = await deps.loadConfig(context);
  if (!loaded.ok || !loaded.config.dashboard.issue) return;
  const forge = deps.forgeFor(context);
  const decision = await mayTrigger({ forge, repo, sender: p.sender, config: loaded.config, botLogin, action: "steer jobs from the dashboard" });
  if (!decision.allowed) {
    context.log.info({ repo, sender: p.sender.login, reason: decision.reason }, "dashboard tick refused");
    if (decision.explain) await forge.comment(repo, p.issue.number, decision.explain);
  } else {
    for (const { action, key } of ticked) await act(deps, context, repo, action, key, p.sender.login, p.installation?.id);
  }
  deps.dashboard.touch(repo, p.installation?.id);
}

async function act(
  deps: DashboardEditDeps,
  context: Context,
  repo: RepoRef,
  action: DashboardAction,
  key: string,
  by: string,
  installationId?: number,
): Promise<void> {
  // Only this repository's jobs: a hand-edited marker naming another repository is ignored.
  if (!key.toLowerCase().startsWith(`${repo.owner}/${repo.repo}#`.toLowerCase())) return;
  const job = await deps.queue.latest(key);
  if (!job) return;
  if (action === "stop") {
    await deps.queue.cancel(key, `stopped from the dashboard by @${by}`);
  } else if (action === "run-now") {
    await deps.queue.wake?.(job.id);
  } else {
    // The delivery id makes a redelivered edit enqueue nothing new.
    await deps.queue.enqueue({
      ...job.spec,
      trigger: "retry",
      requestedBy: by,
      instructions: undefined,
      prNumber: undefined,
      installationId: installationId ?? job.spec.installationId,
      deliveryId: `${context.id}:retry:${key}`,
    });
  }
  context.log.info({ key, action, by }, "dashboard action");
}
