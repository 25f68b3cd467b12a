// Metrics read off a finished job's record: step durations, gate verdicts, tokens and cost of every
// attempt. Recording from the record (not as the pipeline goes) counts a resumed job's steps once.
import type { JobRecord } from "../jobs/index.js";
import { readJob } from "./dashboard/readJob.js";
import type { GateName, GateStatus } from "../gates/index.js";
import type { Metrics } from "./metrics.js";

const gateNames = new Set<string>(["deterministic", "semantic", "review"]);

export function recordJobSteps(metrics: Metrics, job: JobRecord): void {
  const view = readJob(job);
  for (const step of view.steps) {
    if (step.status !== "running" && step.durationMs !== undefined) metrics.observeStep(step.name, step.durationMs / 1000);
  }
  for (const attempt of view.gatesByAttempt) {
    if (!attempt.gates.ok) continue;
    for (const gate of attempt.gates.value) {
      if (gateNames.has(gate.gate)) metrics.recordGate(gate.gate as GateName, gate.status as GateStatus);
      if (gate.usage) {
        metrics.addTokens("judge", gate.usage.inputTokens, gate.usage.outputTokens);
        if (gate.usage.costUsd !== undefined) metrics.addCost("judge", gate.usage.costUsd);
      }
    }
  }
  for (const attempt of view.agentByAttempt) {
    const usage = attempt.agent.ok ? attempt.agent.value.usage : undefined;
    if (!usage) continue;
    metrics.addTokens("agent", usage.inputTokens, usage.outputTokens);
    if (usage.costUsd !== undefined) metrics.addCost("agent", usage.costUsd);
  }
}
