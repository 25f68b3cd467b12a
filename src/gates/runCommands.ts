// Runs setup and check commands on one side (baseline or after) through the sandbox, keeping the whole
// output in a scratch file so per-test results can be read from it, not only from the tail.
import { realpathSync } from "node:fs";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { buildAgentEnv } from "../agents/index.js";
import { throwIfAborted } from "../errors.js";
import type { Sandbox } from "../sandbox/index.js";
import type { CommandOutcome } from "./baselineCache.js";
import type { CommandSpec } from "./detect.js";
import { parseJunitXml, parseTestOutput } from "./testresults/index.js";
import { recordOutcome, type TestOutcome } from "./testresults/types.js";

const setupTimeoutMs = 15 * 60_000;
const outputTailChars = 4_000;
const maxParsedBytes = 32 * 1024 * 1024;

export interface SideRun {
  /** Set when a setup command failed: the checks did not run, and the gate reports error. */
  setupFailure?: { command: string; exitCode: number | null; timedOut: boolean; outputTail: string };
  commands: CommandOutcome[];
}

export interface SideOptions {
  side: "baseline" | "after";
  dir: string;
  setup: string[];
  commands: CommandSpec[];
  sandbox: Sandbox;
  network: "open" | "none";
  scratchDir: string;
  signal?: AbortSignal;
  toolchain?: Toolchain;
  /** Directories linked into a work copy from the spawn (node_modules, target...), writable too. */
  linkedPaths?: string[];
}

/**
 * Language runtimes the operator installed outside the system directories (pyenv, rustup, a Go tarball):
 * visible read-only in the sandbox and first on PATH, so the repository's commands find them.
 */
export interface Toolchain {
  readOnlyPaths: string[];
  pathDirs: string[];
  /** Variables such runtimes need to find themselves (RUSTUP_HOME, CARGO_HOME, GOROOT...); never secrets. */
  env?: Record<string, string>;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function readOutput(file: string): Promise<string> {
  try {
    const buffer = await readFile(file);
    return buffer.subarray(Math.max(0, buffer.length - maxParsedBytes)).toString("utf8");
  } catch {
    return "";
  }
}

async function mtimeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function runOne(
  options: SideOptions,
  command: string,
  timeoutMs: number,
  logFile: string,
  env: Record<string, string>,
): Promise<{ exitCode: number | null; timedOut: boolean; durationMs: number; output: string }> {
  await rm(logFile, { force: true });
  const result = await options.sandbox.run({
    // The braces keep compound commands (`a && b`) together; the file keeps all the output.
    argv: ["/bin/sh", "-c", `{ ${command}\n} > ${quote(logFile)} 2>&1`],
    cwd: options.dir,
    env,
    timeoutMs,
    network: options.network,
    writablePaths: [options.scratchDir, ...(options.linkedPaths ?? [])],
    readOnlyPaths: options.toolchain?.readOnlyPaths ?? [],
    signal: options.signal,
  });
  if (result.cancelled) throwIfAborted(options.signal);
  const output = await readOutput(logFile);
  return { exitCode: result.exitCode, timedOut: result.timedOut, durationMs: result.durationMs, output };
}

/**
 * Runners name a file that fails to load by its absolute path, and the two sides run in different
 * directories: without this, an already-broken file would look like a new failure after the change.
 */
function relativeIds(tests: Record<string, TestOutcome>, dir: string): Record<string, TestOutcome> {
  const prefixes = [...new Set([path.resolve(dir), safeRealpath(dir)])].map((p) => `${p}${path.sep}`);
  const relative: Record<string, TestOutcome> = {};
  for (const [id, outcome] of Object.entries(tests)) {
    const cleaned = prefixes.reduce((text, prefix) => text.split(prefix).join(""), id);
    recordOutcome(relative, cleaned, outcome);
  }
  return relative;
}

function safeRealpath(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

export async function runSide(options: SideOptions): Promise<SideRun> {
  const sideDir = path.join(options.scratchDir, options.side);
  await mkdir(path.join(sideDir, "home"), { recursive: true });
  await mkdir(path.join(sideDir, "tmp"), { recursive: true });
  // No passEnv: the repository's commands get the fixed base environment and nothing of the operator's.
  const { env } = buildAgentEnv({
    passEnv: [],
    operatorAllowed: [],
    home: path.join(sideDir, "home"),
    tmp: path.join(sideDir, "tmp"),
    extraPathDirs: options.toolchain?.pathDirs ?? [],
  });
  // Commands run in the spawn, and what they leave there could surface in a later attempt's delta:
  // keep Python from writing __pycache__ next to the sources.
  env.PYTHONDONTWRITEBYTECODE = "1";
  for (const [name, value] of Object.entries(options.toolchain?.env ?? {})) {
    // The base (PATH, HOME, TMPDIR...) stays the gate's own; a toolchain only adds.
    if (env[name] === undefined) env[name] = value;
  }

  for (const [index, command] of options.setup.entries()) {
    throwIfAborted(options.signal);
    const run = await runOne(options, command, setupTimeoutMs, path.join(sideDir, `setup-${index}.log`), env);
    if (run.exitCode !== 0 || run.timedOut) {
      return { setupFailure: { command, exitCode: run.exitCode, timedOut: run.timedOut, outputTail: run.output.slice(-outputTailChars) }, commands: [] };
    }
  }

  const commands: CommandOutcome[] = [];
  for (const [index, spec] of options.commands.entries()) {
    throwIfAborted(options.signal);
    const injectedReport = spec.injectJunitArgs ? path.join(sideDir, `report-${index}.xml`) : undefined;
    const configuredReport = spec.junit ? path.resolve(options.dir, spec.junit) : undefined;
    if (injectedReport) await rm(injectedReport, { force: true });
    const reportBefore = configuredReport ? await mtimeOf(configuredReport) : undefined;
    const line = injectedReport ? `${spec.run} ${(spec.injectJunitArgs as string).replace("{report}", quote(injectedReport))}` : spec.run;
    const run = await runOne(options, line, spec.timeoutMs, path.join(sideDir, `command-${index}.log`), env);
    const outcome: CommandOutcome = {
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      durationMs: run.durationMs,
      outputTail: run.output.slice(-outputTailChars),
    };
    const report = injectedReport ?? configuredReport;
    let parsedFrom = "";
    if (report) {
      // A report left over from an earlier run (or committed to the repository) proves nothing about this one.
      const reportAfter = await mtimeOf(report);
      if (reportAfter !== undefined && reportAfter !== reportBefore) {
        const junit = parseJunitXml(await readOutput(report));
        if (junit) [outcome.tests, parsedFrom] = [junit.tests, "JUnit XML"];
        // A report the run created in the spawn is the gate's by-product, not part of anybody's change.
        if (configuredReport && reportBefore === undefined) await rm(configuredReport, { force: true });
      }
    }
    if (!outcome.tests) {
      const parsed = parseTestOutput(run.output);
      if (parsed) [outcome.tests, parsedFrom] = [parsed.tests, parsed.format];
    }
    if (outcome.tests) outcome.tests = relativeIds(outcome.tests, options.dir);
    outcome.testsNote = outcome.tests
      ? `per-test results read from ${parsedFrom}`
      : report
        ? `no JUnit report was written at ${spec.junit ?? "the injected path"} and the output names no tests: whole-command result used`
        : "per-test results could not be read from the output (no known format): whole-command result used";
    commands.push(outcome);
  }
  return { commands };
}
