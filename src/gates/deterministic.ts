// The deterministic gate: built-in checks on the delta, then the repository's own commands after the
// agent and on the baseline, so only what the agent turned red blocks the change.
import { mkdir } from "node:fs/promises";
import type { AutofixConfig } from "../config/index.js";
import { isAutofixError } from "../errors.js";
import type { Sandbox } from "../sandbox/index.js";
import type { Baseline, Delta } from "../engine/index.js";
import { baselineCacheKey, type BaselineResultCache, type BaselineRun } from "./baselineCache.js";
import { runBuiltinChecks, type Violation } from "./builtinChecks.js";
import { commandBlocks, describeCannotRun, judgeCommand } from "./commandStatus.js";
import { configuredCommands, detectCommands, detectionSources, type CommandSpec } from "./detect.js";
import { runSide, type Toolchain } from "./runCommands.js";
import type { LayerWriter } from "./workCopy.js";
import { collectTestFlags } from "./rules/index.js";
import type { CommandReport, GateResult, TestFlag } from "./types.js";
import { reporterArgsFor } from "./testresults/inject.js";

export { createBaselineCache, createMemoryBaselineCache, type BaselineResultCache, type BaselineRun } from "./baselineCache.js";
export { detectCommands, type CommandSpec } from "./detect.js";
export type { Toolchain } from "./runCommands.js";

export const noChecksNote = "no checks ran: no test command configured or detected";

export interface DeterministicGateInput {
  delta: Delta;
  baseline: Baseline;
  spawnDir: string;
  /** A directory holding the baseline checkout, materialized on demand by the caller. */
  baselineDir: () => Promise<string>;
  /**
   * Writes the layer that turns the spawn back into its base commit. Where commands get overlay views, the
   * base side runs on the spawn under this layer and `baselineDir` (a whole second checkout) is not needed.
   */
  baseLayer?: LayerWriter;
  config: AutofixConfig;
  sandbox: Sandbox;
  guardViolations: Violation[];
  cache: BaselineResultCache;
  signal?: AbortSignal;
  scratchDir: string;
  /** Operator toolchains outside /usr (pyenv, rustup...) the repository's commands need; optional. */
  toolchain?: Toolchain;
}

function describeCommand(report: CommandReport): string {
  const tests = report.tests;
  const named = [
    ...(tests?.regressed ?? []).map((t) => `${t} (passed on the base, fails now)`),
    ...(tests?.missing ?? []).map((t) => `${t} (ran on the base, missing or skipped now)`),
  ];
  const head = `\`${report.command}\` ${report.status}`;
  if (report.status === "timeout") return `${head}: it ran past its time limit after the change, not on the base.`;
  if (named.length > 0) return `${head}: ${named.join("; ")}.`;
  return `${head}: exit code ${report.exitCode} after the change, green on the base.`;
}

async function selectCommands(input: DeterministicGateInput): Promise<{ specs: CommandSpec[]; detected: boolean }> {
  // An explicit list, even an empty one, is the maintainers' choice; only an absent list means "detect".
  const configured = input.config.gates.deterministic.commands;
  if (configured) {
    // Configured commands of known runners report per test too, so a test gone missing is seen there as well.
    const specs = configuredCommands(configured).map((spec) => {
      const args = spec.junit || spec.injectJunitArgs ? undefined : reporterArgsFor(spec.run);
      return args ? { ...spec, injectJunitArgs: args } : spec;
    });
    return { specs, detected: false };
  }
  // Detected from the spawn, so a test command the agent adds runs too. When the delta touches a file
  // detection reads, the base's commands are added as well: deleting package.json or go.mod must not
  // make the checks disappear (the base's command then fails after the change and counts as regressed).
  const specs = await detectCommands(input.spawnDir);
  if (input.delta.files.some((f) => detectionSources.has(f.path))) {
    const known = new Set(specs.map((s) => s.run));
    for (const spec of await detectCommands(await input.baselineDir())) if (!known.has(spec.run)) specs.push(spec);
  }
  return { specs, detected: true };
}

const proseOrTemplate =
  /\.(?:md|mdx|markdown|rst|txt|adoc)$|(^|\/)(?:LICENSE|CODEOWNERS|AUTHORS|NOTICE)[^/]*$|^\.github\/(?:ISSUE_TEMPLATE|PULL_REQUEST_TEMPLATE|DISCUSSION_TEMPLATE)|^\.github\/FUNDING\.ya?ml$|^docs\//i;

function touchesOnlyProse(delta: Delta): boolean {
  return delta.files.length > 0 && delta.files.every((f) => proseOrTemplate.test(f.path));
}

