// Prometheus metrics of autofix on a registry of its own (never prom-client's global one, so an
// embedding process's metrics and ours cannot collide), and the small API the pipeline calls.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { GateName, GateStatus } from "../gates/index.js";
import type { JobQueue, JobState, OutcomeKind } from "../jobs/index.js";
import type { SpawnSource } from "../engine/index.js";
import { withinMs } from "./healthz.js";

export type LlmRole = "agent" | "judge";

export interface Metrics {
  readonly registry: Registry;
  recordJobOutcome(kind: OutcomeKind): void;
  recordGate(gate: GateName, status: GateStatus): void;
  /** `step` may carry its attempt suffix ("agent-2"); it is dropped so attempts share one series. */
  observeStep(step: string, seconds: number): void;
  addTokens(role: LlmRole, input: number, output: number): void;
  addCost(role: LlmRole, usd: number): void;
  recordSpawn(source: SpawnSource): void;
  recordSpareDiscard(): void;
  /** The queue whose depth and running jobs are read on each scrape. */
  watchQueue(queue: JobQueue): void;
}

/** Up to an hour: spawns take seconds, agents and gate commands minutes. */
const stepBucketsSeconds = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/** Far above any real queue; list() is the only count the JobQueue contract offers. */
const countLimit = 100_000;
/** A scrape fails (503) rather than hangs when the store does not answer. */
const collectTimeoutMs = 3_000;

export function stepFamily(step: string): string {
  return step.replace(/-\d+$/, "");
}

async function countJobs(queue: JobQueue, state: JobState): Promise<number> {
  return (await withinMs(queue.list({ states: [state], limit: countLimit }), collectTimeoutMs, "the job store")).length;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  let watched: JobQueue | undefined;

  const jobs = new Counter({
    name: "autofix_jobs_total",
    help: "Finished jobs by outcome.",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const gates = new Counter({
    name: "autofix_gate_results_total",
    help: "Gate verdicts by gate and result.",
    labelNames: ["gate", "result"] as const,
    registers: [registry],
  });
  const steps = new Histogram({
    name: "autofix_step_duration_seconds",
    help: "Duration of pipeline steps, by step name without the attempt suffix.",
    labelNames: ["step"] as const,
    buckets: stepBucketsSeconds,
    registers: [registry],
  });
  const tokens = new Counter({
    name: "autofix_llm_tokens_total",
    help: "LLM tokens by role (agent, judge) and direction (input, output).",
    labelNames: ["role", "direction"] as const,
    registers: [registry],
  });
  const cost = new Counter({
    name: "autofix_llm_cost_usd_total",
    help: "LLM spend in US dollars by role, where a price table is configured.",
    labelNames: ["role"] as const,
    registers: [registry],
  });
  const spawns = new Counter({
    name: "autofix_spawns_total",
    help: "Spawns by where their working tree came from: a spare checkout (spare), a spare brought forward to a newer head (advanced-spare), a checkout from the object cache (checkout).",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  const spareDiscards = new Counter({
    name: "autofix_spare_discards_total",
    help: "Spare checkouts found modified after they were built and discarded: something writes into the data directory.",
    registers: [registry],
  });
  new Gauge({
    name: "autofix_queue_depth",
    help: "Jobs waiting for a worker, read from the job store on scrape.",
    registers: [registry],
    async collect() {
      if (watched) this.set(await countJobs(watched, "queued"));
    },
  });
  new Gauge({
    name: "autofix_jobs_running",
    help: "Jobs a worker is running now, read from the job store on scrape.",
    registers: [registry],
    async collect() {
      if (watched) this.set(await countJobs(watched, "running"));
    },
  });

  // Counters reject negative increments by throwing; a bad number from a provider must not fail a job.
  const nonNegative = (n: number) => (Number.isFinite(n) && n > 0 ? n : 0);

  return {
    registry,
    recordJobOutcome: (kind) => jobs.inc({ outcome: kind }),
    recordGate: (gate, status) => gates.inc({ gate, result: status }),
    observeStep: (step, seconds) => {
      if (Number.isFinite(seconds) && seconds >= 0) steps.observe({ step: stepFamily(step) }, seconds);
    },
    addTokens: (role, input, output) => {
      tokens.inc({ role, direction: "input" }, nonNegative(input));
      tokens.inc({ role, direction: "output" }, nonNegative(output));
    },
    addCost: (role, usd) => cost.inc({ role }, nonNegative(usd)),
    recordSpawn: (source) => spawns.inc({ source }),
    recordSpareDiscard: () => spareDiscards.inc(),
    watchQueue: (queue) => {
      watched = queue;
    },
  };
}
