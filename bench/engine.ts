// Engine benchmark, like for like with native git on a generated 5,000-file repository of distinct files served
// over loopback smart HTTP:
// - cold materialize against `git clone --depth 1`;
// - warm materialize (a spare checkout ready; a spare of the previous head; the object cache alone) against a
//   native warm worker: a local clone kept for the run, `git fetch` + `git worktree add --detach` per sample;
// - a spare's build (what a worker spends after each spawn so that the next one is a rename), timed in the same
//   process as its claim, so "claim + build" is the whole cost of a spawn from a spare;
// - computeDelta on a 50,000-file tree with 3 files changed against `git status --porcelain` + `git diff`.
// Samples are paired and interleaved (native, engine, ... each round); ratios are medians of the per-round
// ratios, for wall and for CPU time. The engine runs in a child process per sample (bench/support/engineChild.ts)
// that reports its own wall, CPU and peak RSS; native git runs under /usr/bin/time. Every temporary directory is
// removed at the end, and the run fails if one is left. `npx tsx bench/engine.ts`; AUTOFIX_BENCH_ENGINE_RUNS
// (rounds, default 5), AUTOFIX_BENCH_ENGINE_TREE (delta tree size, default 50,000), AUTOFIX_BENCH_VERBOSE=1,
// AUTOFIX_BENCH_ENGINE_CODE=dist (the compiled engine, after `npm run build`; default: src/ through tsx).
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { startGitServer } from "../test/support/gitServer.js";
import { buildRepo, distinctFiles, gitAsync, gitEnv, type BuiltRepo } from "../test/support/repoBuilder.js";
import { ENGINE_CHILD, ENGINE_CODE, type ChildOp, type ChildReport } from "./support/engineChild.js";

const RUNS = Number(process.env.AUTOFIX_BENCH_ENGINE_RUNS ?? 5);
const SMALL_FILES = 5_000;
const LARGE_FILES = Number(process.env.AUTOFIX_BENCH_ENGINE_TREE ?? 50_000);
const VERBOSE = Boolean(process.env.AUTOFIX_BENCH_VERBOSE);
const PREFIX = "autofix-bench-engine-";
/**
 * "worker": each engine child first runs the same operation untimed (a materialize once, on other temp dirs;
 * a delta three times), as a long-lived worker has run jobs before, so the timed run is not also paying
 * V8's JIT warm-up. "fresh": the timed run is the first thing the process does (a one-shot CLI run).
 */
const PROCESS_MODE = process.env.AUTOFIX_BENCH_ENGINE_PROCESS === "fresh" ? "fresh" : "worker";

export interface EngineBenchRow {
  operation: string;
  engineMs: number;
  nativeMs: number;
  /** Median of per-round engine / native wall time: below 1 is faster than native git. */
  ratio: number;
  engineCpuMs: number;
  nativeCpuMs: number;
  cpuRatio: number;
  target: string;
  engineRssMb: number;
  nativeRssMb: number;
}

interface Sample {
  ms: number;
  /** CPU time (user + system): far less sensitive than wall time to other load on the machine. */
  cpuMs: number;
  rssMb: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const sum = (a: Sample, b: Sample): Sample => ({ ms: a.ms + b.ms, cpuMs: a.cpuMs + b.cpuMs, rssMb: Math.max(a.rssMb, b.rssMb) });
const log = (line: string) => VERBOSE && console.error(line);

/** Runs one engine operation in a child process; the child reports its own duration, CPU and peak RSS. */
function engineChild(op: ChildOp): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ENGINE_CHILD, JSON.stringify(op)], {
      cwd: path.dirname(path.dirname(ENGINE_CHILD)),
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`engine child failed (${code}): ${out}`));
      const report = JSON.parse(out.trim().split("\n").pop()!) as ChildReport;
      const build = report.buildMs === undefined ? "" : ` (spare build ${Math.round(report.buildMs)} ms)`;
      log(`engine ${op.kind}${"baseRef" in op && op.baseRef ? ` ${op.baseRef}` : ""}: ${Math.round(report.ms)} ms${build}`);
      resolve(report);
    });
  });
}

