// Runs setup and check commands on one side (baseline or after) through the sandbox, keeping the whole
// output in a scratch file so per-test results can be read from it, not only from the tail.
import { constants, realpathSync } from "node:fs";
import { lstat, mkdir, open, rm } from "node:fs/promises";
import path from "node:path";
import { buildAgentEnv } from "../agents/index.js";
import { throwIfAborted } from "../errors.js";
import { formatMemory, type Sandbox } from "../sandbox/index.js";
import { closeCommandView, openCommandView, type CommandView, type LayerWriter } from "./workCopy.js";
import type { CommandOutcome } from "./baselineCache.js";
import type { CommandSpec } from "./detect.js";
import { parseJunitXml, parseTestOutput } from "./testresults/index.js";
import { recordOutcome, type TestOutcome } from "./testresults/types.js";
import { cannotRun } from "./commandStatus.js";
import { isWithin } from "../sandbox/index.js";

const setupTimeoutMs = 15 * 60_000;
const outputTailChars = 4_000;
const maxParsedBytes = 32 * 1024 * 1024;

export interface SideRun {
  /** Set when a setup command failed: the checks did not run, and the gate reports error. */
  setupFailure?: { command: string; exitCode: number | null; timedOut: boolean; outputTail: string };
  commands: CommandOutcome[];
  /** "host:port" the egress proxy refused during this side's runs (network "allow"). */
  refusedConnections?: string[];
}

