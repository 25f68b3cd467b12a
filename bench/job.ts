// A whole job's overhead against native git doing the same work. autofix: `autofix run --local` (the compiled CLI,
// as users run it) with a command agent that appends one line, one gate command `true`, judges off. Native: a
// shallow clone, the same edit, status, diff, `true`, commit and a push of the branch. Samples are paired and
// interleaved (native, autofix, native, autofix ...) on a generated repository of distinct files; each side runs
// under /usr/bin/time for wall, CPU (user + system) and peak RSS. A separate in-process run measures the event
// loop's delay (p99) during a materialize of the repository. Every temp dir is removed at the end.
// `npm run build` first, then `npx tsx bench/job.ts`. AUTOFIX_BENCH_JOB_FILES=5000,50000 (default 5000),
// AUTOFIX_BENCH_JOB_SAMPLES=3 (pairs per size; 0 measures only the event-loop delay).
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, "..", "bin", "autofix.js");
const SIZES = (process.env.AUTOFIX_BENCH_JOB_FILES ?? "5000").split(",").map(Number);
const SAMPLES = Number(process.env.AUTOFIX_BENCH_JOB_SAMPLES ?? 3);

export interface JobBenchRow {
  files: number;
  pairs: number;
  nativeWallMs: number;
  autofixWallMs: number;
  wallRatio: number;
  nativeCpuMs: number;
  autofixCpuMs: number;
  cpuRatio: number;
  nativePeakRssMb: number;
  autofixPeakRssMb: number;
  /** Event-loop delay while materializing this repository in-process (p99 and max, ms): files created on the
   * main thread (a CLI run) and on a helper thread (a long-lived worker). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  loopDelayThreadP99Ms: number;
  loopDelayThreadMaxMs: number;
  load: string;
}

interface Timed {
  wallMs: number;
  cpuMs: number;
  rssMb: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r1 = (n: number) => Math.round(n * 10) / 10;

/** Distinct contents (random hex), 50 directories × 20 subdirectories, ~1 KB each. */
function buildRepo(root: string, files: number): string {
  const repo = path.join(root, "origin");
  mkdirSync(repo, { recursive: true });
  for (let i = 0; i < files; i++) {
    const dir = path.join(repo, `src/d${i % 50}/e${Math.floor(i / 50) % 20}`);
    if (i < 1000) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `file${i}.ts`), `// file ${i}\nexport const data = "${randomBytes(480).toString("hex")}";\n`);
  }
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: repo,
      stdio: "ignore",
      env: { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" },
    });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "base");
  // Lets a push to a branch of this non-bare repository go through (the checked-out branch stays untouched).
  git("config", "receive.denyCurrentBranch", "ignore");
  return repo;
}

/** Runs a shell script under /usr/bin/time: wall from here, CPU and peak RSS of the whole process tree. */
function timed(script: string, env: Record<string, string> = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn("/usr/bin/time", ["-f", "TIME %U %S %M", "sh", "-c", script], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      const m = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`exit ${code}: ${err.slice(-2000)}`));
      resolve({ wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssMb: Number(m[3]) / 1024 });
    });
  });
}

const EDIT = `echo '// fixed' >> src/d0/e0/file0.ts`;

function nativeScript(repo: string, work: string): string {
  return [
    `git clone -q --depth 1 file://${repo} ${work}/clone`,
    `cd ${work}/clone`,
    EDIT,
    "git status --porcelain >/dev/null",
    "git diff >/dev/null",
    "true",
    "git -c user.name=b -c user.email=b@b commit -q -am fix",
    "git push -q origin HEAD:refs/heads/native/issue-1 --force",
  ].join(" && ");
}

function autofixScript(repo: string, work: string): string {
  return `node ${cli} run --local ${repo} --issue-file ${work}/issue.md --config ${work}/autofix.yml --out ${work}/out --json >/dev/null`;
}

function autofixFiles(work: string): void {
  writeFileSync(path.join(work, "issue.md"), "file0 needs a fix\n\nAppend a line.\n");
  writeFileSync(
    path.join(work, "autofix.yml"),
    [
      "agent:",
      "  preset: command",
      `  command: "${EDIT}"`,
      "gates:",
      "  allowSkipWithoutLlm: true",
      "  deterministic:",
      "    commands: ['true']",
      "  semantic:",
      "    enabled: false",
      "  review:",
      "    enabled: false",
      "",
    ].join("\n"),
  );
}

