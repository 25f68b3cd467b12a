// Sandbox start-up cost: median and p90 wall time of launching `true`, 30 times each, as a plain spawn,
// through the process runner and through bubblewrap with and without a network namespace of its own
// (target: bubblewrap under 50 ms per launch).
// Standalone: `npx tsx bench/sandbox.ts`.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createSandbox, type Sandbox } from "../src/sandbox/index.js";

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
}