export interface SideOptions {
  side: "baseline" | "after";
  /** The directory the commands judge (the spawn, or the baseline checkout); never written: they get a view. */
  dir: string;
  setup: string[];
  commands: CommandSpec[];
  sandbox: Sandbox;
  network: "open" | "none" | "allow";
  /** With network "allow": the hosts the egress proxy lets through. */
  allowHosts?: string[];
  scratchDir: string;
  signal?: AbortSignal;
  toolchain?: Toolchain;
  /** The repository's `sandbox.mounts`. */
  mounts?: string[];
  /** Force a copy instead of an overlay view (benchmarks). */
  viewMode?: "auto" | "copy";
  /** Run on `dir` as this layer turns it (the base side on the spawn itself); overlay views only. */
  layer?: LayerWriter;
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

/**
 * The last maxParsedBytes of a file the sandboxed command could have replaced: opened without following a
 * link, and only if it is a regular file (a link to a host file, or to /dev/zero, reads as nothing).
 */
async function readOutput(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return "";
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return "";
    const length = Math.min(info.size, maxParsedBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, info.size - length);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

async function mtimeOf(file: string): Promise<number | undefined> {
  try {
    const info = await lstat(file);
    return info.isFile() ? info.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

interface OneRun {
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  output: string;
  memoryExceeded?: boolean;
}

async function runOne(
  options: SideOptions,
  view: CommandView,
  sideDir: string,
  command: string,
  timeoutMs: number,
  logFile: string,
  env: Record<string, string>,
  refusedConnections: string[],
): Promise<OneRun> {
  await rm(logFile, { force: true });
  const result = await options.sandbox.run({
    // The braces keep compound commands (`a && b`) together; the file keeps all the output.
    argv: ["/bin/sh", "-c", `{ ${command}\n} > ${quote(logFile)} 2>&1`],
    cwd: view.dir,
    ...(view.view ? { view: view.view } : {}),
    env,
    timeoutMs,
    network: options.network === "allow" ? "none" : options.network,
    ...(options.network === "allow" ? { allowHosts: options.allowHosts ?? [] } : {}),
    // Only this side's own scratch: the other side's HOME, TMPDIR and view stay out of reach.
    writablePaths: [sideDir],
    readOnlyPaths: options.toolchain?.readOnlyPaths ?? [],
    ...(options.mounts && options.mounts.length > 0 ? { mounts: options.mounts } : {}),
    signal: options.signal,
  });
  if (result.cancelled) throwIfAborted(options.signal);
  let output = await readOutput(logFile);
  if (result.memoryExceeded)
    output += `\nautofix: the command used more than ${formatMemory(options.sandbox.description.memory.maxBytes)} of memory and was stopped.\n`;
  for (const target of result.refusedConnections ?? []) {
    output += `\nautofix: the egress proxy refused a connection to ${target}: it is not in gates.deterministic.allowHosts.\n`;
    if (!refusedConnections.includes(target)) refusedConnections.push(target);
  }
  for (const refused of result.refusedMounts ?? []) output = `autofix: sandbox.mounts ${refused.path} was not shown: ${refused.reason}\n${output}`;
  return {
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    output,
    ...(result.memoryExceeded ? { memoryExceeded: true } : {}),
  };
}

/**
 * Runners name a file that fails to load by its absolute path, and the two sides run in different
 * directories: without this, an already-broken file would look like a new failure after the change.
 */
function relativeIds(tests: Record<string, TestOutcome>, ...dirs: string[]): Record<string, TestOutcome> {
  const prefixes = [...new Set(dirs.flatMap((dir) => [path.resolve(dir), safeRealpath(dir)]))].map((p) => `${p}${path.sep}`);
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
  // Fresh for every run of a side: nothing an earlier run (the other side, an earlier attempt) left in this
  // HOME, TMPDIR or view can change what this run sees.
  const sideDir = path.join(options.scratchDir, options.side);
  await rm(sideDir, { recursive: true, force: true });
  await mkdir(path.join(sideDir, "home"), { recursive: true });
  await mkdir(path.join(sideDir, "tmp"), { recursive: true });
  const view = await openCommandView(options.sandbox, options.dir, sideDir, options.viewMode, options.layer);
  const refusedConnections: string[] = [];
  try {
    const run = await runCommandsIn(options, view, sideDir, refusedConnections);
    return refusedConnections.length > 0 ? { ...run, refusedConnections } : run;
  } finally {
    await closeCommandView(view);
  }
}

async function runCommandsIn(options: SideOptions, view: CommandView, sideDir: string, refusedConnections: string[]): Promise<SideRun> {
  // No passEnv: the repository's commands get the fixed base environment and nothing of the operator's.
  const { env } = buildAgentEnv({
    passEnv: [],
    operatorAllowed: [],
    home: path.join(sideDir, "home"),
    tmp: path.join(sideDir, "tmp"),
    extraPathDirs: options.toolchain?.pathDirs ?? [],
  });
  // What commands leave in their view never reaches a delta; this only keeps the view small.
  env.PYTHONDONTWRITEBYTECODE = "1";
  for (const [name, value] of Object.entries(options.toolchain?.env ?? {})) {
    // The base (PATH, HOME, TMPDIR...) stays the gate's own; a toolchain only adds.
    if (env[name] === undefined) env[name] = value;
  }

  for (const [index, command] of options.setup.entries()) {
    throwIfAborted(options.signal);
    const run = await runOne(options, view, sideDir, command, setupTimeoutMs, path.join(sideDir, `setup-${index}.log`), env, refusedConnections);
    if (run.exitCode !== 0 || run.timedOut) {
      return { setupFailure: { command, exitCode: run.exitCode, timedOut: run.timedOut, outputTail: run.output.slice(-outputTailChars) }, commands: [] };
    }
  }

  const commands: CommandOutcome[] = [];
  for (const [index, spec] of options.commands.entries()) {
    throwIfAborted(options.signal);
    const injectedReport = spec.injectJunitArgs ? path.join(sideDir, `report-${index}.xml`) : undefined;
    // A configured report is read where the command's writes land: the overlay's upper layer or the copy.
    const configuredReport = spec.junit ? path.resolve(view.writtenRoot, spec.junit) : undefined;
    if (configuredReport && !isWithin(configuredReport, view.writtenRoot)) throw new Error(`the JUnit report path ${spec.junit} leaves the repository`);
    if (injectedReport) await rm(injectedReport, { force: true });
    const reportBefore = configuredReport ? await mtimeOf(configuredReport) : undefined;
    const line = injectedReport ? `${spec.run} ${(spec.injectJunitArgs as string).replace("{report}", quote(injectedReport))}` : spec.run;
    const run = await runOne(options, view, sideDir, line, spec.timeoutMs, path.join(sideDir, `command-${index}.log`), env, refusedConnections);
    const outcome: CommandOutcome = {
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      durationMs: run.durationMs,
      outputTail: run.output.slice(-outputTailChars),
      ...(run.memoryExceeded ? { memoryExceeded: true } : {}),
    };
    const report = injectedReport ?? configuredReport;
    let parsedFrom = "";
    if (report) {
      // A report left over from an earlier run (or committed to the repository) proves nothing about this one.
      const reportAfter = await mtimeOf(report);
      if (reportAfter !== undefined && reportAfter !== reportBefore) {
        const junit = parseJunitXml(await readOutput(report));
        if (junit) [outcome.tests, parsedFrom] = [junit.tests, "JUnit XML"];
      }
    }
    if (!outcome.tests) {
      const parsed = parseTestOutput(run.output);
      if (parsed) [outcome.tests, parsedFrom] = [parsed.tests, parsed.format];
    }
    if (outcome.tests) outcome.tests = relativeIds(outcome.tests, options.dir, view.dir);
    outcome.testsNote = outcome.tests
      ? `per-test results read from ${parsedFrom}`
      : report
        ? `no JUnit report was written at ${spec.junit ?? "the injected path"} and the output names no tests: whole-command result used`
        : "per-test results could not be read from the output (no known format): whole-command result used";
    const unrunnable = cannotRun(spec, outcome, run.output);
    if (unrunnable) outcome.cannotRun = unrunnable;
    commands.push(outcome);
  }
  return { commands };
}
