// Support for the dashboard and metrics tests: Debian's Chromium driven by playwright-core, a real
// Probot `Server` on a loopback port with the operator routes mounted, and a scripted job handler.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { pino } from "pino";
import { Probot, Server } from "probot";
import type { AgentRun } from "../../src/agents/types.js";
import type { JobHandler, JobOutcome, JobQueue, JobSpec } from "../../src/jobs/types.js";
import { operatorRoutes, type OperatorRoutes } from "../../src/observability/index.js";
import { createMetrics, type Metrics } from "../../src/observability/metrics.js";
import type { GateResult, GateStatus } from "../../src/gates/types.js";
import type { Settings } from "../../src/settings.js";

export const chromiumPath = "/usr/bin/chromium";

/** The flags this machine needs: without the background-networking ones Chromium dials out and is refused. */
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface LaunchedBrowser {
  /** One browser context on a fresh profile directory (cookies start empty). */
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile; a missing Chromium fails loudly, it never skips. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: install Debian's Chromium (apt-get install -y chromium) to run the dashboard browser test.`);
  }
  const profileDir = mkdtempSync(path.join(tmpdir(), "autofix-chromium-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    timeout: 30_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface DashboardServer {
  url: string;
  /** What boot.ts gets: handlers, start-up line, and the onOutcome hook feeding metrics. */
  routes: OperatorRoutes;
  stop(): Promise<void>;
}

/**
 * Probot's own HTTP server with our handlers added the way the app adds them (`addHandler` in the
 * app function), so routing order (webhooks, ping, static files, ours, not-found) is Probot's.
 */
export async function startDashboardServer(options: {
  queue: JobQueue;
  settings: Settings;
  metrics?: Metrics;
  refreshSeconds?: number;
}): Promise<DashboardServer> {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const log = pino({ level: "silent" });
  // Probot's Server reads port 0 as 3000, so take a free port first.
  const port = await freeLoopbackPort();
  const server = new Server({
    Probot: Probot.defaults({ appId: 1, privateKey, secret: "dashboard-test", log }),
    host: "127.0.0.1",
    port,
    log,
  });
  const routes = operatorRoutes({
    queue: options.queue,
    settings: options.settings,
    log,
    metrics: options.metrics ?? createMetrics(),
    refreshSeconds: options.refreshSeconds,
  });
  await server.load((_app, { addHandler }) => {
    for (const handler of routes.handlers) addHandler(handler);
  });
  await server.start();
  return { url: `http://127.0.0.1:${port}`, routes, stop: () => server.stop() };
}

/** A job's scripted run: steps saved in order (each after an optional pause or a gate the test opens). */
export interface ScriptedRun {
  steps: Array<{ name: string; output: unknown; delayMs?: number; waitFor?: Promise<unknown> }>;
  outcome: JobOutcome;
  progress?: { tokens?: number; costUsd?: number };
}

/**
 * A worker handler standing in for the pipeline: it saves realistic step outputs through the real
 * JobContext (so they land in the real job store) and reports the outcome like the job handler does.
 */
export function scriptedHandler(runFor: (spec: JobSpec) => ScriptedRun, onOutcome?: (spec: JobSpec, outcome: JobOutcome) => void): JobHandler {
  return async (ctx) => {
    const run = runFor(ctx.job.spec);
    for (const step of run.steps) {
      const attempt = Number(/-(\d+)$/.exec(step.name)?.[1] ?? 1);
      await ctx.progress({ ...ctx.job.progress, step: step.name, attempt });
      await ctx.step(step.name, async () => {
        if (step.delayMs) await sleep(step.delayMs);
        if (step.waitFor) await step.waitFor;
        return step.output;
      });
    }
    if (run.progress) await ctx.progress({ ...ctx.job.progress, ...run.progress });
    onOutcome?.(ctx.job.spec, run.outcome);
    return run.outcome;
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `probe` returns a value, at most `timeoutMs`; the error names what never happened. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export function gateResults(semantic: GateStatus = "pass"): GateResult[] {
  return [
    {
      gate: "deterministic",
      status: "pass",
      summary: "2 checks green on the delta; nothing regressed",
      reasons: [],
      durationMs: 4_200,
      commands: [
        { name: "test", command: "npm test", status: "pass", exitCode: 0, durationMs: 3_100, outputTail: "# pass 12\n# fail 0" },
        { name: "lint", command: "npm run lint", status: "pass", exitCode: 0, durationMs: 1_100, outputTail: "" },
      ],
    },
    {
      gate: "semantic",
      status: semantic,
      summary: semantic === "pass" ? "The diff addresses the issue" : "The diff changes the greeting but not its tests",
      reasons: semantic === "pass" ? [] : ["The issue asks for a test of the new greeting."],
      durationMs: 2_000,
      model: "judge-model",
      verdict: semantic === "pass" ? "yes" : "partly",
      usage: { inputTokens: 1_000, outputTokens: 200, costUsd: 0.01 },
    },
    {
      gate: "review",
      status: "pass",
      summary: "No blocking findings",
      reasons: [],
      durationMs: 2_500,
      model: "judge-model",
      findings: [{ path: "src/greet.ts", line: 3, severity: "nit", text: "Prefer a template literal." }],
      usage: { inputTokens: 1_500, outputTokens: 300, costUsd: 0.02 },
    },
  ];
}

export function agentOutput(outputTail: string): { agent: AgentRun } {
  return {
    agent: {
      agent: "command",
      exitCode: 0,
      timedOut: false,
      durationMs: 1_500,
      outputTail,
      isolation: "process",
      usage: { inputTokens: 5_000, outputTokens: 800, costUsd: 0.05 },
    },
  };
}

/** A promise the test settles by hand (Promise.withResolvers is not typed for Node 20's lib). */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