/** Runs native git under /usr/bin/time: wall time measured here, CPU and peak RSS (%M, KiB) from time. */
function nativeGit(cwd: string, args: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    execFile("/usr/bin/time", ["-f", "RSS %M CPU %U %S", "git", ...args], { cwd, env: gitEnv, maxBuffer: 1 << 28 }, (err, _stdout, stderr) => {
      if (err) return reject(Object.assign(err, { stderr }));
      const ms = performance.now() - started;
      log(`native git ${args[0]}: ${Math.round(ms)} ms`);
      const [, kb, user, system] = /RSS (\d+) CPU ([\d.]+) ([\d.]+)/.exec(stderr) ?? ["", "0", "0", "0"];
      resolve({ ms, cpuMs: (Number(user) + Number(system)) * 1000, rssMb: Number(kb) / 1024 });
    });
  });
}

/** One row from paired samples (engine[i] and native[i] were taken in the same round). */
function row(operation: string, target: string, engine: Sample[], native: Sample[]): EngineBenchRow {
  const ratios = (pick: (s: Sample) => number) => median(engine.map((s, i) => pick(s) / Math.max(pick(native[i]), 1)));
  return {
    operation,
    engineMs: round(median(engine.map((s) => s.ms))),
    nativeMs: round(median(native.map((s) => s.ms))),
    ratio: round(
      ratios((s) => s.ms),
      2,
    ),
    engineCpuMs: round(median(engine.map((s) => s.cpuMs))),
    nativeCpuMs: round(median(native.map((s) => s.cpuMs))),
    cpuRatio: round(
      ratios((s) => s.cpuMs),
      2,
    ),
    target,
    engineRssMb: round(Math.max(...engine.map((s) => s.rssMb)), 1),
    nativeRssMb: round(Math.max(...native.map((s) => s.rssMb)), 1),
  };
}

/** The compiled engine must be at least as new as every source file, or the bench would time old code. */
function assertDistFresh(): void {
  const repo = path.resolve(path.dirname(ENGINE_CHILD), "..", "..");
  const built = path.join(repo, "dist", "engine", "spawn.js");
  if (!existsSync(built)) throw new Error("AUTOFIX_BENCH_ENGINE_CODE=dist times the compiled engine, and there is none: run `npm run build` first.");
  const src = path.join(repo, "src");
  const stale = readdirSync(src, { recursive: true, encoding: "utf8" }).find(
    (f) => f.endsWith(".ts") && statSync(path.join(src, f)).mtimeMs > statSync(built).mtimeMs,
  );
  if (stale) throw new Error(`dist/ is older than src/${stale}: run \`npm run build\` first (AUTOFIX_BENCH_ENGINE_CODE=dist times the compiled engine).`);
}

const leftovers = () => readdirSync(tmpdir()).filter((name) => name.startsWith(PREFIX));

