// One engine operation of bench/engine.ts, run in a process of its own so that its wall time, CPU time (user +
// system, every thread of the process) and peak RSS are the operation's alone. Prints one JSON line.
// `node --import tsx bench/support/engineChild.ts '<op as JSON>'`; bench/engine.ts starts it, nothing else should.
import { mkdtempSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ENGINE_CHILD = fileURLToPath(import.meta.url);
/**
 * `src` (default): the engine's TypeScript through tsx. `dist`: the compiled engine (`npm run build`), as a
 * deployed worker runs it; it matters for a spare's build, whose helper thread loads the engine's modules anew
 * (through tsx's loader under `src`).
 */
export const ENGINE_CODE = process.env.AUTOFIX_BENCH_ENGINE_CODE === "dist" ? "dist" : "src";
const REPO_ROOT = path.resolve(path.dirname(ENGINE_CHILD), "..", "..");

type SpawnModule = typeof import("../../src/engine/spawn.js");
type SparesModule = typeof import("../../src/engine/spares.js");
type ObjectCacheModule = typeof import("../../src/engine/git/objectCache.js");
type BaselineModule = typeof import("../../src/engine/baseline.js");
type DeltaModule = typeof import("../../src/engine/delta.js");

/** An engine module from src/ (tsx) or dist/ (compiled), by its path under src/engine without extension. */
async function engineModule<T>(rel: string, fromSrc: () => Promise<T>): Promise<T> {
  if (ENGINE_CODE === "src") return fromSrc();
  return (await import(pathToFileURL(path.join(REPO_ROOT, "dist", "engine", `${rel}.js`)).href)) as T;
}

interface Source {
  cacheKey: string;
  url: string;
}

export type ChildOp =
  | { kind: "idle" }
  /** A spawn by checkout: from a cold object cache (`cold`: fetch first) or from a warm one (spares off). */
  | {
      kind: "materialize";
      source: Source;
      workRoot: string;
      cacheRoot: string;
      scratch: string;
      warmup: boolean;
      cold?: boolean;
      baseRef?: string;
      keep?: boolean;
    }
  /**
   * A worker's spare, whole: its build (as materialize starts it after a spawn: a helper thread at nice 19), timed,
   * then the next spawn claiming it, timed apart. `spareSha` is the commit the spare is built of (the previous
   * job's); `baseRef` the one the spawn asks for.
   */
  | { kind: "spare"; source: Source; workRoot: string; cacheRoot: string; scratch: string; warmup: boolean; baseRef: string; spareSha: string }
  | { kind: "delta"; spawn: { jobId: string; dir: string; baseRef: string; baseSha: string }; warmup: boolean };

export interface ChildReport {
  ms: number;
  cpuMs: number;
  rssMb: number;
  /** "spare": the spare's build, measured apart from the claim. */
  buildMs?: number;
  buildCpuMs?: number;
  /** "materialize" with `keep`: the spawn, left in place for the delta. */
  spawn?: { jobId: string; dir: string; baseRef: string; baseSha: string };
}

const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / 1000;
};

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started, cpuMs: cpuMsSince(cpu) };
}

const rssMb = () => process.resourceUsage().maxRSS / 1024;

async function child(op: ChildOp): Promise<ChildReport> {
  if (op.kind === "idle") return { ms: 0, cpuMs: 0, rssMb: rssMb() };
  if (op.kind === "delta") {
    const { recordBaseline } = await engineModule<BaselineModule>("baseline", () => import("../../src/engine/baseline.js"));
    const { computeDelta } = await engineModule<DeltaModule>("delta", () => import("../../src/engine/delta.js"));
    const baseline = await recordBaseline(op.spawn);
    // A delta is cheap to repeat, and one run leaves V8 (and the helper thread) short of steady state:
    // runs 2-3 of a process measured ~1.4x runs 4+. A worker that has run jobs before is at steady state.
    if (op.warmup) for (let i = 0; i < 3; i++) await computeDelta(op.spawn, baseline);
    const run = await timed(() => computeDelta(op.spawn, baseline));
    if (run.value.files.length !== 3) throw new Error(`expected 3 changed files, got ${run.value.files.length}`);
    return { ms: run.ms, cpuMs: run.cpuMs, rssMb: rssMb() };
  }
  const { materialize } = await engineModule<SpawnModule>("spawn", () => import("../../src/engine/spawn.js"));
  const { SpareRegistry } = await engineModule<SparesModule>("spares", () => import("../../src/engine/spares.js"));
  const { cacheDirFor } = await engineModule<ObjectCacheModule>("git/objectCache", () => import("../../src/engine/git/objectCache.js"));
  // As a long-lived worker has run jobs before: one untimed spawn first (other dirs; a cold operation on a cold
  // cache of its own, a warm one on the warm cache it is measured with), so the timed run is not also paying
  // V8's JIT warm-up. Its tree is left for the parent to remove with op.scratch after the last round.
  if (op.warmup) {
    const scratch = mkdtempSync(path.join(op.scratch, "warmup-"));
    await materialize({
      jobId: "warmup",
      source: op.source,
      baseRef: "main",
      workRoot: path.join(scratch, "work"),
      cacheRoot: op.kind === "materialize" && op.cold ? path.join(scratch, "cache") : op.cacheRoot,
    });
  }
  if (op.kind === "materialize") {
    const run = await timed(() =>
      materialize({ jobId: "bench", source: op.source, baseRef: op.baseRef ?? "main", workRoot: op.workRoot, cacheRoot: op.cacheRoot }),
    );
    return { ms: run.ms, cpuMs: run.cpuMs, rssMb: rssMb(), ...(op.keep ? { spawn: run.value } : {}) };
  }
  const spares = new SpareRegistry();
  try {
    // What materialize does after a spawn (spawn.ts): prepare a spare of its commit for the next job.
    const build = await timed(async () => {
      spares.prepare(op.workRoot, { gitdir: cacheDirFor(op.source, op.cacheRoot), local: false }, op.spareSha);
      await spares.settled();
    });
    if (spares.ownDirs().size !== 1) throw new Error("the spare was not built");
    const claim = await timed(() =>
      materialize({ jobId: "bench", source: op.source, baseRef: op.baseRef, workRoot: op.workRoot, cacheRoot: op.cacheRoot, spares }),
    );
    if (!claim.value.fromSpare) throw new Error("the spawn did not get the spare");
    return { ms: claim.ms, cpuMs: claim.cpuMs, rssMb: rssMb(), buildMs: build.ms, buildCpuMs: build.cpuMs };
  } finally {
    await spares.discardAll();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === ENGINE_CHILD) {
  console.log(JSON.stringify(await child(JSON.parse(process.argv[2]) as ChildOp)));
}
