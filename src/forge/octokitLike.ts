// The slice of Octokit the forge uses, so Probot's context.octokit and @octokit/rest's Octokit both fit,
// plus the translation of GitHub's HTTP failures into AutofixErrors a maintainer can act on.
import { AutofixError } from "../errors.js";

export interface OctokitLike {
  request(route: string, parameters?: Record<string, unknown>): Promise<{ status: number; data: any }>;
  paginate(route: string, parameters?: Record<string, unknown>): Promise<any[]>;
  graphql?: (query: string, variables?: Record<string, unknown>) => Promise<unknown>;
  auth?: (options?: any) => Promise<unknown>;
}

/** Pino-compatible: Probot's `app.log` / `context.log` fit. */
export interface ForgeLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export const silentLogger: ForgeLogger = { info() {}, warn() {} };

export function statusOf(err: unknown): number | undefined {
  if (typeof err === "object" && err !== null && "status" in err) {
    const status = (err as { status: unknown }).status;
    return typeof status === "number" ? status : undefined;
  }
  return undefined;
}

/** Runs a request, turning the listed statuses into `undefined` (404 on a delete means "already gone"). */
export async function tolerating<T>(statuses: number[], request: () => Promise<T>): Promise<T | undefined> {
  try {
    return await request();
  } catch (err) {
    if (statuses.includes(statusOf(err) ?? -1)) return undefined;
    throw err;
  }
}

function errorMessage(err: unknown): string {
  const response = (err as { response?: { data?: { message?: unknown } } }).response;
  const message = response?.data?.message;
  if (typeof message === "string") return message;
  return err instanceof Error ? err.message : String(err);
}

/** GitHub's answer as an AutofixError; `action` says what the bot was doing ("read issue #4 of o/r"). */
export function explainRequestError(err: unknown, action: string): AutofixError {
  if (err instanceof AutofixError) return err;
  const status = statusOf(err);
  const said = errorMessage(err);
  if (status === 404) {
    return new AutofixError(
      "FORGE_NOT_FOUND",
      {
        what: `GitHub answered "not found" when autofix tried to ${action}.`,
        why: `It does not exist, or the app's installation cannot see it (GitHub said: ${said}).`,
        next: "Check that the app is installed on this repository and that the name or number is right.",
      },
      { data: { status, action }, cause: err },
    );
  }
  if (status === 401 || status === 403) {
    // GitHub says "secondary rate limit" today; older GitHub Enterprise Server says "abuse detection".
    const rateLimited = /rate limit|abuse/i.test(said);
    return new AutofixError(
      rateLimited ? "FORGE_RATE_LIMITED" : "FORGE_ACCESS_DENIED",
      {
        what: `GitHub refused when autofix tried to ${action}.`,
        why: rateLimited ? `The API rate limit is exhausted (GitHub said: ${said}).` : `The app lacks a permission this needs (GitHub said: ${said}).`,
        next: rateLimited
          ? "autofix will retry later; nothing to do unless this repeats."
          : "An owner of the installation should grant the app's requested permissions (Settings → Integrations).",
      },
      { retryable: rateLimited, data: { status, action }, cause: err },
    );
  }
  return new AutofixError(
    "FORGE_UNAVAILABLE",
    {
      what: `autofix could not ${action}.`,
      why: status ? `GitHub answered HTTP ${status} (${said}).` : `The request failed before GitHub answered (${said}).`,
      next: "autofix retries infrastructure failures; if this repeats, check the operator's connectivity to GitHub.",
    },
    { retryable: status === undefined || status >= 500 || status === 429, data: { status, action }, cause: err },
  );
}

/** Runs a request and explains any failure in terms of what the bot was doing. */
export async function explained<T>(action: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw explainRequestError(err, action);
  }
}

/**
 * Creates something that must exist once (the status comment, a check run). A 5xx or a lost answer
 * may hide a write that happened, so Octokit must not blindly retry the POST: look first, then
 * create again only if it is really missing.
 */
export async function createOnce<T>(create: (noRetry: { request: { retries: number } }) => Promise<T>, lookup: () => Promise<T | undefined>): Promise<T> {
  const noRetry = { request: { retries: 0 } };
  try {
    return await create(noRetry);
  } catch (err) {
    const status = statusOf(err) ?? (err instanceof AutofixError ? (err.data.status as number | undefined) : undefined);
    if (status !== undefined && status < 500 && status !== 429) throw err;
    const found = await lookup();
    if (found !== undefined) return found;
    return create(noRetry);
  }
}

/** What the GitHub side of the forge needs for every call. */
export interface GitHubContext {
  octokit: OctokitLike;
  /** The bot's own login (e.g. `autofix[bot]`); its comments are never read as human input. */
  botLogin?: string;
  /** Check runs are matched to this app only, so another app's run of the same name is never edited. */
  appId?: number;
  log: ForgeLogger;
  /** Status comments this forge already found or wrote (key: repo#issue marker), so an update is one request. */
  statusComments?: Map<string, { id: number; body: string }>;
}
