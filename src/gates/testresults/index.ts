// Chooses the parser for a command's results: a JUnit report when there is one, else the output's own format.
import { parseCargoTest } from "./cargo.js";
import { parseGoTestJson } from "./goTest.js";
import { parseJunitXml } from "./junit.js";
import { parseNodeSpec } from "./nodeSpec.js";
import { parseTap } from "./tap.js";
import type { TestOutcome, TestResults } from "./types.js";

export type { TestOutcome, TestResults } from "./types.js";
export { parseJunitXml, parseTap, parseNodeSpec, parseGoTestJson, parseCargoTest };

/** Recognizes the format from the output itself; undefined when no known format holds any test. */
export function parseTestOutput(output: string): TestResults | undefined {
  if (/^\{.*"Action"\s*:/m.test(output)) {
    const go = parseGoTestJson(output);
    if (go) return go;
  }
  if (/^running \d+ tests?$/m.test(output)) {
    const cargo = parseCargoTest(output);
    if (cargo) return cargo;
  }
  if (/^TAP version \d+/m.test(output) || /^\s*(not )?ok \d+ /m.test(output)) {
    const tap = parseTap(output);
    if (tap) return tap;
  }
  return parseNodeSpec(output);
}

export interface TestComparison {
  /** Passed on the baseline (or did not exist there), fail after the agent. */
  regressed: string[];
  /** Passed on the baseline, absent or skipped after the agent. */
  missing: string[];
  /** Failed on the baseline, pass after the agent. */
  fixed: string[];
}

export function compareTestResults(
  baseline: Record<string, TestOutcome>,
  after: Record<string, TestOutcome>,
): TestComparison {
  const comparison: TestComparison = { regressed: [], missing: [], fixed: [] };
  for (const [id, before] of Object.entries(baseline)) {
    const now = after[id];
    if (before === "pass" && now === "fail") comparison.regressed.push(id);
    else if (before === "pass" && (now === undefined || now === "skip")) comparison.missing.push(id);
    else if (before === "fail" && now === "pass") comparison.fixed.push(id);
  }
  // A test the agent added that fails is as blocking as a broken one: the fix leaves the suite redder.
  for (const [id, now] of Object.entries(after)) {
    if (now === "fail" && baseline[id] === undefined) comparison.regressed.push(id);
  }
  for (const list of Object.values(comparison)) list.sort();
  return comparison;
}
