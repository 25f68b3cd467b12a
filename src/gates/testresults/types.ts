// Per-test outcomes parsed from a command's report or output: the unit of per-test regression.

export type TestOutcome = "pass" | "fail" | "skip";

export type TestResultFormat = "junit" | "tap" | "node-spec" | "go-json" | "cargo";

export interface TestResults {
  format: TestResultFormat;
  /** Test id (suite path joined with " > ") → outcome. Plain record so it can be cached as JSON. */
  tests: Record<string, TestOutcome>;
}

/** Record one outcome; a test reported twice (retries, several reports) keeps its worst outcome. */
export function recordOutcome(tests: Record<string, TestOutcome>, id: string, outcome: TestOutcome): void {
  const previous = tests[id];
  if (previous === "fail") return;
  if (previous === "pass" && outcome === "skip") return;
  tests[id] = outcome;
}

/**
 * Suites are reported like tests by several runners (node's TAP and spec reporters, go subtests); keep
 * only the leaves so a broken test is named once, not once more for every suite around it.
 */
export function keepLeaves(tests: Record<string, TestOutcome>): Record<string, TestOutcome> {
  const ids = Object.keys(tests);
  const leaves: Record<string, TestOutcome> = {};
  for (const id of ids) {
    const isParent = ids.some((other) => other !== id && other.startsWith(`${id} > `));
    if (!isParent) leaves[id] = tests[id] as TestOutcome;
  }
  return leaves;
}