export async function run(): Promise<EngineBenchRow[]> {
  if (ENGINE_CODE === "dist") assertDistFresh();
  const before = new Set(leftovers());
  const root = mkdtempSync(path.join(tmpdir(), PREFIX));
  // Everything but buildRepo's working clones lives under root; those are removed by name.
  const dir = (name: string) => mkdtempSync(path.join(root, `${name}-`));
  const drop = (...dirs: string[]) => dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  // Trees are removed after the last round, not after each sample: this disk's inode allocator skips inodes
  // freed in the last minute or so (docs/benchmarks.md, engine section), so removing 5,000 files before each sample made every file
  // creation in the next one cost up to 10x, growing round after round (native worktree add: 0.7 s in round 1,
  // 4.5 s in round 5 of one run). A worker removes a job's spawn minutes before its next spawn.
  const removeLater: string[] = [];
  const dropLater = (...dirs: string[]) => removeLater.push(...dirs);
  const repoRoot = dir("repos");
  const repos: BuiltRepo[] = [];
  const server = await startGitServer({ root: repoRoot });
  const warmup = PROCESS_MODE === "worker";
  const rows: EngineBenchRow[] = [];
  try {
    const small = buildRepo(repoRoot, "small", distinctFiles(SMALL_FILES));
    repos.push(small);
    const mainSha = small.head("main");
    // The head as it was when the worker's spare was built (main), and as it is when the next job starts (moved).
    small.commit(
      { "src/d1/e0/file1.ts": "// moved\n", "src/d7/e3/file157.ts": "// moved\n", "src/d42/e19/file992.ts": null, "NEWS.md": "moved\n" },
      "the head moved",
      "moved",
    );
    const url = server.repoUrl("small");
    const source = { cacheKey: "bench/small", url };
    const idle = await engineChild({ kind: "idle" });

    // A worker's object cache, filled once (untimed) with both heads.
    const warmCache = dir("cache");
    for (const baseRef of ["main", "moved"]) {
      const work = dir("work");
      await engineChild({ kind: "materialize", source, workRoot: work, cacheRoot: warmCache, scratch: root, warmup: false, baseRef });
      dropLater(work);
    }
    // A native worker's warm clone, cloned once (untimed): each job fetches and adds a worktree of the head.
    const nativeWarmDir = dir("native-warm");
    const warmClone = path.join(nativeWarmDir, "clone");
    await gitAsync(nativeWarmDir, "clone", "-q", url, warmClone);

    const nativeClone = () => {
      const d = dir("native-clone");
      return nativeGit(d, ["clone", "-q", "--depth", "1", url, "c"]).finally(() => dropLater(d));
    };
    const nativeWarm = async (ref: string) => {
      const d = dir("native-worktree");
      const tree = path.join(d, "w");
      try {
        const fetch = await nativeGit(warmClone, ["fetch", "-q", "origin"]);
        return sum(fetch, await nativeGit(warmClone, ["worktree", "add", "-q", "--detach", tree, `origin/${ref}`]));
      } finally {
        dropLater(d);
      }
    };
    const coldEngine = () => {
      const [work, cache] = [dir("work"), dir("cache")];
      return engineChild({ kind: "materialize", source, workRoot: work, cacheRoot: cache, scratch: root, warmup, cold: true }).finally(() =>
        dropLater(work, cache),
      );
    };
    const warmEngine = () => {
      const work = dir("work");
      return engineChild({ kind: "materialize", source, workRoot: work, cacheRoot: warmCache, scratch: root, warmup }).finally(() => dropLater(work));
    };
    const spareEngine = (baseRef: string) => {
      const work = dir("work");
      return engineChild({ kind: "spare", source, workRoot: work, cacheRoot: warmCache, scratch: root, warmup, baseRef, spareSha: mainSha }).finally(() =>
        dropLater(work),
      );
    };

    const s = { clone: [], cold: [], nativeMain: [], spare: [], spareBuild: [], cacheOnly: [], nativeMoved: [], moved: [], movedBuild: [] } as Record<
      string,
      Sample[]
    >;
    const build = (r: ChildReport): Sample => ({ ms: r.buildMs!, cpuMs: r.buildCpuMs!, rssMb: r.rssMb });
    for (let i = 0; i < RUNS; i++) {
      s.clone.push(await nativeClone());
      s.cold.push(await coldEngine());
      s.nativeMain.push(await nativeWarm("main"));
      const spare = await spareEngine("main");
      s.spare.push(spare);
      s.spareBuild.push(build(spare));
      s.cacheOnly.push(await warmEngine());
      s.nativeMoved.push(await nativeWarm("moved"));
      const moved = await spareEngine("moved");
      s.moved.push(moved);
      s.movedBuild.push(build(moved));
      log(`round ${i + 1}/${RUNS} done, load ${loadavg()[0].toFixed(1)}`);
    }
    drop(...removeLater.splice(0));
    await gitAsync(warmClone, "worktree", "prune");
    const withBuild = (claims: Sample[], builds: Sample[]) => claims.map((c, i) => sum(c, builds[i]));
    const n = SMALL_FILES;
    const warmNative = "git fetch + git worktree add (warm clone)";
    rows.push(
      row(`cold materialize, ${n} files vs git clone --depth 1`, "≤ 2", s.cold, s.clone),
      row(`warm, spare ready: claim only, ${n} files vs ${warmNative}`, "(none)", s.spare, s.nativeMain),
      row(`warm, spare ready: claim + the spare's build, ${n} files vs ${warmNative}`, "(none)", withBuild(s.spare, s.spareBuild), s.nativeMain),
      row(`spare build alone (helper thread, nice 19), ${n} files vs ${warmNative}`, "(none)", s.spareBuild, s.nativeMain),
      row(`warm, spare of the previous head (4 paths changed): claim only, ${n} files vs ${warmNative}`, "(none)", s.moved, s.nativeMoved),
      row(
        `warm, spare of the previous head: claim + the spare's build, ${n} files vs ${warmNative}`,
        "(none)",
        withBuild(s.moved, s.movedBuild),
        s.nativeMoved,
      ),
      row(`warm, object cache only (spares off), ${n} files vs ${warmNative}`, "(none)", s.cacheOnly, s.nativeMain),
    );

    rows.push(await deltaRow(repoRoot, repos, dir, warmup));
    rows.push({ ...row("(node + tsx child start-up, for the RSS column)", "", [idle], [idle]), engineRssMb: round(idle.rssMb, 1) });
  } finally {
    await server.close();
    drop(...removeLater, root, ...repos.map((r) => r.work));
  }
  const left = [...[root, ...repos.map((r) => r.work)].filter((d) => existsSync(d)), ...leftovers().filter((name) => !before.has(name))];
  if (left.length > 0) throw new Error(`engine bench left temporary directories behind: ${left.join(", ")}`);
  console.error(`engine bench: every temporary directory removed (none named ${PREFIX}* or autofix-work-{small,large}-* left in ${tmpdir()})`);
  return rows;
}

