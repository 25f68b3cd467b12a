// /metrics scraped over HTTP after real jobs ran through the SQLite store and a worker: outcome and
// gate counters, step histograms, token and cost counters, queue gauges, and who may scrape.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobQueue } from "../../src/jobs/index.js";
import type { JobQueue, JobSpec, Worker } from "../../src/jobs/types.js";
import { createMetrics, type Metrics } from "../../src/observability/metrics.js";
import { loadSettings, type Settings } from "../../src/settings.js";
import { tempDir } from "../support/repoBuilder.js";
import {
  agentOutput,
  deferred,
  gateResults,
  scriptedHandler,
  startDashboardServer,
  waitUntil,
  type DashboardServer,
  type ScriptedRun,
} from "../support/browser.js";

const token = "metrics-test-token-0123456789";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads Prometheus text format 0.0.4 sample lines (enough for our label values, which hold no quotes). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`Unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").split(",").filter(Boolean)) {
      const [key, quoted] = pair.split("=");
      labels[key!] = JSON.parse(quoted!) as string;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

function spec(issueNumber: number): JobSpec {
  return { repo: { owner: "acme", repo: "widgets" }, issueNumber, trigger: "label", requestedBy: "mia" };
}

const published: ScriptedRun = {
  steps: [
    { name: "spawn", output: {} },
    { name: "agent-1", output: agentOutput("ok"), delayMs: 150 },
    { name: "gates-1", output: { results: gateResults("pass") } },
    { name: "publish", output: { prUrl: "https://github.com/acme/widgets/pull/9", prNumber: 9 } },
  ],
  outcome: { kind: "pr-opened", message: "Opened PR #9." },
};

const failedTwice: ScriptedRun = {
  steps: [
    { name: "spawn", output: {} },
    { name: "agent-1", output: agentOutput("first try"), delayMs: 150 },
    { name: "gates-1", output: { results: gateResults("fail") } },
    { name: "agent-2", output: agentOutput("second try"), delayMs: 150 },
    { name: "gates-2", output: { results: gateResults("fail") } },
  ],
  outcome: { kind: "gates-failed", message: "The semantic gate failed twice." },
};

describe("metrics scraped over HTTP", () => {
  let dataDir: string;
  let settings: Settings;
  let queue: JobQueue;
  let worker: Worker;
  let server: DashboardServer;
  let metrics: Metrics;
  const release = deferred();

  const scrape = async (headers: Record<string, string> = { authorization: `Bearer ${token}` }) => {
    const res = await fetch(`${server.url}/metrics`, { headers });
    return { res, samples: res.status === 200 ? parseSamples(await res.text()) : [] };
  };

  beforeAll(async () => {
    dataDir = tempDir("autofix-metrics-");
    settings = loadSettings({ AUTOFIX_DATA_DIR: dataDir, AUTOFIX_DASHBOARD_TOKEN: token });
    queue = await createJobQueue(settings);
    metrics = createMetrics();
    server = await startDashboardServer({ queue, settings, metrics });
    const runFor = (s: JobSpec): ScriptedRun => {
      if (s.issueNumber === 2) return failedTwice;
      if (s.issueNumber === 10) {
        return { steps: [{ name: "spawn", output: {}, waitFor: release.promise }], outcome: { kind: "no-change", message: "-" } };
      }
      return published;
    };
    worker = queue.startWorker({
      handler: scriptedHandler(runFor, server.routes.onOutcome),
      concurrency: 1,
      perInstallation: 1,
      leaseMs: 10_000,
      maxFailures: 1,
    });
    for (const n of [1, 2, 3]) {
      const { job } = await queue.enqueue(spec(n));
      await waitUntil(`job ${n} to finish`, async () => ((await queue.get(job.id))?.state === "succeeded" ? true : undefined));
    }
  });

  afterAll(async () => {
    release.resolve();
    await worker?.stop(2_000);
    await server?.stop();
    await queue?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("counts finished jobs by outcome and gate verdicts by gate and result", async () => {
    const { samples } = await waitUntil("the outcome hook to record every job", async () => {
      const scraped = await scrape();
      return value(scraped.samples, "autofix_step_duration_seconds_count", { step: "publish" }) === 2 ? scraped : undefined;
    });
    expect(value(samples, "autofix_jobs_total", { outcome: "pr-opened" })).toBe(2);
    expect(value(samples, "autofix_jobs_total", { outcome: "gates-failed" })).toBe(1);
    expect(value(samples, "autofix_gate_results_total", { gate: "deterministic", result: "pass" })).toBe(4);
    expect(value(samples, "autofix_gate_results_total", { gate: "semantic", result: "pass" })).toBe(2);
    expect(value(samples, "autofix_gate_results_total", { gate: "semantic", result: "fail" })).toBe(2);
    expect(value(samples, "autofix_gate_results_total", { gate: "review", result: "pass" })).toBe(4);
  });

  it("counts spawns by where their tree came from, and discarded spares", async () => {
    metrics.recordSpawn("checkout");
    metrics.recordSpawn("spare");
    metrics.recordSpawn("spare");
    metrics.recordSpawn("advanced-spare");
    metrics.recordSpareDiscard();
    const { samples } = await scrape();
    expect(value(samples, "autofix_spawns_total", { source: "checkout" })).toBe(1);
    expect(value(samples, "autofix_spawns_total", { source: "spare" })).toBe(2);
    expect(value(samples, "autofix_spawns_total", { source: "advanced-spare" })).toBe(1);
    expect(value(samples, "autofix_spare_discards_total", {})).toBe(1);
  });

  it("keeps one step histogram per step name, attempts folded together", async () => {
    const { samples } = await scrape();
    expect(value(samples, "autofix_step_duration_seconds_count", { step: "agent" })).toBe(4);
    expect(value(samples, "autofix_step_duration_seconds_count", { step: "gates" })).toBe(4);
    expect(value(samples, "autofix_step_duration_seconds_count", { step: "spawn" })).toBe(3);
    expect(value(samples, "autofix_step_duration_seconds_count", { step: "publish" })).toBe(2);
    expect(samples.some((s) => s.labels.step === "agent-1" || s.labels.step === "gates-2")).toBe(false);
    // Each agent step slept 150 ms: none fits the 0.1 s bucket, all fit the 0.5 s one.
    expect(value(samples, "autofix_step_duration_seconds_bucket", { step: "agent", le: "0.1" })).toBe(0);
    expect(value(samples, "autofix_step_duration_seconds_bucket", { step: "agent", le: "+Inf" })).toBe(4);
    expect(value(samples, "autofix_step_duration_seconds_sum", { step: "agent" })).toBeGreaterThanOrEqual(0.6);
  });

  it("adds up tokens by role and direction, and cost by role", async () => {
    const { samples } = await scrape();
    expect(value(samples, "autofix_llm_tokens_total", { role: "agent", direction: "input" })).toBe(20_000);
    expect(value(samples, "autofix_llm_tokens_total", { role: "agent", direction: "output" })).toBe(3_200);
    expect(value(samples, "autofix_llm_tokens_total", { role: "judge", direction: "input" })).toBe(10_000);
    expect(value(samples, "autofix_llm_tokens_total", { role: "judge", direction: "output" })).toBe(2_000);
    expect(value(samples, "autofix_llm_cost_usd_total", { role: "agent" })).toBeCloseTo(0.2, 6);
    expect(value(samples, "autofix_llm_cost_usd_total", { role: "judge" })).toBeCloseTo(0.12, 6);
  });

  it("reads queue depth and running jobs from the job store on each scrape", async () => {
    const first = await scrape();
    expect(value(first.samples, "autofix_queue_depth")).toBe(0);
    expect(value(first.samples, "autofix_jobs_running")).toBe(0);
    const { job: blocked } = await queue.enqueue(spec(10));
    await waitUntil("job 10 to run", async () => ((await queue.get(blocked.id))?.state === "running" ? true : undefined));
    await queue.enqueue(spec(11));
    await queue.enqueue(spec(12));
    const during = await scrape();
    expect(value(during.samples, "autofix_jobs_running")).toBe(1);
    expect(value(during.samples, "autofix_queue_depth")).toBe(2);
  });

  it("records what the pipeline reports through the metrics API under the same names", async () => {
    metrics.observeStep("absorb", 0.3);
    metrics.recordGate("review", "error");
    metrics.addTokens("judge", 7, 3);
    const { samples } = await scrape();
    expect(value(samples, "autofix_step_duration_seconds_count", { step: "absorb" })).toBe(1);
    expect(value(samples, "autofix_gate_results_total", { gate: "review", result: "error" })).toBe(1);
    expect(value(samples, "autofix_llm_tokens_total", { role: "judge", direction: "input" })).toBe(10_007);
  });

  it("refuses a scrape without the dashboard's credentials and asks for them", async () => {
    const { res } = await scrape({});
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await scrape({ authorization: "Bearer wrong-token-wrong-token" })).res.status).toBe(401);
  });
});

describe("metrics of a job the worker gives up on", () => {
  it("counts it as an error outcome with the steps it finished", async () => {
    const dataDir = tempDir("autofix-metrics-giveup-");
    const settings = loadSettings({ AUTOFIX_DATA_DIR: dataDir, AUTOFIX_METRICS_PUBLIC: "true" });
    const queue = await createJobQueue(settings);
    const metrics = createMetrics();
    const server = await startDashboardServer({ queue, settings, metrics });
    const worker = queue.startWorker({
      handler: async (ctx) => {
        await ctx.step("spawn", async () => ({}));
        throw new Error("the disk is full");
      },
      concurrency: 1,
      perInstallation: 1,
      leaseMs: 10_000,
      maxFailures: 1,
      onGiveUp: server.routes.onGiveUp,
    });
    try {
      const { job } = await queue.enqueue(spec(5));
      await waitUntil("the worker to give up", async () => ((await queue.get(job.id))?.state === "failed" ? true : undefined));
      const samples = await waitUntil("the give-up to be counted", async () => {
        const parsed = parseSamples(await (await fetch(`${server.url}/metrics`)).text());
        return value(parsed, "autofix_jobs_total", { outcome: "error" }) === 1 ? parsed : undefined;
      });
      expect(value(samples, "autofix_step_duration_seconds_count", { step: "spawn" })).toBe(1);
    } finally {
      await worker.stop(1_000);
      await server.stop();
      await queue.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("metrics access settings", () => {
  it("serves /metrics without credentials only when AUTOFIX_METRICS_PUBLIC=true, and is off without any credentials", async () => {
    const dataDir = tempDir("autofix-metrics-public-");
    const queue = await createJobQueue({ AUTOFIX_DATA_DIR: dataDir });
    const publicServer = await startDashboardServer({
      queue,
      settings: loadSettings({ AUTOFIX_DATA_DIR: dataDir, AUTOFIX_METRICS_PUBLIC: "true" }),
      metrics: createMetrics(),
    });
    const offServer = await startDashboardServer({
      queue,
      settings: loadSettings({ AUTOFIX_DATA_DIR: dataDir }),
      metrics: createMetrics(),
    });
    try {
      const open = await fetch(`${publicServer.url}/metrics`);
      expect(open.status).toBe(200);
      expect(open.headers.get("content-type")).toContain("text/plain");
      expect(await open.text()).toContain("autofix_queue_depth 0");
      const off = await fetch(`${offServer.url}/metrics`);
      expect(off.status).toBe(404);
      expect(await off.text()).toContain("AUTOFIX_METRICS_PUBLIC=true");
    } finally {
      await publicServer.stop();
      await offServer.stop();
      await queue.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
