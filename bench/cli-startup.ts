// `npx autofix --help` start-up: N runs of `node bin/autofix.js --help` (the compiled CLI in dist/, as npx
// runs it) against N runs of `node -e 0` (Node's own start-up), interleaved in one run so machine load hits
// both alike. Target: under 0.5 s. Standalone: `npx tsx bench/cli-startup.ts` (run `npm run build` first).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface CliStartupResult {
  command: string;
  runs: number;
  p50Ms: number;
  p90Ms: number;
  minMs: number;
}

const RUNS = Number(process.env.AUTOFIX_BENCH_CLI_RUNS ?? 20);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const targetMs = 500;

function timeOnce(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
  return ms;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (ms: number) => Math.round(ms * 10) / 10;

export async function run(): Promise<CliStartupResult[]> {
  if (!existsSync(path.join(root, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` first (the CLI runs the compiled JavaScript).");
  const commands = [
    { label: "node bin/autofix.js --help", args: [path.join(root, "bin", "autofix.js"), "--help"] },
    { label: "node -e 0", args: ["-e", "0"] },
  ];
  const samples = commands.map(() => [] as number[]);
  for (const c of commands) timeOnce(c.args); // warm the file cache
  for (let i = 0; i < RUNS; i++) commands.forEach((c, k) => samples[k].push(timeOnce(c.args)));
  return commands.map((c, k) => {
    const sorted = [...samples[k]].sort((a, b) => a - b);
    return { command: c.label, runs: RUNS, p50Ms: round(percentile(sorted, 50)), p90Ms: round(percentile(sorted, 90)), minMs: round(sorted[0]) };
  });
}

export function toMarkdown(results: CliStartupResult[]): string {
  const [cli, node] = results;
  const lines = [
    "| command | runs | p50 ms | p90 ms | min ms |",
    "| --- | --- | --- | --- | --- |",
    ...results.map((r) => `| ${r.command} | ${r.runs} | ${r.p50Ms} | ${r.p90Ms} | ${r.minMs} |`),
  ];
  if (cli && node) {
    const verdict = cli.p90Ms < targetMs ? "within" : "OVER";
    lines.push(
      "",
      `autofix --help: p50 ${cli.p50Ms} ms, p90 ${cli.p90Ms} ms (${verdict} the ${targetMs} ms target); ratio to node -e 0: ${(cli.p50Ms / node.p50Ms).toFixed(2)}x at p50`,
    );
  }
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(toMarkdown(await run()));
}
