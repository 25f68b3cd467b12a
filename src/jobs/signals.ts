// Graceful shutdown on SIGTERM/SIGINT: stop claiming, let running jobs finish within the grace period,
// release the rest for another worker. A second signal exits at once.
import type { JobLog } from "./records.js";
import type { Worker } from "./types.js";

export function installSignalHandlers(
  worker: Worker,
  graceMs: number,
  log: JobLog,
  options: { exit?: (code: number) => void; signals?: NodeJS.Signals[]; afterStop?: () => Promise<void> } = {},
): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now; unfinished jobs resume after their lease expires");
      exit(1);
      return;
    }
    stopping = true;
    log.info({ signal, graceMs }, "shutting down: finishing running jobs, then releasing the rest");
    worker
      .stop(graceMs)
      .then(async () => options.afterStop?.())
      .then(
        () => {
          log.info({ signal }, "worker stopped");
          exit(0);
        },
        (err: unknown) => {
          log.error({ err }, "worker did not stop cleanly");
          exit(1);
        },
      );
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