/** "Expected values only" is sharper when the tests it names went from red to green: say which. */
function withFixedTests(flags: TestFlag[], commands: CommandReport[]): TestFlag[] {
  const fixed = commands.flatMap((c) => c.tests?.fixed ?? []);
  // The commands read every test and none went red → green: a test-only change that fixed nothing is no signal.
  if (fixed.length === 0 && commands.length > 0 && commands.every((c) => c.tests?.parsed && c.status !== "fixed")) {
    return flags.filter((flag) => flag.code !== "EXPECTED_VALUES_ONLY");
  }
  if (fixed.length === 0) return flags;
  return flags.map((flag) =>
    flag.code === "EXPECTED_VALUES_ONLY" ? { ...flag, message: `${flag.message} Red on the base, green now: ${fixed.join(", ")}.` } : flag,
  );
}

/** The base side on the spawn under the base layer where overlays allow, else on a second checkout. */
async function runBaseSide(input: DeterministicGateInput, common: Omit<Parameters<typeof runSide>[0], "side" | "dir">, notes: string[]) {
  if (input.baseLayer && input.sandbox.description.commandView === "overlay") {
    try {
      return await runSide({ ...common, side: "baseline", dir: input.spawnDir, layer: input.baseLayer });
    } catch (err) {
      if (input.signal?.aborted) throw err;
      notes.push(`the base side could not be layered over the spawn (${(err as Error).message}); it ran on a separate checkout of the base commit`);
    }
  }
  return runSide({ ...common, side: "baseline", dir: await input.baselineDir() });
}

export async function runDeterministicGate(input: DeterministicGateInput): Promise<GateResult> {
  const started = Date.now();
  try {
    return await judgeDelta(input, started);
  } catch (err) {
    // A cancelled job is not a verdict; anything else that stopped the checks is an error, never a pass.
    if (input.signal?.aborted || (isAutofixError(err) && err.code === "JOB_CANCELLED")) throw err;
    const why = isAutofixError(err) ? `${err.explanation.what} ${err.explanation.why} ${err.explanation.next}` : String((err as Error)?.message ?? err);
    return {
      gate: "deterministic",
      status: "error",
      summary: "The repository's checks could not be run.",
      reasons: [why],
      durationMs: Date.now() - started,
    };
  }
}

