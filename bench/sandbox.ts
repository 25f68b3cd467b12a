// Sandbox start-up cost: median and p90 wall time of launching `true`, 30 times each, as a plain spawn,
// through the process runner and through bubblewrap with and without a network namespace of its own
// (target: bubblewrap under 50 ms per launch).
// Then the command view of the deterministic gate (issue 22): one side's view of a 5,000-file spawn plus a
// command that reads one file, as an overlay, as a `cp -a` copy (the fallback), and as Node's recursive
// fs.cp (what the gate did before), interleaved round by round, removal of the view included.
// Standalone: `npx tsx bench/sandbox.ts`.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createSandbox, type Sandbox } from "../src/sandbox/index.js";
import { openCommandView } from "../src/gates/workCopy.js";

export interface SandboxBenchResult {
  runner: "plain spawn" | "process runner" | "bubblewrap (network none)" | "bubblewrap (network open)";
  launches: number;
  medianMs: number;
  p90Ms: number;
}

const LAUNCHES = Number(process.env.AUTOFIX_BENCH_SANDBOX_LAUNCHES ?? 30);
export const targetMs = 50;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function plainSpawn(cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("true", [], { cwd, env: { PATH: "/usr/bin:/bin" }, stdio: "ignore" });
    child.on("error", reject);
    child.on("close", () => resolve());
  });
}

function viaSandbox(sandbox: Sandbox, cwd: string, network: "none" | "open" = "none"): () => Promise<void> {
  return async () => {
    const result = await sandbox.run({ argv: ["true"], cwd, env: { PATH: "/usr/bin:/bin" }, timeoutMs: 10_000, network });
    if (result.exitCode !== 0) throw new Error(`launch failed: ${result.outputTail}`);
  };
}

async function measure(runner: SandboxBenchResult["runner"], launch: () => Promise<void>): Promise<SandboxBenchResult> {
  await launch(); // warm the page cache and the probe
  const times: number[] = [];
  for (let i = 0; i < LAUNCHES; i++) {
    const start = performance.now();
    await launch();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { runner, launches: LAUNCHES, medianMs: round(percentile(times, 50)), p90Ms: round(percentile(times, 90)) };
}

export async function run(): Promise<SandboxBenchResult[]> {
  const cwd = mkdtempSync(path.join(tmpdir(), "autofix-bench-sandbox-"));
  try {
    const processRunner = await createSandbox({ mode: "off" });
    const bubblewrap = await createSandbox({ mode: "required" });
    return [
      await measure("plain spawn", () => plainSpawn(cwd)),
      await measure("process runner", viaSandbox(processRunner, cwd)),
      await measure("bubblewrap (network none)", viaSandbox(bubblewrap, cwd, "none")),
      await measure("bubblewrap (network open)", viaSandbox(bubblewrap, cwd, "open")),
    ];
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

export interface ViewBenchResult {
  view: "overlay" | "cp -a copy" | "Node fs.cp copy";
  files: number;
  rounds: number;
  medianMs: number;
  ratioToOverlay: number;
}

const VIEW_FILES = Number(process.env.AUTOFIX_BENCH_VIEW_FILES ?? 5_000);
const VIEW_ROUNDS = Number(process.env.AUTOFIX_BENCH_VIEW_ROUNDS ?? 3);

/** A spawn-like tree: distinct contents in nested directories. */
function makeTree(dir: string, files: number): void {
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `pkg${i % 50}`, `mod${i % 7}`);
    if (i < 350) mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `file${i}.txt`), `// file ${i}\n${"x".repeat(i % 2000)}\n`);
  }
}

export async function runViews(): Promise<ViewBenchResult[]> {
  const root = mkdtempSync(path.join(tmpdir(), "autofix-bench-view-"));
  try {
    const spawnDir = path.join(root, "spawn");
    mkdirSync(spawnDir);
    makeTree(spawnDir, VIEW_FILES);
    const overlay = await createSandbox({ mode: "required", hostPath: "/usr/bin:/bin" });
    const copying = await createSandbox({ mode: "required", hostPath: "/usr/bin:/bin", commandView: "copy" });
    if (overlay.description.commandView !== "overlay") throw new Error("overlay views are not available on this host");
    const oneSide = (sandbox: Sandbox, node: boolean) => async (side: string) => {
      const sideDir = path.join(root, side);
      let dir: string;
      let view: { dir: string } | undefined;
      if (node) {
        dir = path.join(sideDir, "work");
        await cp(spawnDir, dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
      } else {
        const opened = await openCommandView(sandbox, spawnDir, sideDir);
        [dir, view] = [opened.dir, opened.view];
      }
      const result = await sandbox.run({
        argv: ["cat", "pkg0/mod0/file0.txt"],
        cwd: dir,
        ...(view ? { view } : {}),
        env: { PATH: "/usr/bin:/bin" },
        timeoutMs: 60_000,
        network: "none",
      });
      if (result.exitCode !== 0) throw new Error(`view run failed: ${result.outputTail}`);
      await rm(sideDir, { recursive: true, force: true });
    };
    const kinds: Array<[ViewBenchResult["view"], (side: string) => Promise<void>]> = [
      ["overlay", oneSide(overlay, false)],
      ["cp -a copy", oneSide(copying, false)],
      ["Node fs.cp copy", oneSide(copying, true)],
    ];
    const times = new Map<string, number[]>(kinds.map(([k]) => [k, []]));
    for (let round = 0; round < VIEW_ROUNDS; round++) {
      for (const [kind, once] of kinds) {
        const start = performance.now();
        await once(`${kind.replace(/\W/g, "")}-${round}`);
        times.get(kind)!.push(performance.now() - start);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const overlayMs = median(times.get("overlay")!);
    return kinds.map(([view]) => {
      const ms = median(times.get(view)!);
      return { view, files: VIEW_FILES, rounds: VIEW_ROUNDS, medianMs: Math.round(ms), ratioToOverlay: Math.round((ms / overlayMs) * 10) / 10 };
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function viewsToMarkdown(results: ViewBenchResult[]): string {
  return [
    "| command view (one side, 5,000 files, removal included) | rounds | median ms | × overlay |",
    "| --- | --- | --- | --- |",
    ...results.map((r) => `| ${r.view} | ${r.rounds} | ${r.medianMs} | ${r.ratioToOverlay} |`),
  ].join("\n");
}

export function toMarkdown(results: SandboxBenchResult[]): string {
  const rows = results.map((r) => `| ${r.runner} | ${r.launches} | ${r.medianMs} | ${r.p90Ms} |`);
  return [
    `| runner (launching \`true\`) | launches | median ms | p90 ms |`,
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    `Target: bubblewrap under ${targetMs} ms per launch.`,
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const results = await run();
  console.log(toMarkdown(results));
  console.log("");
  console.log(viewsToMarkdown(await runViews()));
}
