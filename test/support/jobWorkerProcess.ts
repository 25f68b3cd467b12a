// A worker in its own process, for crash and multi-process tests: `node --import tsx test/support/jobWorkerProcess.ts`
// with AUTOFIX_TEST_WORKER set to a WorkerProcessConfig as JSON. Prints "ready" when it is claiming.
// `handlerModule` lets other tests (the real pipeline) run under the same harness: it must export
// `createHandler(config: WorkerProcessConfig): JobHandler | Promise<JobHandler>`.
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { installSignalHandlers } from "../../src/jobs/index.js";
import type { JobHandler } from "../../src/jobs/types.js";
import { openQueue, type QueueLocation } from "./jobHarness.js";
import { syntheticPaths, syntheticPipeline } from "./syntheticPipeline.js";

export interface WorkerProcessConfig {
  location: QueueLocation;
  /** "synthetic": the six-step stand-in pipeline; "count": logs each invocation to `dir`/invocations.log. */
  handler: "synthetic" | "count" | "module";
  handlerModule?: string;
  dir: string;
  concurrency: number;
  perInstallation: number;
  leaseMs: number;
  graceMs: number;
  stepDelayMs?: number;
}

const log = {
  debug() {},
  info() {},
  warn: (obj: object, msg?: string) => process.stderr.write(`warn ${msg} ${JSON.stringify(obj)}\n`),
  error: (obj: object, msg?: string) => process.stderr.write(`error ${msg} ${JSON.stringify(obj, Object.getOwnPropertyNames(obj))}\n`),
};

async function handlerFor(config: WorkerProcessConfig): Promise<JobHandler> {
  if (config.handler === "synthetic") return syntheticPipeline(syntheticPaths(config.dir), config.stepDelayMs);
  if (config.handler === "count") {
    return async (ctx) => {
      appendFileSync(`${config.dir}/invocations.log`, `${ctx.job.id} ${process.pid}\n`);
      await ctx.step("work", () => new Promise((r) => setTimeout(r, config.stepDelayMs ?? 5)));
      return { kind: "no-change", message: `done by ${process.pid}` };
    };
  }
  const mod = (await import(pathToFileURL(config.handlerModule ?? "").href)) as {
    createHandler(c: WorkerProcessConfig): JobHandler | Promise<JobHandler>;
  };
  return mod.createHandler(config);
}

const config = JSON.parse(process.env.AUTOFIX_TEST_WORKER ?? "{}") as WorkerProcessConfig;
const queue = await openQueue(config.location, log);
const worker = queue.startWorker({
  handler: await handlerFor(config),
  concurrency: config.concurrency,
  perInstallation: config.perInstallation,
  leaseMs: config.leaseMs,
  maxFailures: 3,
  pollIntervalMs: 50,
  retryBackoffMs: { baseMs: 100, maxMs: 400 },
  onGiveUp: async (job, error) => appendFileSync(`${config.dir}/gave-up.log`, `${job.id} ${process.pid} ${error?.message ?? ""}\n`),
});
installSignalHandlers(worker, config.graceMs, log, {
  exit: (code) => void queue.close().finally(() => process.exit(code)),
});
process.stdout.write("ready\n");
