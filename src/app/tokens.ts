// Installation tokens minted per job: only the job's repository, only the permissions a job uses,
// re-minted before they expire, never logged. The job's GitHub client retries rate limits and 5xx.
import type { Probot } from "probot";
import { AutofixError } from "../errors.js";
import { explainRequestError, statusOf, type OctokitLike } from "../forge/index.js";
import type { JobSpec } from "../jobs/index.js";

/** What a job writes: its branch (contents), its PR, its status comment (issues), its check runs. */
export const jobTokenPermissions = {
  contents: "write",
  pull_requests: "write",
  issues: "write",
  checks: "write",
  metadata: "read",
} as const;

/** Re-mint when less than this remains: a push or a PR must never start with a token about to lapse. */
export const refreshMarginMs = 10 * 60_000;

export interface JobToken {
  token: string;
  expiresAtMs: number;
}

interface TokenLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** How long a rate-limited request may wait in the client before the queue's retry takes over. */
const maxClientWaitSeconds = 120;

interface ThrottledRequest {
  method: string;
  url: string;
}

/** Octokit's throttling handlers: wait out `retry-after` a few times, then fail into the queue's backoff. */
export function jobThrottleHandlers(log: TokenLog) {
  const decide = (kind: string, retryAfterS: number, request: ThrottledRequest, retryCount: number, maxRetries: number): boolean => {
    const retry = retryCount < maxRetries && retryAfterS <= maxClientWaitSeconds;
    log.warn(
      { method: request.method, url: request.url, retryAfterS, retryCount, retry },
      `GitHub ${kind} rate limit${retry ? `: retrying in ${retryAfterS} s` : ": giving up, the queue retries the job later"}`,
    );
    return retry;
  };
  return {
    onRateLimit: (retryAfterS: number, request: ThrottledRequest, _octokit: unknown, retryCount = 0) => decide("primary", retryAfterS, request, retryCount, 2),
    onSecondaryRateLimit: (retryAfterS: number, request: ThrottledRequest, _octokit: unknown, retryCount = 0) =>
      decide("secondary", retryAfterS, request, retryCount, 3),
  };
}

/**
 * Mints tokens for one repository with `POST /app/installations/{id}/access_tokens` through the app's
 * JWT client (https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app),
 * caching the current one and re-minting it when less than `refreshMarginMs` remains.
 */
export class JobTokenSource {
  private current: JobToken | undefined;
  private minting: Promise<JobToken> | undefined;
  /** Tokens minted so far (for the log and tests; the values are never exposed). */
  minted = 0;

  constructor(
    private readonly app: OctokitLike,
    private readonly installationId: number,
    private readonly repo: { owner: string; repo: string },
    private readonly log: TokenLog,
    private readonly now: () => number = Date.now,
  ) {}

  async token(): Promise<string> {
    const held = this.current;
    if (held && held.expiresAtMs - this.now() > refreshMarginMs) return held.token;
    // One mint at a time: concurrent requests of a job share it.
    this.minting ??= this.mint().finally(() => (this.minting = undefined));
    return (await this.minting).token;
  }

