// Reads the spec reporter of `node --test` (its default on a terminal, and on every stream from Node 23).
import { keepLeaves, recordOutcome, type TestOutcome, type TestResults } from "./types.js";

const testLine = /^(\s*)([✔✖﹣▶])\s+(.*?)(?:\s+\([\d.]+m?s\))?(\s+#\s*(SKIP|TODO)\b.*)?$/u;

export function parseNodeSpec(output: string): TestResults | undefined {
  const tests: Record<string, TestOutcome> = {};
  const suites = new Map<number, string>();
  let found = 0;
  for (const line of output.split(/\r?\n/)) {
    // The reporter repeats every failure after this heading; counting them twice would misname parents.
    if (/^\s*✖ failing tests:/u.test(line)) break;
    const match = testLine.exec(line);
    if (!match) continue;
    const indent = (match[1] ?? "").length;
    const marker = match[2];
    const name = (match[3] ?? "").trim();
    if (!name) continue;
    for (const key of [...suites.keys()]) if (key >= indent) suites.delete(key);
    if (marker === "▶") {
      suites.set(indent, name);
      continue;
    }
    const parents = [...suites.entries()].sort(([a], [b]) => a - b).map(([, suite]) => suite);
    const outcome: TestOutcome = match[5] || marker === "﹣" ? "skip" : marker === "✔" ? "pass" : "fail";
    found += 1;
    recordOutcome(tests, [...parents, name].join(" > "), outcome);
  }
  return found > 0 ? { format: "node-spec", tests: keepLeaves(tests) } : undefined;
}