async function judgeDelta(input: DeterministicGateInput, started: number): Promise<GateResult> {
  const settings = input.config.gates.deterministic;
  const notes: string[] = [];
  if (input.sandbox.isolation === "process") {
    notes.push(`commands ran without OS isolation: ${input.sandbox.fallbackReason ?? "the sandbox is in process mode"}`);
  }
  // Signals for the judges ride on every outcome, pass or fail: a reviewer reads them either way.
  const flags = collectTestFlags(input.delta, Object.keys(input.baseline.files));
  const done = (result: Omit<GateResult, "gate" | "durationMs">): GateResult => ({
    gate: "deterministic",
    durationMs: Date.now() - started,
    ...result,
    ...(notes.length > 0 || result.notes ? { notes: [...(result.notes ?? []), ...notes] } : {}),
    ...(flags.length > 0 ? { testFlags: withFixedTests(flags, result.commands ?? []) } : {}),
  });

  const violations = runBuiltinChecks(input.delta, input.config, input.guardViolations);
  if (violations.length > 0) {
    // Commands are not run: the change is refused whatever they say, and they are the slow part.
    return done({
      status: "fail",
      summary: `Blocked by ${violations.length} built-in check(s): ${[...new Set(violations.map((v) => v.code))].join(", ")}.`,
      reasons: violations.map((v) => v.message),
      notes: ["the repository's commands were not run because built-in checks already block this change"],
    });
  }

  const { specs, detected } = await selectCommands(input);
  if (specs.length === 0) {
    // Status stays "pass": the built-in checks did pass, and refusing every repository without tests
    // would make the bot useless there. It must never read like a tested pass, so the summary leads
    // with the fact and the note carries it to every renderer; the judges and the human still decide.
    return done({
      status: "pass",
      summary: `No checks ran: no test command configured or detected. Only the built-in checks passed.`,
      reasons: [],
      commands: [],
      notes: [noChecksNote],
    });
  }
  if (detected) {
    for (const spec of specs) notes.push(`detected \`${spec.run}\` from ${spec.detectedFrom}`);
  }

  await mkdir(input.scratchDir, { recursive: true });
  const common = {
    setup: settings.setup,
    commands: specs,
    sandbox: input.sandbox,
    network: settings.network,
    allowHosts: settings.allowHosts,
    scratchDir: input.scratchDir,
    signal: input.signal,
    toolchain: input.toolchain,
    mounts: input.config.sandbox.mounts,
  };
  // Each side runs on its own copy-on-write view: nothing the commands write reaches the spawn or the base.
  const after = await runSide({ ...common, side: "after", dir: input.spawnDir });
  if (after.refusedConnections)
    notes.push(`network allow: the egress proxy refused ${after.refusedConnections.join(", ")} (not in gates.deterministic.allowHosts)`);
  if (after.setupFailure) {
    const failure = after.setupFailure;
    return done({
      status: "error",
      summary: `Setup command \`${failure.command}\` failed after the change, so the checks could not run.`,
      reasons: [`\`${failure.command}\` ${failure.timedOut ? "timed out" : `exited with ${failure.exitCode}`}: ${failure.outputTail.slice(-800)}`],
    });
  }

  const key = baselineCacheKey({
    baseSha: input.baseline.baseSha,
    setup: settings.setup,
    commands: specs.map((s) => s.run),
    network: settings.network === "allow" ? `allow ${settings.allowHosts.join(",")}` : settings.network,
    toolchain: JSON.stringify([input.toolchain ?? null, input.sandbox.description, input.config.sandbox.mounts]),
  });
  let baseline: BaselineRun | undefined = await input.cache.get(key);
  if (baseline) notes.push(`baseline results reused from an earlier run on ${input.baseline.baseSha.slice(0, 12)}`);
  else {
    const side = await runBaseSide(input, common, notes);
    if (side.setupFailure) {
      const failure = side.setupFailure;
      return done({
        status: "error",
        summary: `Setup command \`${failure.command}\` failed on the base commit, so regressions cannot be told apart.`,
        reasons: [
          `\`${failure.command}\` ${failure.timedOut ? "timed out" : `exited with ${failure.exitCode}`} on the base: ${failure.outputTail.slice(-800)}`,
        ],
      });
    }
    baseline = { commands: side.commands, recordedAt: new Date().toISOString() };
    // A timeout may be the machine's load, not the commit, and a run that could not start proves nothing:
    // caching either would excuse later regressions. The base side ran on a fresh view of the base commit's tree.
    if (!side.commands.some((c) => c.timedOut || c.cannotRun || c.memoryExceeded)) await input.cache.set(key, baseline);
  }

  const reports = specs.map((spec, index) => judgeCommand(spec, baseline.commands[index], after.commands[index] as (typeof after.commands)[number]));
  const unrunnable = reports.filter((r) => r.cannotRun);
  if (unrunnable.length > 0) {
    return done({
      status: "error",
      summary: `No checks ran: ${unrunnable.map((r) => `\`${r.command}\` (${r.cannotRun!.reason})`).join("; ")}.`,
      reasons: unrunnable.map(describeCannotRun),
      commands: reports,
    });
  }
  for (const report of reports) {
    if (report.tests && !report.tests.parsed && report.tests.note) notes.push(`${report.command}: ${report.tests.note}`);
    if (report.status === "already-red" && !report.tests?.parsed) {
      notes.push(
        `\`${report.command}\` fails on the base commit too (exit ${report.exitCode}) and names no tests: it cannot tell whether this change breaks anything`,
      );
    }
  }
  const blocking = reports.filter(commandBlocks);
  const fixed = reports.flatMap((r) => r.tests?.fixed ?? []);
  const alreadyRed = reports.filter((r) => r.status === "already-red");
  if (blocking.length > 0) {
    return done({
      status: "fail",
      summary: `Blocked: ${blocking.length} of ${reports.length} command(s) regressed against the base commit.`,
      reasons: blocking.map(describeCommand),
      commands: reports,
    });
  }
  if (alreadyRed.length > 0 && touchesOnlyProse(input.delta)) {
    notes.push(
      `the checks were already red on the base (${alreadyRed.map((r) => `\`${r.command}\``).join(", ")}); this change touches no code, test or check configuration, so it cannot have caused that`,
    );
  }
  const extras = [fixed.length > 0 ? `fixed: ${fixed.join(", ")}` : "", alreadyRed.length > 0 ? `${alreadyRed.length} already red on the base` : ""].filter(
    Boolean,
  );
  return done({
    status: "pass",
    summary: `Passed: built-in checks and ${reports.length} command(s), no regression against the base${extras.length ? ` (${extras.join("; ")})` : ""}.`,
    reasons: [],
    commands: reports,
  });
}
