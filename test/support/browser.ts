// Browser and server support for the dashboard tests: Debian's Chromium driven by playwright-core,
// and a real Probot `Server` on a loopback port with the dashboard and metrics handlers mounted.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { pino } from "pino";
import { Probot, Server } from "probot";
import type { JobQueue } from "../../src/jobs/types.js";
import { mountDashboard, mountMetrics } from "../../src/observability/index.js";
import type { Metrics } from "../../src/observability/metrics.js";
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
    throw new Error(
      `${chromiumPath} is missing: install Debian's Chromium (apt-get install -y chromium) to run the dashboard browser test.`,
    );
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
  await server.load((_app, { addHandler }) => {
    const deps = { queue: options.queue, settings: options.settings, log };
    mountDashboard(addHandler, { ...deps, refreshSeconds: options.refreshSeconds });
    mountMetrics(addHandler, { ...deps, metrics: options.metrics });
  });
  await server.start();
  return { url: `http://127.0.0.1:${port}`, stop: () => server.stop() };
}
