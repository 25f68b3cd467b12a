// GitHub as it behaves on a bad day: a seeded share of requests to FakeGitHub answered with 500, 502,
// 429 or 403 secondary-rate-limit (with retry-after), and the app's Octokit with its retry and
// throttling plugins on, waiting milliseconds where GitHub would make it wait seconds.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";
import type { FakeGitHub } from "./githubApi.js";

/** `502-after-handling`: GitHub did the work, then the answer was lost (opt-in: not in the default kinds). */
export type FaultKind = "500" | "502" | "429-secondary" | "403-secondary" | "502-after-handling";
export const faultKinds: FaultKind[] = ["500", "502", "429-secondary", "403-secondary"];

/** mulberry32: a tiny deterministic generator, so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const secondaryMessage =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.";

function faultReply(kind: FaultKind, retryAfterS: number) {
  const docs = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api";
  switch (kind) {
    case "500":
      return { status: 500, body: { message: "Server Error" } };
    case "502":
    case "502-after-handling":
      return { status: 502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>", headers: { "content-type": "text/html" } };
    case "429-secondary":
      return { status: 429, body: { message: secondaryMessage, documentation_url: docs }, headers: { "retry-after": String(retryAfterS) } };
    case "403-secondary":
      return { status: 403, body: { message: secondaryMessage, documentation_url: docs }, headers: { "retry-after": String(retryAfterS) } };
  }
}

export interface InjectedFault {
  method: string;
  path: string;
  kind: FaultKind;
  atMs: number;
}

export interface FaultInjector {
  /** Every fault answered, in order. */
  injected: InjectedFault[];
  /** Every request seen, faulted or passed on to the fake, with when it arrived. */
  requests: { method: string; path: string; atMs: number; fault?: FaultKind }[];
  /** Stop injecting (the routes stay, answering nothing). */
  stop(): void;
}

/**
 * Puts a fault route in front of all of FakeGitHub's routes. A request is faulted before the fake
 * handles it (nothing changes on the fake), as a load balancer's 502 or a rate limit would.
 * `decide` may force the choice for a request (e.g. a burst on one route); otherwise the dice decide.
 */
export function injectGitHubFaults(
  fake: FakeGitHub,
  opts: { rate: number; seed: number; kinds?: FaultKind[]; retryAfterS?: number; decide?: (method: string, path: string) => FaultKind | "pass" | undefined },
): FaultInjector {
  const random = seededRandom(opts.seed);
  const kinds = opts.kinds ?? faultKinds;
  const state: FaultInjector = { injected: [], requests: [], stop: () => (enabled = false) };
  let enabled = true;
  let pending: FaultKind | undefined;
  type Route = [string, { [Symbol.match](s: string): RegExpMatchArray | null }, (...args: unknown[]) => object];
  const on = (fake as unknown as { on(method: string, pattern: unknown, handler: (...args: any[]) => object): void }).on.bind(fake);
  const routes = (fake as unknown as { routes: Route[] }).routes;
  const dices = new Set<unknown>();
  /** The fake's own answer to a request, as if no fault route stood in front. */
  const handleForReal = (method: string, path: string, args: unknown[]) => {
    for (const [m, pattern, handler] of routes) {
      if (m !== method || dices.has(pattern)) continue;
      const match = path.match(pattern as RegExp);
      if (match) return handler(match, ...args.slice(1));
    }
    return undefined;
  };
  for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE"]) {
    // FakeGitHub matches routes with `path.match(pattern)`: a pattern whose Symbol.match rolls the dice
    // turns this route into "fault this request" without touching the fake's own routes.
    const dice = {
      [Symbol.match](path: string): RegExpMatchArray | null {
        if (!enabled) return null;
        const forced = opts.decide?.(method, path);
        const kind = forced === "pass" ? undefined : (forced ?? (random() < opts.rate ? kinds[Math.floor(random() * kinds.length)] : undefined));
        state.requests.push({ method, path, atMs: Date.now(), fault: kind });
        if (!kind) return null;
        pending = kind;
        state.injected.push({ method, path, kind, atMs: Date.now() });
        return Object.assign([path], { index: 0, input: path }) as RegExpMatchArray;
      },
    };
    dices.add(dice);
    on(method, dice, (...args: unknown[]) => {
      const kind = pending!;
      if (kind === "502-after-handling") handleForReal(method, (args[0] as RegExpMatchArray)[0], args);
      return faultReply(kind, opts.retryAfterS ?? 1);
    });
  }
  return state;
}

/** No pacing between writes (GitHub's 1 s / 3 s write pacing would make a 50-job test take minutes). */
function unpaced(id: string) {
  return new Bottleneck.Group({ id, maxConcurrent: 50, minTime: 0 });
}

/**
 * Probot's Octokit with retry and throttling ON: 5xx and 429 are retried by plugin-retry, secondary
 * rate limits wait `retry-after` × `retryAfterMs` ms in plugin-throttling. The app's own handlers
 * (onRateLimit / onSecondaryRateLimit) decide whether to retry.
 */
export function retryingTestOctokit(opts: { retryAfterMs?: number } = {}): typeof ProbotOctokit {
  const baseMs = opts.retryAfterMs ?? 10;
  const groups = {
    global: unpaced("t-global"),
    auth: unpaced("t-auth"),
    search: unpaced("t-search"),
    write: unpaced("t-write"),
    notifications: unpaced("t-notifications"),
  };
  return ProbotOctokit.defaults((o: any) => ({
    ...o,
    retry: { ...o?.retry, enabled: true, retryAfterBaseValue: baseMs },
    throttle: { ...o?.throttle, enabled: true, retryAfterBaseValue: baseMs, ...groups },
  }));
}

/**
 * FakeGitHub reads branch tips from the bare repository with a synchronous `git rev-parse` per lookup, and
 * every PR listing looks up every PR's head: with 50 PRs that blocks the event loop for seconds per listing.
 * Reading the ref files directly (loose ref, then packed-refs) answers the same without a process.
 */
export function readBranchesFromFiles(fake: FakeGitHub, fullName: string, bare: string): void {
  const refs = fake.refs;
  const previous = refs.get.bind(refs);
  refs.get = (key: string) => {
    const m = /^([^:]+):(.+)$/.exec(key);
    if (!m || m[1] !== fullName) return previous(key);
    try {
      return readFileSync(path.join(bare, "refs", "heads", m[2]), "utf8").trim() || undefined;
    } catch {
      const packed = existsSync(path.join(bare, "packed-refs")) ? readFileSync(path.join(bare, "packed-refs"), "utf8") : "";
      return packed
        .split("\n")
        .find((line) => line.endsWith(` refs/heads/${m[2]}`))
        ?.split(" ")[0];
    }
  };
}
