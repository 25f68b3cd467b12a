// Building a spare's files: the same checkout as any spawn's, plus the stat snapshot and git index a claim needs.
// Done on a helper thread at the lowest priority by default, so the job beside it keeps the event loop (lease
// renewals, the webhook server) and, on a busy machine, the CPU.
import { createRequire } from "node:module";
import { setPriority } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { checkoutTree } from "./checkout.js";
import { buildGitIndex } from "./git/gitIndex.js";
import { ObjectReaders, storeAt } from "./git/objectCache.js";
import type { StatSnapshot } from "./spawnState.js";

/** Wider than a file-time tick (a few ms on Linux): files this close to the build's end are "racy". */
const RACY_MS = 20;

export interface BuiltSpare {
  stat: StatSnapshot;
  index: Buffer;
  gitlinks: string[];
  builtAtMs: number;
  racy: { path: string; oid: string; link: boolean }[];
}

export async function buildSpareFiles(
  readers: ObjectReaders,
  gitdir: string,
  local: boolean,
  sha: string,
  dir: string,
  signal?: AbortSignal,
): Promise<BuiltSpare> {
  const store = storeAt(gitdir, local, readers);
  try {
    const { stat, index, gitlinks } = await checkoutTree(store, sha, dir, signal);
    const builtAtMs = Date.now();
    const racy = index
      .filter((e) => e.stats && Math.max(e.stats.mtimeMs, e.stats.ctimeMs) >= builtAtMs - RACY_MS)
      .map((e) => ({ path: e.path, oid: e.oid, link: e.mode === "120000" }));
    return { stat, index: buildGitIndex(index), gitlinks, builtAtMs, racy };
  } finally {
    store.reader.close();
  }
}

/** Runs in the helper thread; a spare's at the lowest priority, for this thread only (Linux nice values are per thread). */
export async function runSpareBuildInThisThread(request: {
  gitdir: string;
  local: boolean;
  sha: string;
  dir: string;
  lowPriority: boolean;
}): Promise<BuiltSpare> {
  if (request.lowPriority) {
    try {
      setPriority(19);
    } catch {
      // Not allowed here: build at normal priority, still off the main thread.
    }
  }
  // A helper thread lives for one checkout: its readers are its own and go with it.
  return buildSpareFiles(new ObjectReaders(), request.gitdir, request.local, request.sha, request.dir);
}

// The helper is an eval'd script that imports this module by URL: it then runs the same under dist/ (plain
// .js) and under tsx or vitest (.ts, loaded through tsx's register hook).
const BOOTSTRAP = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  try {
    if (workerData.tsx) (await import(workerData.tsx)).register();
    const mod = await import(workerData.module);
    const built = await mod.runSpareBuildInThisThread(workerData.request);
    parentPort.postMessage({ built }, [built.stat.rows.buffer]);
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.stack) || err) });
  }
})();`;

function tsxLoader(moduleUrl: string): string | undefined {
  if (!moduleUrl.endsWith(".ts")) return undefined;
  // require.resolve answers the CommonJS entry; the ESM one sits beside it.
  return pathToFileURL(
    createRequire(moduleUrl)
      .resolve("tsx/esm/api")
      .replace(/\.cjs$/, ".mjs"),
  ).href;
}

/** A spare's build: on a helper thread at the lowest priority. */
export function buildSpareOnThread(store: { gitdir: string; local: boolean }, sha: string, dir: string, signal: AbortSignal): Promise<BuiltSpare> {
  return checkoutOnThread(store, sha, dir, signal, { lowPriority: true });
}

/**
 * A checkout on a helper thread (one per checkout; aborting terminates it). A single file creation can hold the
 * kernel for tens of milliseconds on a busy disk, so a long-lived worker creates files off its event loop.
 */
export function checkoutOnThread(
  store: { gitdir: string; local: boolean },
  sha: string,
  dir: string,
  signal: AbortSignal | undefined,
  opts: { lowPriority: boolean },
): Promise<BuiltSpare> {
  const moduleUrl = import.meta.url;
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: {
        module: moduleUrl,
        tsx: tsxLoader(moduleUrl),
        request: { gitdir: store.gitdir, local: store.local, sha, dir, lowPriority: opts.lowPriority },
      },
      // The parent's flags (a tsx loader among them) are not needed: the bootstrap registers what it needs.
      execArgv: [],
    });
    const onAbort = () => void worker.terminate();
    signal?.addEventListener("abort", onAbort, { once: true });
    let settled = false;
    worker.once("message", (message: { built?: BuiltSpare; error?: string }) => {
      settled = true;
      if (message.error || !message.built) return reject(new Error(`checkout on a helper thread failed: ${message.error}`));
      const built = message.built;
      resolve({ ...built, index: Buffer.from(built.index.buffer, built.index.byteOffset, built.index.byteLength) });
    });
    worker.once("error", (err) => {
      settled = true;
      reject(err);
    });
    worker.once("exit", (code) => {
      signal?.removeEventListener("abort", onAbort);
      if (!settled) reject(signal?.aborted ? signal.reason : new Error(`checkout thread exited with ${code}`));
    });
  });
}
