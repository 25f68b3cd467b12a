// The dashboard in a real browser (Debian's Chromium through playwright-core), served by Probot's
// server from a real SQLite job store while a real worker advances a job step by step.
import { rmSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobQueue } from "../../src/jobs/index.js";
import type { JobQueue, JobRecord, Worker } from "../../src/jobs/types.js";
import { createMetrics } from "../../src/observability/metrics.js";
import type { GateResult } from "../../src/gates/types.js";
import { loadSettings } from "../../src/settings.js";
import { tempDir } from "../support/repoBuilder.js";
import {
  agentOutput,
  deferred,
  gateResults,
  launchChromium,
  scriptedHandler,
  startDashboardServer,
  waitUntil,
  type DashboardServer,
  type LaunchedBrowser,
} from "../support/browser.js";

const token = "browser-test-token-0123456789";
const hostileTitle = "<script>alert(1)</script>";
const waitMs = 20_000;

describe("dashboard in a browser", () => {
  let dataDir: string;
  let queue: JobQueue;
  let worker: Worker;
  let server: DashboardServer;
  let launched: LaunchedBrowser;
  let page: Page;
  let job: JobRecord;
  const dialogs: string[] = [];
  const agentMayFinish = deferred();

  beforeAll(async () => {
    dataDir = tempDir("autofix-browser-");
    const settings = loadSettings({ AUTOFIX_DATA_DIR: dataDir, AUTOFIX_DASHBOARD_TOKEN: token });
    queue = await createJobQueue(settings);
    server = await startDashboardServer({ queue, settings, metrics: createMetrics(), refreshSeconds: 1 });
    worker = queue.startWorker({
      handler: scriptedHandler(() => ({
        steps: [
          { name: "spawn", output: { baseSha: "b".repeat(40) }, delayMs: 200 },
          // Held until the test has seen the job running in the browser; bounded by the test's own timeouts.
          { name: "agent-1", output: agentOutput("edited src/greet.ts\n<b>all done</b>"), waitFor: agentMayFinish.promise },
          { name: "gates-1", output: { results: gateResults("pass") }, delayMs: 300 },
          { name: "publish", output: { prUrl: "https://github.com/acme/private-widgets/pull/77", prNumber: 77 }, delayMs: 200 },
        ],
        outcome: { kind: "pr-opened", message: "Opened PR #77.", prUrl: "https://github.com/acme/private-widgets/pull/77", prNumber: 77 },
        progress: { tokens: 9_000, costUsd: 0.08 },
      })),
      concurrency: 1,
      perInstallation: 1,
      leaseMs: 10_000,
      maxFailures: 1,
    });
    ({ job } = await queue.enqueue({
      repo: { owner: "acme", repo: "private-widgets" },
      issueNumber: 12,
      trigger: "label",
      requestedBy: "maintainer-mia",
      issueTitle: hostileTitle,
    }));
    launched = await launchChromium();
    page = await launched.context.newPage();
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  afterAll(async () => {
    agentMayFinish.resolve();
    await launched?.close();
    await worker?.stop(2_000);
    await server?.stop();
    await queue?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses the page without credentials and shows the sign-in form instead", async () => {
    const response = await page.goto(`${server.url}/autofix`);
    expect(response?.status()).toBe(401);
    await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: waitMs });
    expect(await page.content()).not.toContain("private-widgets");
  });

  it("signs in with the token and shows the running job advance to done", async () => {
    await page.getByLabel("Dashboard token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Jobs" }).waitFor({ timeout: waitMs });

    const running = page.locator("tr", { hasText: "private-widgets" }).filter({ hasText: "agent-1" });
    await page.getByRole("heading", { name: "Running (1)" }).waitFor({ timeout: waitMs });
    await running.first().waitFor({ timeout: waitMs });
    expect(await running.first().innerText()).toContain("running");

    agentMayFinish.resolve();
    await page.getByRole("heading", { name: "Recent (1)" }).waitFor({ timeout: waitMs });
    await page.getByRole("heading", { name: "Running (0)" }).waitFor({ timeout: waitMs });
    const done = page.locator("tr", { hasText: "private-widgets" });
    const row = await done.first().innerText();
    // The badge follows the outcome (a finished job is not simply "succeeded").
    expect(row).toContain("PR opened");
    expect(row).toContain("pr-opened");
    expect(row).toContain("deterministic: pass");
    expect(row).toContain("9000 / $0.0800");
  });

  it("shows a hostile issue title as text and runs none of it", async () => {
    await page.getByText(hostileTitle).first().waitFor({ timeout: waitMs });
    expect(await page.locator("script").count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it("opens the job's page, whose gate reports match the job record", async () => {
    await page.locator("tr", { hasText: "private-widgets" }).first().getByRole("link", { name: "details" }).click();
    await page.getByRole("heading", { name: "Steps" }).waitFor({ timeout: waitMs });
    expect(page.url()).toBe(`${server.url}/autofix/jobs/${encodeURIComponent(job.id)}`);

    const record = await queue.get(job.id);
    const saved = record?.steps.find((s) => s.name === "gates-1")?.output as { results: GateResult[] };
    expect(saved.results).toHaveLength(3);
    for (const gate of saved.results) {
      const card = page.locator(`.gate[data-gate="${gate.gate}"]`);
      expect(await card.locator("h3 .badge").innerText()).toBe(gate.status);
      expect(await card.locator(".summary").innerText()).toBe(gate.summary);
      for (const reason of gate.reasons) expect(await card.innerText()).toContain(reason);
      for (const command of gate.commands ?? []) expect(await card.innerText()).toContain(command.command);
      for (const finding of gate.findings ?? []) expect(await card.innerText()).toContain(finding.text);
    }
    expect(await page.locator(".output-tail").innerText()).toContain("<b>all done</b>");
    for (const step of record!.steps) {
      expect(await page.locator("table.steps tr", { hasText: step.name }).first().innerText()).toContain(step.status);
    }
    const pr = page.getByRole("link", { name: "PR #77" }).first();
    expect(await pr.getAttribute("href")).toBe("https://github.com/acme/private-widgets/pull/77");
    expect(dialogs).toEqual([]);
  });

  it("turns the job table into cards on a phone-sized screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/autofix`);
    await page.getByRole("heading", { name: "Recent (1)" }).waitFor({ timeout: waitMs });
    // Strings, not functions: the test compiles without the DOM library.
    expect(await page.evaluate("getComputedStyle(document.querySelector('thead')).display")).toBe("none");
    const width = Number(await page.evaluate("document.documentElement.scrollWidth"));
    expect(width).toBeLessThanOrEqual(390);
  });

  it("signs out, after which the page is refused again", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: waitMs });
    const response = await page.goto(`${server.url}/autofix`);
    expect(response?.status()).toBe(401);
    await waitUntil("the job to be recorded as succeeded", async () => ((await queue.get(job.id))?.state === "succeeded" ? true : undefined));
  });
});
