// Regression semantics: a command's status after the agent, judged against the same command on the baseline,
// test by test where both sides' results could be read.
import type { CommandReport } from "./types.js";
import type { CommandOutcome } from "./baselineCache.js";
import type { CommandSpec } from "./detect.js";
import { compareTestResults } from "./testresults/index.js";

const isRed = (outcome: CommandOutcome) => outcome.exitCode !== 0 || outcome.timedOut;

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
    const note = after.tests ? after.testsNote : "after the change the command's results name no tests, so every test that passed on the base counts as missing";
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
