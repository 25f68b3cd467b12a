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
  /** On the baseline (passed, or failed and so needing a fix), absent or skipped after the agent. */
  missing: string[];
  /** Failed on the baseline, pass after the agent. */
  fixed: string[];
}

const leafOf = (id: string) => id.slice(id.lastIndexOf(" > ") + 3);
const fileOf = (id: string) => id.split(" > ")[0] ?? id;

/**
 * The id a baseline test carries after the change when only its suite path moved (a describe added or
 * removed around it): same file and leaf name, or, failing that, the same leaf name, unique on both sides.
 */
function matchMovedTests(baseline: Record<string, TestOutcome>, after: Record<string, TestOutcome>): Map<string, string> {
  const moved = new Map<string, string>();
  const unmatchedAfter = Object.keys(after).filter((id) => baseline[id] === undefined);
  const unmatchedBase = Object.keys(baseline).filter((id) => after[id] === undefined);
  const unique = <T>(items: T[]) => (items.length === 1 ? items[0] : undefined);
  for (const id of unmatchedBase) {
    const sameFile = unmatchedAfter.filter((other) => leafOf(other) === leafOf(id) && fileOf(other) === fileOf(id));
    const sameLeaf = unmatchedAfter.filter((other) => leafOf(other) === leafOf(id));
    const baseTwins = unmatchedBase.filter((other) => leafOf(other) === leafOf(id));
    const match = unique(sameFile) ?? (baseTwins.length === 1 ? unique(sameLeaf) : undefined);
    if (match && ![...moved.values()].includes(match)) moved.set(id, match);
  }
  return moved;
}

/**
 * A test that became a parent (subtests, `t.Run` tables) or a parametrized family (`test_sub[3-1]`) is
 * still there: its outcome is its children's, the worst of them.
 */
function splitOutcome(id: string, after: Record<string, TestOutcome>): TestOutcome | undefined {
  const children = Object.entries(after).filter(([other]) => other.startsWith(`${id} > `) || other.startsWith(`${id}[`));
  if (children.length === 0) return undefined;
  if (children.some(([, outcome]) => outcome === "fail")) return "fail";
  return children.every(([, outcome]) => outcome === "skip") ? "skip" : "pass";
}

export function compareTestResults(baseline: Record<string, TestOutcome>, after: Record<string, TestOutcome>): TestComparison {
  const comparison: TestComparison = { regressed: [], missing: [], fixed: [] };
  const moved = matchMovedTests(baseline, after);
  for (const [id, before] of Object.entries(baseline)) {
    const now = after[id] ?? after[moved.get(id) ?? ""] ?? splitOutcome(id, after);
    if (before === "pass" && now === "fail") comparison.regressed.push(id);
    // A test red on the base must end green: skipped, todo or gone is not a fix.
    else if (before !== "skip" && (now === undefined || now === "skip")) comparison.missing.push(id);
    else if (before === "fail" && now === "pass") comparison.fixed.push(id);
  }
  const movedTo = new Set(moved.values());
  // A test the agent added that fails is as blocking as a broken one: the fix leaves the suite redder.
  for (const [id, now] of Object.entries(after)) {
    const grownFrom = Object.keys(baseline).some((base) => id.startsWith(`${base} > `) || id.startsWith(`${base}[`));
    if (now === "fail" && baseline[id] === undefined && !movedTo.has(id) && !grownFrom) comparison.regressed.push(id);
  }
  for (const list of Object.values(comparison)) list.sort();
  return comparison;
}