/** Delta on a large working tree from a local repository (no network on either side). */
async function deltaRow(repoRoot: string, repos: BuiltRepo[], dir: (name: string) => string, warmup: boolean): Promise<EngineBenchRow> {
  const big = buildRepo(repoRoot, "large", distinctFiles(LARGE_FILES, 512, 2));
  repos.push(big);
  const kept = await engineChild({
    kind: "materialize",
    source: { cacheKey: "bench/large", url: big.bare },
    workRoot: dir("work"),
    cacheRoot: dir("cache"),
    scratch: dir("scratch"),
    warmup: false,
    keep: true,
  });
  const nativeTree = path.join(dir("native-large"), "c");
  await gitAsync(repoRoot, "clone", "-q", big.bare, nativeTree);
  await gitAsync(nativeTree, "status", "--porcelain"); // refresh the index once, as a warm worktree would be
  const changed = ["src/d1/e1/file51.ts", "src/d7/e3/file157.ts", "src/d42/e19/file992.ts"];
  for (const tree of [kept.spawn!.dir, nativeTree]) for (const p of changed) writeFileSync(path.join(tree, p), `// changed\n${p}\n`);
  const engine: Sample[] = [];
  const native: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    engine.push(await engineChild({ kind: "delta", spawn: kept.spawn!, warmup }));
    native.push(sum(await nativeGit(nativeTree, ["status", "--porcelain"]), await nativeGit(nativeTree, ["diff"])));
  }
  return row(`delta, ${LARGE_FILES} files with 3 changed vs git status --porcelain + git diff`, "≤ 2", engine, native);
}

export function toMarkdown(rows: EngineBenchRow[]): string {
  return [
    `Engine processes: ${PROCESS_MODE === "worker" ? "JIT warmed by one untimed run (a long-lived worker)" : "fresh (first operation of the process)"}; engine code from ${ENGINE_CODE === "dist" ? "dist/ (compiled)" : "src/ (tsx)"}; ${RUNS} rounds, medians; ratios are medians of per-round ratios; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")} at the end.`,
    "",
    "| operation | engine wall ms | native wall ms | wall ratio | engine CPU ms | native CPU ms | CPU ratio | target | engine peak RSS MB | native peak RSS MB |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      r.target === ""
        ? `| ${r.operation} | | | | | | | | ${r.engineRssMb} | |`
        : `| ${r.operation} | ${r.engineMs} | ${r.nativeMs} | ${r.ratio} | ${r.engineCpuMs} | ${r.nativeCpuMs} | ${r.cpuRatio} | ${r.target} | ${r.engineRssMb} | ${r.nativeRssMb} |`,
    ),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(toMarkdown(await run()));
}
