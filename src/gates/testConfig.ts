// Test-config tamper checks: coverage thresholds lowered, strictness flags dropped, failure swallowed,
// the test script rewritten. Line-based on the patch, limited to files that configure test runs.
import type { Delta } from "../engine/index.js";
import { changeLines, isCommentLine } from "./patchLines.js";
import type { Violation } from "./tamper.js";

/** Files that configure how tests run or how coverage is enforced (CI files are protected paths besides). */
const configFile =
  /(^|\/)(package\.json|pyproject\.toml|setup\.cfg|tox\.ini|pytest\.ini|conftest\.py|\.coveragerc|\.nycrc(\.\w+)?|\.c8rc(\.\w+)?|codecov\.ya?ml|\.codecov\.ya?ml|Makefile|makefile|GNUmakefile|justfile|Cargo\.toml|tarpaulin\.toml|\.mocharc(\.\w+)?|karma\.conf\.[cm]?[jt]s|phpunit\.xml(\.dist)?|(jest|vitest|vite|karma|playwright|cypress|ava|c8)\.config\.[cm]?[jt]s|\.gitlab-ci\.ya?ml|\.travis\.ya?ml|azure-pipelines\.ya?ml|bitbucket-pipelines\.ya?ml|appveyor\.ya?ml|\.circleci\/config\.ya?ml|\.github\/workflows\/[^/]+\.ya?ml)$/;

/**
 * Coverage keys with a number. Generic words (`lines`, `threshold`) are only read in config files, and
 * codecov's `target` only in codecov files: an app's own `threshold: 50` in some YAML is none of ours.
 */
const thresholdKey =
  /["']?\b(branches|functions|lines|statements|fail_under|fail-under|cov-fail-under|coverageThreshold|threshold|minimum_coverage|min_coverage|minimumCoverage)\b["']?\s*[:=]?\s*["']?(\d+(?:\.\d+)?)/g;
const codecovTarget = /["']?\b(target)\b["']?\s*[:=]\s*["']?(\d+(?:\.\d+)?)/g;
const codecovFile = /(^|\/)\.?codecov\.ya?ml$/;

const failureSwallowed: { label: string; pattern: RegExp; files?: RegExp }[] = [
  { label: "passWithNoTests", pattern: /passWithNoTests/ },
  { label: "`|| true` / `|| exit 0`", pattern: /\|\|\s*(true|exit 0|:)(\s|$|["'])/ },
  { label: "continue-on-error / allow_failure", pattern: /continue-on-error:\s*true|allow_failure:\s*true/ },
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

function thresholds(lines: string[], pattern: RegExp): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of lines) {
    if (isCommentLine(line)) continue;
    for (const match of line.matchAll(pattern)) {
      const key = (match[1] ?? match[3] ?? "").toLowerCase();
      const value = Number(match[2] ?? match[4]);
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
    const keys = codecovFile.test(change.path) ? new RegExp(`${thresholdKey.source}|${codecovTarget.source}`, "g") : thresholdKey;
    const before = thresholds(removed, keys);
    const after = thresholds(added, keys);
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
    for (const { label, pattern, files } of failureSwallowed) {
      if (files && !files.test(change.path)) continue;
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
