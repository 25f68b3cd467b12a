// One-shot runs (`autofix run`, `autofix poll`) have no queue to wait in: a job waiting for CI
// (JobDeferred) sleeps in the process and runs again; finished steps are memoized, so it resumes the wait.
import { throwIfAborted } from "../errors.js";
import { JobDeferred, type JobContext, type JobOutcome } from "../jobs/index.js";
import type { PipelineEnv } from "./context.js";
import { runPipeline } from "./run.js";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export async function runPipelineUntilDone(ctx: JobContext, env: PipelineEnv): Promise<JobOutcome> {
  for (;;) {
    try {
      return await runPipeline(ctx, env);
    } catch (err) {
      if (!(err instanceof JobDeferred)) throw err;
      env.log.info({ waitMs: err.delayMs }, err.explanation.what);
      await sleep(err.delayMs, ctx.signal);
      throwIfAborted(ctx.signal);
    }
  }
}