/** Event-loop delay while one materialize of `repo` runs in this process (the engine as a worker runs it). */
async function loopDelayDuringMaterialize(repo: string, root: string, checkoutOn: "main" | "thread"): Promise<{ p99: number; max: number }> {
  const { materialize } = await import("../src/engine/spawn.js");
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  const work = mkdtempSync(path.join(root, "loop-"));
  histogram.enable();
  await materialize({
    jobId: "loop",
    source: { cacheKey: `local:${repo}`, url: repo },
    baseRef: "main",
    workRoot: path.join(work, "work"),
    cacheRoot: path.join(work, "cache"),
    checkoutOn,
  });
  histogram.disable();
  rmSync(work, { recursive: true, force: true });
  return { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
}

export async function run(): Promise<JobBenchRow[]> {
  if (!existsSync(path.join(here, "..", "dist"))) throw new Error("run `npm run build` first: the bench runs the compiled CLI");
  const rows: JobBenchRow[] = [];
  for (const files of SIZES) {
    const root = mkdtempSync(path.join(tmpdir(), `autofix-bench-job-${files}-`));
    try {
      const repo = buildRepo(root, files);
      const pairs: { native: Timed; autofix: Timed }[] = [];
      const loads: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const nativeWork = mkdtempSync(path.join(root, "native-"));
        const autofixWork = mkdtempSync(path.join(root, "autofix-"));
        autofixFiles(autofixWork);
        loads.push(loadavg()[0]);
        const native = await timed(nativeScript(repo, nativeWork));
        const autofix = await timed(autofixScript(repo, autofixWork), { AUTOFIX_DATA_DIR: path.join(autofixWork, "data"), LOG_LEVEL: "warn" });
        // The job's result is the local branch (exit 0 alone could be a dry run); removed for the next pair.
        const branch = execFileSync("git", ["-C", repo, "rev-parse", "--verify", "refs/heads/autofix/issue-1"], { encoding: "utf8" }).trim();
        execFileSync("git", ["-C", repo, "branch", "-D", "autofix/issue-1"], { stdio: "ignore" });
        if (process.env.AUTOFIX_BENCH_VERBOSE) console.error(files, i, { native, autofix, branch });
        pairs.push({ native, autofix });
        rmSync(nativeWork, { recursive: true, force: true });
        rmSync(autofixWork, { recursive: true, force: true });
      }
      const loop = await loopDelayDuringMaterialize(repo, root, "main");
      const loopThread = await loopDelayDuringMaterialize(repo, root, "thread");
      const m = (pick: (p: { native: Timed; autofix: Timed }) => number) => (pairs.length ? median(pairs.map(pick)) : Number.NaN);
      rows.push({
        files,
        pairs: pairs.length,
        nativeWallMs: Math.round(m((p) => p.native.wallMs)),
        autofixWallMs: Math.round(m((p) => p.autofix.wallMs)),
        wallRatio: Math.round(m((p) => p.autofix.wallMs / p.native.wallMs) * 100) / 100,
        nativeCpuMs: Math.round(m((p) => p.native.cpuMs)),
        autofixCpuMs: Math.round(m((p) => p.autofix.cpuMs)),
        cpuRatio: Math.round(m((p) => p.autofix.cpuMs / p.native.cpuMs) * 100) / 100,
        nativePeakRssMb: Math.round(m((p) => p.native.rssMb)),
        autofixPeakRssMb: Math.round(m((p) => p.autofix.rssMb)),
        loopDelayP99Ms: r1(loop.p99),
        loopDelayMaxMs: r1(loop.max),
        loopDelayThreadP99Ms: r1(loopThread.p99),
        loopDelayThreadMaxMs: r1(loopThread.max),
        load: loads.length ? `${r1(Math.min(...loads))}–${r1(Math.max(...loads))}` : String(r1(loadavg()[0])),
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return rows;
}

export function toMarkdown(rows: JobBenchRow[]): string {
  return [
    "| files | pairs | native wall ms | autofix wall ms | wall ratio | native CPU ms | autofix CPU ms | CPU ratio | native peak RSS MB | autofix peak RSS MB | loop delay p99 / max ms, materialize on main thread | same, files on a helper thread | load avg |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.files} | ${r.pairs} | ${r.nativeWallMs} | ${r.autofixWallMs} | ${r.wallRatio} | ${r.nativeCpuMs} | ${r.autofixCpuMs} | ${r.cpuRatio} | ${r.nativePeakRssMb} | ${r.autofixPeakRssMb} | ${r.loopDelayP99Ms} / ${r.loopDelayMaxMs} | ${r.loopDelayThreadP99Ms} / ${r.loopDelayThreadMaxMs} | ${r.load} |`,
    ),
    "",
    "Ratios are medians of the per-pair ratios; targets: ≤ 2x native wall and ≤ 300 MB peak RSS on 5,000 files.",
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(toMarkdown(await run()));
}
