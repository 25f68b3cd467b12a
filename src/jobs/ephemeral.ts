// A job context without a queue, for one-shot CLI runs: steps are memoized in memory only, since
// a CLI run that dies is simply run again.
import { randomUUID } from "node:crypto";
import type { JobContext, JobRecord, JobSpec } from "./types.js";
import { jobKey } from "./types.js";

export type EphemeralContext = JobContext & { outputs: Map<string, unknown> };

export function ephemeralContext(
  spec: JobSpec,
  signal: AbortSignal,
  onStep?: (name: string, phase: "start" | "done" | "failed", ms: number) => void,
): EphemeralContext {
  const now = new Date().toISOString();
  const job: JobRecord = {
    id: randomUUID(),
    key: jobKey(spec.repo, spec.issueNumber),
    spec,
    state: "running",
    claims: 1,
    failures: 0,
    steps: [],
    progress: {},
    createdAt: now,
    updatedAt: now,
  };
  const outputs = new Map<string, unknown>();
  return {
    job,
    signal,
    outputs,
    async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
      if (outputs.has(name)) return outputs.get(name) as T;
      const started = Date.now();
      onStep?.(name, "start", 0);
      const record = {
        name,
        status: "running" as "running" | "done" | "failed",
        startedAt: new Date(started).toISOString(),
        finishedAt: undefined as string | undefined,
        output: undefined as unknown,
      };
      job.steps.push(record);
      try {
        const value = await fn();
        outputs.set(name, value);
        // Kept on the record too, as a durable store keeps it: steps that read earlier outputs (the CI gate) see them.
        record.output = value;
        record.status = "done";
        record.finishedAt = new Date().toISOString();
        onStep?.(name, "done", Date.now() - started);
        return value;
      } catch (err) {
        record.status = "failed";
        onStep?.(name, "failed", Date.now() - started);
        throw err;
      }
    },
    async progress(update) {
      job.progress = { ...job.progress, ...update };
    },
  };
}