  private async mint(): Promise<JobToken> {
    const route = "POST /app/installations/{installation_id}/access_tokens";
    const narrow = { installation_id: this.installationId, repositories: [this.repo.repo], permissions: jobTokenPermissions };
    let data: { token?: unknown; expires_at?: unknown };
    try {
      ({ data } = await this.app.request(route, narrow));
    } catch (err) {
      // 422: the installation was not granted one of these permissions. Narrow by repository only, so an
      // installation with fewer permissions still works as far as it can (its own grants are the bound).
      if (statusOf(err) !== 422) throw explainRequestError(err, `obtain an installation token for ${this.repo.owner}/${this.repo.repo}`);
      this.log.warn(
        { installationId: this.installationId, repo: this.repo.repo },
        "the installation lacks a permission autofix asks for; minting a token for the repository with the installation's own permissions",
      );
      try {
        ({ data } = await this.app.request(route, { installation_id: this.installationId, repositories: [this.repo.repo] }));
      } catch (again) {
        throw explainRequestError(again, `obtain an installation token for ${this.repo.owner}/${this.repo.repo}`);
      }
    }
    const expiresAtMs = typeof data.expires_at === "string" ? Date.parse(data.expires_at) : NaN;
    if (typeof data.token !== "string" || !data.token || Number.isNaN(expiresAtMs)) {
      throw new AutofixError(
        "INSTALLATION_TOKEN_INVALID",
        {
          what: `GitHub's answer to the installation token request for ${this.repo.owner}/${this.repo.repo} held no usable token.`,
          why: "The answer lacked `token` or a readable `expires_at`.",
          next: "autofix retries the job; if this repeats, check the GitHub App's configuration (or the GitHub Enterprise version).",
        },
        { retryable: true },
      );
    }
    this.minted++;
    // Never the token itself: only when it expires.
    this.log.debug(
      { installationId: this.installationId, repo: this.repo.repo, expiresAt: data.expires_at, minted: this.minted },
      "minted a job installation token",
    );
    this.current = { token: data.token, expiresAtMs };
    return this.current;
  }
}

/** An Octokit auth strategy over a JobTokenSource: `auth()` answers like Probot's installation auth. */
function jobTokenAuth(options: { tokens: JobTokenSource }) {
  const { tokens } = options;
  const auth = async () => ({ type: "token", tokenType: "installation", token: await tokens.token() });
  auth.hook = async (request: any, route: any, parameters?: any) => {
    const endpoint = request.endpoint.merge(route, parameters);
    endpoint.headers.authorization = `token ${await tokens.token()}`;
    return request(endpoint);
  };
  return auth;
}

export interface JobOctokitOptions {
  log: TokenLog & { child?(bindings: object): unknown };
  now?: () => number;
}

/**
 * The GitHub client of one job: Probot's Octokit class (retry and throttling plugins, request logging,
 * the same base URL) authenticated with a token for the job's repository alone.
 */
export async function createJobOctokit(probot: Probot, spec: JobSpec, options: JobOctokitOptions): Promise<{ octokit: OctokitLike; tokens: JobTokenSource }> {
  if (spec.installationId === undefined)
    throw new AutofixError("INSTALLATION_MISSING", {
      what: `The job for ${spec.repo.owner}/${spec.repo.repo}#${spec.issueNumber} names no GitHub App installation.`,
      why: "A job run by the app acts as one installation, and this job was queued without one.",
      next: "Trigger it again from GitHub (label or `/autofix retry`), or run it with the CLI and GITHUB_TOKEN.",
    });
  const app = (await probot.auth()) as unknown as OctokitLike & {
    constructor: new (o: object) => OctokitLike;
    request: { endpoint: { DEFAULTS: { baseUrl: string } } };
  };
  const tokens = new JobTokenSource(app, spec.installationId, spec.repo, options.log, options.now);
  const Octokit = app.constructor;
  const octokit = new Octokit({
    authStrategy: jobTokenAuth,
    auth: { tokens },
    baseUrl: app.request.endpoint.DEFAULTS.baseUrl,
    log: options.log.child?.({ name: "github" }) ?? options.log,
    // Per installation, as Probot does, so concurrent jobs of one installation share GitHub's write pacing.
    throttle: { id: String(spec.installationId), ...jobThrottleHandlers(options.log) },
  });
  return { octokit, tokens };
}

/**
 * The app's Octokit class with autofix's rate-limit handlers: Probot's own give up on a secondary rate
 * limit at once, which would drop a webhook's trigger (GitHub does not redeliver by itself).
 */
export function withRateLimitRetries<T extends { defaults(fn: (o: any) => any): T }>(Octokit: T, log: TokenLog): T {
  // AUTOFIX_GITHUB_THROTTLE=off (as for the CLI): GHES with rate limiting disabled needs no pacing of writes.
  const pacing = process.env.AUTOFIX_GITHUB_THROTTLE === "off" ? { enabled: false } : {};
  return Octokit.defaults((o: any) => ({ ...o, throttle: { ...o?.throttle, ...jobThrottleHandlers(log), ...pacing } }));
}
