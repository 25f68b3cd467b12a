// Regression semantics: a command's status after the agent, judged against the same command on the baseline,
// test by test where both sides' results could be read.
import type { CommandReport } from "./types.js";
import type { CommandOutcome } from "./baselineCache.js";
import type { CommandSpec } from "./detect.js";
import { compareTestResults } from "./testresults/index.js";

const isRed = (outcome: CommandOutcome) => outcome.exitCode !== 0 || outcome.timedOut;

const mountHint =
  "the sandbox shows the directories of autofix's own PATH (with version-manager roots such as ~/.pyenv or ~/.cargo), AUTOFIX_SANDBOX_MOUNTS and the repository's sandbox.mounts; `autofix doctor` lists them";

/** Runners whose output names tests: red with no test named means they never got to run any. */
function reportsTests(spec: CommandSpec): boolean {
  return Boolean(spec.junit || spec.injectJunitArgs) || /\b(pytest|go test|cargo test|vitest|jest|mocha|nextest|tox|nox)\b/.test(spec.run);
}

/** The module a `python -m X` command runs, so "No module named X" is told from a failing import inside a test. */
function moduleOf(run: string): string | undefined {
  return /(?:^|\s)-m\s+([\w.]+)/.exec(run)?.[1];
}

/**
 * Why a command's run proves nothing, or undefined when it ran: its program or interpreter missing
 * (exit 127), not executable (126), the module it runs missing, or a test runner that reported no test
 * while failing. Such a run must never count as "already red on the base".
 */
export function cannotRun(spec: CommandSpec, outcome: CommandOutcome, output: string): CommandOutcome["cannotRun"] {
  if (outcome.timedOut) return undefined;
  if (outcome.memoryExceeded) {
    const line = /autofix: the command (used more than [^\n]+ and was stopped)/.exec(output)?.[1] ?? "used more memory than the sandbox allows and was stopped";
    return { reason: line, hint: "raise AUTOFIX_SANDBOX_MEMORY_MB if the checks really need more, or make them use less" };
  }
  if (outcome.exitCode === 127) {
    const missing = /(?:^|\n)(?:\/bin\/sh: (?:\d+: )?)?([^\s:]+): (?:command )?not found/.exec(output)?.[1];
    return {
      reason: missing ? `${missing}: not found (exit 127)` : "a program it runs was not found (exit 127)",
      hint: `install ${missing ? `\`${missing}\`` : "it"} where the sandbox can see it: ${mountHint}`,
    };
  }
  if (outcome.exitCode === 126)
    return {
      reason: "a program it runs is not executable (exit 126)",
      hint: `check the program's permissions and that its interpreter is visible: ${mountHint}`,
    };
  const module = moduleOf(spec.run);
  const missingModule = /No module named '?([\w.]+)'?/.exec(output)?.[1];
  if (module && missingModule && (missingModule === module || module.startsWith(`${missingModule}.`))) {
    return {
      reason: `No module named ${missingModule}`,
      hint: `install ${missingModule} for the interpreter the sandbox runs (\`${spec.run.split(/\s+/)[0]}\` on its PATH), or show one that has it: ${mountHint}`,
    };
  }
  if (isRed(outcome) && reportsTests(spec) && (!outcome.tests || Object.keys(outcome.tests).length === 0)) {
    return {
      reason: `it failed (exit ${outcome.exitCode}) without reporting a single test`,
      hint: `read its output: a missing or wrong-version toolchain is the usual cause; ${mountHint}`,
    };
  }
  return undefined;
}

/** "no checks ran: `python3 -m pytest` (on the base commit) — No module named pytest. Install …" */
export function describeCannotRun(report: CommandReport): string {
  const c = report.cannotRun;
  if (!c) return "";
  const where = c.side === "baseline" ? "on the base commit" : "after the change";
  return `no checks ran: \`${report.command}\` ${where} — ${c.reason}. Next: ${c.hint}.`;
}

export function judgeCommand(spec: CommandSpec, baseline: CommandOutcome | undefined, after: CommandOutcome): CommandReport {
  const report: CommandReport = {
    name: spec.name,
    command: spec.run,
    status: "pass",
    exitCode: after.exitCode,
    durationMs: after.durationMs,
    outputTail: after.outputTail,
    ...(spec.detectedFrom ? { detectedFrom: spec.detectedFrom } : {}),
  };
  if (!baseline) {
    report.status = "error";
    return report;
  }
  // A side that could not run gives nothing to compare: an error, whatever the other side did. The
  // after side's own failure to start after a green base (a deleted script) says the same: nothing ran.
  const unrunnable = baseline.cannotRun
    ? { side: "baseline" as const, ...baseline.cannotRun }
    : after.cannotRun
      ? { side: "after" as const, ...after.cannotRun }
      : undefined;
  const afterMerelyBroke =
    !baseline.cannotRun &&
    after.cannotRun &&
    baseline.tests &&
    Object.keys(baseline.tests).length > 0 &&
    !after.memoryExceeded &&
    after.exitCode !== 127 &&
    after.exitCode !== 126;
  if (unrunnable && !afterMerelyBroke) {
    report.status = "error";
    report.cannotRun = unrunnable;
    return report;
  }
  const afterRed = isRed(after);
  const baseRed = isRed(baseline);
  if (after.timedOut && !baseline.timedOut) {
    report.status = "timeout";
    return report;
  }
  if (baseline.tests) {
    // The base named its tests and the change leaves none to read (a crash, a collection error, a
    // deleted manifest): every test that passed on the base is missing, whatever the exit codes say.
    const comparison = compareTestResults(baseline.tests, after.tests ?? {});
    const note = after.tests
      ? after.testsNote
      : "after the change the command's results name no tests, so every test that passed on the base counts as missing";
    report.tests = { ...comparison, parsed: true, ...(note ? { note } : {}) };
    if (comparison.regressed.length > 0 || comparison.missing.length > 0) report.status = "regressed";
    // Red without a named test (a build error, a lint step after the tests) still went from green to red.
    else if (afterRed) report.status = baseRed ? "already-red" : "regressed";
    else report.status = baseRed ? "fixed" : "pass";
    return report;
  }
  const note = !after.tests ? after.testsNote : "the base commit's per-test results could not be read: whole-command result used";
  report.tests = { regressed: [], fixed: [], missing: [], parsed: false, ...(note ? { note } : {}) };
  if (afterRed) report.status = baseRed ? "already-red" : "regressed";
  else report.status = baseRed ? "fixed" : "pass";
  return report;
}

/** Statuses that block the change. "already-red" does not: the agent did not cause it. */
export function commandBlocks(report: CommandReport): boolean {
  return report.status === "regressed" || report.status === "timeout" || report.status === "fail" || report.status === "error";
}
