// The dashboard's routes as one Node request handler, the shape Probot 14's `addHandler` takes:
// it answers under /autofix and returns false for every other path so Probot's own handlers run.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JobQueue, JobRecord } from "../../jobs/index.js";
import type { Settings } from "../../settings.js";
import {
  accessConfigured,
  accessHint,
  basicConfigured,
  checkAccess,
  checkCredentials,
  sessionCookie,
  sessionMaxAgeSeconds,
  sessionValue,
  tokenConfigured,
} from "../auth.js";
import { answerHealth, isHealthRequest, withinMs } from "../healthz.js";
import { githubBaseUrl } from "./html.js";
import { renderJobPage } from "./jobPage.js";
import { outcomeKinds, renderListPage } from "./listPage.js";
import { renderLoginPage, renderMessagePage, safeNext } from "./loginPage.js";

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface ObservabilityLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DashboardDeps {
  queue: JobQueue;
  settings: Settings;
  log: ObservabilityLog;
  /** Seconds between page reloads (5 unless a test wants it faster). */
  refreshSeconds?: number;
  /** Finished jobs shown under "Recent". */
  recentLimit?: number;
}

const maxFormBytes = 8 * 1024;
const storeTimeoutMs = 5_000;
/** Queued and running jobs shown; beyond it the heading says "200+". */
const inFlightLimit = 200;
const failedLoginDelayMs = 300;

export function sendHtml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  // No script runs on these pages, so the policy can forbid all of it: a missed escape stays inert.
  res.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.setHeader("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: links to GitHub must not leak private job URLs, but Chromium sends
  // `Origin: null` on form posts from a no-referrer page, which the login's origin check would refuse.
  res.setHeader("Referrer-Policy", "same-origin");
  res.setHeader("Cache-Control", "no-store");
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(body);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.statusCode = 303;
  res.setHeader("Location", location);
  res.setHeader("Cache-Control", "no-store");
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxFormBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** A form posted from another site has an Origin that is not ours; browsers always send it on POST. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin || origin === "null") return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function byCreated(direction: 1 | -1) {
  return (a: JobRecord, b: JobRecord) => direction * String(a.createdAt).localeCompare(String(b.createdAt));
}

export function createDashboardHandler(deps: DashboardDeps): NodeHandler {
  const { queue, settings, log } = deps;
  const refreshSeconds = deps.refreshSeconds ?? 5;
  const recentLimit = deps.recentLimit ?? 50;
  const githubBase = githubBaseUrl(settings);
  const loginOptions = { token: tokenConfigured(settings), basic: basicConfigured(settings) };

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!sameOrigin(req)) return sendHtml(res, 403, renderMessagePage("Refused", "This form must be sent from the dashboard itself."));
    const form = await readForm(req);
    const given = {
      token: form?.get("token") || undefined,
      user: form?.get("user") || undefined,
      password: form?.get("password") ?? undefined,
    };
    if (form && checkCredentials(settings, given)) {
      log.info({ via: given.token ? "token" : "password" }, "dashboard sign-in");
      return redirect(res, safeNext(form.get("next")), {
        "Set-Cookie": sessionCookie(req, sessionValue(settings), sessionMaxAgeSeconds),
      });
    }
    // A pause per failure slows guessing; the token's length (16+) does the real work.
    await new Promise((resolve) => setTimeout(resolve, failedLoginDelayMs));
    log.warn({ remote: req.socket.remoteAddress }, "dashboard sign-in refused");
    sendHtml(res, 401, renderLoginPage({ ...loginOptions, failed: true, next: form?.get("next") ?? undefined }));
  }

  async function route(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const method = req.method ?? "GET";
    if (!accessConfigured(settings)) {
      return sendHtml(res, 404, renderMessagePage("The dashboard is off", accessHint(settings)));
    }
    if (pathname === "/autofix/login") {
      if (method === "POST") return login(req, res);
      return sendHtml(res, 200, renderLoginPage({ ...loginOptions, failed: false }));
    }
    if (pathname === "/autofix/logout" && method === "POST") {
      return redirect(res, "/autofix/login", { "Set-Cookie": sessionCookie(req, "", 0) });
    }
    if (checkAccess(req, settings) !== "granted") {
      return sendHtml(res, 401, renderLoginPage({ ...loginOptions, failed: false, next: pathname }));
    }
    if (method !== "GET" && method !== "HEAD") {
      return sendHtml(res, 405, renderMessagePage("Not allowed", "The dashboard only reads."), { Allow: "GET, HEAD" });
    }
    if (pathname === "/autofix" || pathname === "/autofix/") {
      const [queued, running, finished] = await withinMs(
        Promise.all([
          queue.list({ states: ["queued"], limit: inFlightLimit }),
          queue.list({ states: ["running"], limit: inFlightLimit }),
          queue.list({ states: ["succeeded", "failed", "cancelled"], limit: recentLimit }),
        ]),
        storeTimeoutMs,
        "the job store",
      );
      const lists = {
        queued: queued.sort(byCreated(1)),
        running: running.sort(byCreated(1)),
        recent: finished.sort(byCreated(-1)),
      };
      const asked = new URL(req.url ?? "/", "http://dashboard").searchParams.get("outcome") ?? undefined;
      const outcome = outcomeKinds.find((k) => k === asked);
      return sendHtml(res, 200, renderListPage(lists, { githubBase, refreshSeconds, listLimit: inFlightLimit, outcome }));
    }
    const jobMatch = /^\/autofix\/jobs\/([^/]+)$/.exec(pathname);
    if (jobMatch) {
      let id: string;
      try {
        id = decodeURIComponent(jobMatch[1]!);
      } catch {
        id = "";
      }
      const job = /^[\w.:-]{1,200}$/.test(id) ? await withinMs(queue.get(id), storeTimeoutMs, "the job store") : undefined;
      if (!job) {
        return sendHtml(res, 404, renderMessagePage("No such job", "The job store has no job with this id; it may have been pruned."));
      }
      return sendHtml(res, 200, renderJobPage(job, { githubBase, refreshSeconds }));
    }
    sendHtml(res, 404, renderMessagePage("Not found", "The dashboard has no page at this address."));
  }

  return async (req, res) => {
    const pathname = new URL(req.url ?? "/", "http://dashboard.invalid").pathname;
    if (isHealthRequest(req, pathname)) {
      await answerHealth(queue, res, log);
      return true;
    }
    if (pathname !== "/autofix" && !pathname.startsWith("/autofix/")) return false;
    try {
      await route(req, res, pathname);
    } catch (err) {
      log.error({ err }, "dashboard request failed");
      if (!res.headersSent) {
        sendHtml(
          res,
          503,
          renderMessagePage(
            "The dashboard cannot read the job store",
            "Reading jobs failed; the error is in the server log. Check /autofix/healthz and reload.",
          ),
        );
      } else {
        res.end();
      }
    }
    return true;
  };
}
