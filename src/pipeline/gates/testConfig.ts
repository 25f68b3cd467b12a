// Test-config tamper checks: coverage thresholds lowered, strictness flags dropped, failure swallowed,
// the test script rewritten. Line-based on the patch, limited to files that configure test runs.
import type { Delta } from "../types.js";
import { changeLines, isCommentLine } from "./patchLines.js";
import type { Violation } from "./tamper.js";

const configFile =
  /(^|\/)(package\.json|pyproject\.toml|setup\.cfg|tox\.ini|pytest\.ini|conftest\.py|\.coveragerc|\.nycrc(\.\w+)?|codecov\.ya?ml|\.codecov\.ya?ml|Makefile|justfile|Cargo\.toml|\.mocharc(\.\w+)?|karma\.conf\.\w+|phpunit\.xml(\.dist)?|[^/]*\.config\.[cm]?[jt]s|[^/]*\.ya?ml)$/;

const thresholdKey =
  /["']?\b(branches|functions|lines|statements|fail_under|fail-under|cov-fail-under|coverageThreshold|threshold|minimum_coverage|min_coverage|minimumCoverage|target)\b["']?\s*[:=]?\s*["']?(\d+(?:\.\d+)?)/g;

const failureSwallowed = [
  { label: "passWithNoTests", pattern: /passWithNoTests/ },
  { label: "`|| true` / `|| exit 0`", pattern: /\|\|\s*(true|exit 0|:)\b/ },
  { label: "continue-on-error / allow_failure", pattern: /continue-on-error:\s*true|allow_failure:\s*true/ },
  { label: "tests excluded from the run", pattern: /testPathIgnorePatterns|collect_ignore|--deselect\b|--ignore[= ]\S*test|exclude\s*[:=].*test/i },
  { label: "--exit-zero", pattern: /--exit-zero\b/ },
];

const strictnessFlags = [
  "--bail",
  "--forbid-only",
  "--strict-markers",
  "--strict",
  "-W error",
  "-Werror",
  "--max-warnings",
  "--cov-fail-under",
  "--fail-on-warnings",
  "-D warnings",
  "failOnWarning",
  "failOnConsoleError",
  "checkCoverage",
  "check-coverage",
];

function thresholds(lines: string[]): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of lines) {
    if (isCommentLine(line)) continue;
    for (const match of line.matchAll(thresholdKey)) {
      const key = (match[1] as string).toLowerCase();
      const value = Number(match[2]);
      values.set(key, Math.min(values.get(key) ?? Infinity, value));
    }
  }
  return values;
}

export function checkTestConfig(delta: Delta): Violation[] {
  const violations: Violation[] = [];
  for (const change of delta.files) {
    if (change.binary || !configFile.test(change.path)) continue;
    const { added, removed } = changeLines(change);
    const before = thresholds(removed);
    const after = thresholds(added);
    for (const [key, old] of before) {
      const now = after.get(key);
      if (now === undefined || now < old) {
        violations.push({
          code: "COVERAGE_LOWERED",
          message: `${change.path}: the ${key} threshold went from ${old} to ${now ?? "nothing"}.`,
          paths: [change.path],
        });
      }
    }
    for (const { label, pattern } of failureSwallowed) {
      const gained = added.filter((l) => pattern.test(l)).length - removed.filter((l) => pattern.test(l)).length;
      if (gained > 0) {
        violations.push({ code: "TEST_CONFIG_WEAKENED", message: `${change.path}: added ${label}, which lets failing checks pass.`, paths: [change.path] });
      }
    }
    for (const flag of strictnessFlags) {
      const dropped = removed.filter((l) => l.includes(flag)).length - added.filter((l) => l.includes(flag)).length;
      if (dropped > 0) {
        violations.push({ code: "TEST_CONFIG_WEAKENED", message: `${change.path}: removed the strictness flag ${flag}.`, paths: [change.path] });
      }
    }
    if (/(^|\/)package\.json$/.test(change.path) && removed.some((l) => /^\s*"test(:[\w:.-]+)?"\s*:/.test(l))) {
      // The test script is what the gate runs; an agent rewriting it grades its own work.
      violations.push({ code: "TEST_SCRIPT_CHANGED", message: `${change.path}: the test script was changed or removed.`, paths: [change.path] });
    }
  }
  return violations;
}
