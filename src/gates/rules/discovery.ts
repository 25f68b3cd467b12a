// Test discovery: any change that narrows what the runner collects. Config keys (pytest testpaths and
// python_files, jest/vitest include and exclude, Cargo test targets), filters added to addopts, conftest
// hooks that drop tests, and test commands in Makefiles and scripts losing packages or gaining filters.
import type { Violation } from "./types.js";
import type { JudgedChange } from "./changeView.js";
import { countIn } from "./codeText.js";
import { flattenConfig } from "./configFlatten.js";
import { checkConfigTable, type ConfigRule } from "./configRules.js";

const pytestFiles = /(^|\/)(pytest\.ini|tox\.ini|setup\.cfg|pyproject\.toml)$/;
const pytestSection = "(?:^pytest|^tool:pytest|^tool\\.pytest\\.ini_options)\\.";
const jsRunnerConfig = /(^|\/)((jest|vitest|vite)\.config\.[cm]?[jt]s|vitest\.workspace\.[cm]?[jt]s|jest\.config\.json)$/;
const packageJson = /(^|\/)package\.json$/;
const cargo = /(^|\/)Cargo\.toml$/;

export const discoveryRules: ConfigRule[] = [
  { label: "pytest collects fewer paths", files: pytestFiles, key: new RegExp(`${pytestSection}testpaths$`), direction: "itemRemovedKeyKept" },
  {
    label: "pytest collects fewer file, class or function names",
    files: pytestFiles,
    key: new RegExp(`${pytestSection}(python_files|python_classes|python_functions)$`),
    direction: "itemRemoved",
  },
  { label: "pytest skips more directories", files: pytestFiles, key: new RegExp(`${pytestSection}norecursedirs$`), direction: "itemAdded" },
  {
    label: "pytest no longer treats an unexpected pass of xfail as a failure",
    files: pytestFiles,
    key: new RegExp(`${pytestSection}xfail_strict$`),
    direction: "trueToFalse",
  },
  {
    label: "test runner collects fewer files",
    files: jsRunnerConfig,
    key: /^(include|testMatch|testRegex|roots|projects|dir)$/,
    direction: "itemRemovedKeyKept",
  },
  {
    label: "test runner excludes more files",
    files: jsRunnerConfig,
    key: /^(exclude|testPathIgnorePatterns|modulePathIgnorePatterns)$/,
    direction: "itemAdded",
  },
  {
    label: "test runner lets focused or missing tests pass",
    files: jsRunnerConfig,
    key: /^(allowOnly|passWithNoTests|onlyChanged|onlyFailures)$/,
    direction: "falseToTrue",
  },
  { label: "jest collects fewer files", files: packageJson, key: /^jest\.(testMatch|testRegex|roots|projects)$/, direction: "itemRemovedKeyKept" },
  { label: "jest excludes more files", files: packageJson, key: /^jest\.(testPathIgnorePatterns|modulePathIgnorePatterns)$/, direction: "itemAdded" },
  { label: "Cargo test target removed", files: cargo, key: /^(test|bench)\[\]$/, direction: "itemRemoved" },
];

/** `test = false`, `harness = false`, `autotests = false` on a target that existed: its tests stop running. */
function cargoTestsDisabled(change: JudgedChange): string[] {
  const before = flattenConfig(change.path, change.before);
  const after = flattenConfig(change.path, change.after);
  const findings: string[] = [];
  for (const [key, values] of after) {
    const match = /^(.*)\.(test|harness|autotests|doctest)$/.exec(key);
    if (!match || values[0] !== "false" || before.get(key)?.[0] === "false") continue;
    const target = match[1] as string;
    // A target added in this change may choose its own harness; one that existed loses its tests.
    if (target === "package" || target === "lib" || before.has(target)) findings.push(`${key} = false`);
  }
  return findings;
}

const pytestFilters = /(?:^|\s)(-k|-m|--deselect|--ignore|--ignore-glob|--lf|--last-failed|--sw|--stepwise|-p\s+no:[\w.]+)(?=\s|=|$)/g;

function addoptsFilters(change: JudgedChange): string[] {
  const read = (text: string) => {
    const flat = flattenConfig(change.path, text);
    const addopts = [...flat.entries()]
      .filter(([key]) => new RegExp(`${pytestSection}addopts$`).test(key))
      .flatMap(([, v]) => v)
      .join(" ");
    return new Set([...addopts.matchAll(pytestFilters)].map((m) => (m[1] as string).replace(/\s+/g, " ")));
  };
  const before = read(change.before);
  return [...read(change.after)].filter((flag) => !before.has(flag));
}

const conftestHooks =
  /\bcollect_ignore(?:_glob)?\b|\bdef\s+pytest_(?:collection_modifyitems|ignore_collect|collect_file|pycollect_makeitem)\b|\bitems\.remove\(|\bconfig\.hook\.pytest_deselected\b/;

// Test commands in build scripts: the runner, the flags that filter, and what counts as a package/path.
const runners: { name: string; line: RegExp; filters: RegExp }[] = [
  { name: "go test", line: /\bgo\s+test\b[^\n;&|]*/g, filters: /(?:^|\s)(-run|-skip|-short|-tags|--tags)(?=[\s=]|$)/g },
  {
    name: "cargo test",
    line: /\bcargo\s+(?:test|nextest\s+run)\b[^\n;&|]*/g,
    filters: /(?:^|\s)(--lib|--bins?|--test|--skip|--exact|--features|--no-default-features|-E|--filter-expr|--ignored)(?=[\s=]|$)/g,
  },
  { name: "pytest", line: /\b(?:py\.test|pytest)\b[^\n;&|]*/g, filters: pytestFilters },
  { name: "node --test", line: /\bnode\s+--test\b[^\n;&|]*/g, filters: /(?:^|\s)(--test-name-pattern|--test-skip-pattern|--test-only)(?=[\s=]|$)/g },
  {
    name: "jest/vitest",
    line: /\b(?:jest|vitest(?:\s+run)?)\b[^\n;&|]*/g,
    filters:
      /(?:^|\s)(-t|--testNamePattern|--testPathPattern|--testPathIgnorePatterns|--exclude|--changed|--onlyChanged|-o|--passWithNoTests|--shard)(?=[\s=]|$)/g,
  },
];
const scriptFiles = /(^|\/)(Makefile|makefile|GNUmakefile|justfile|Taskfile\.ya?ml|package\.json|tox\.ini|noxfile\.py|[\w.-]+\.sh|\.github\/autofix\.ya?ml)$/;

/** In package.json only the scripts are commands; a dependency named jest or vitest is not one. */
function commandText(file: string, text: string): string {
  if (!packageJson.test(file)) return text;
  try {
    const scripts = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts ?? {};
    return Object.values(scripts)
      .filter((v): v is string => typeof v === "string")
      .join("\n");
  } catch {
    return "";
  }
}

function commandNarrowing(change: JudgedChange): string[] {
  const findings: string[] = [];
  for (const runner of runners) {
    const commands = (text: string) => [...commandText(change.path, text).matchAll(runner.line)].map((m) => m[0].trim());
    const before = commands(change.before);
    const after = commands(change.after);
    if (before.length === 0) continue;
    const filters = (line: string) => new Set([...line.matchAll(runner.filters)].map((m) => m[1] as string));
    const targets = (line: string) => new Set(line.split(/\s+/).filter((t) => /^(\.{1,2}\/|[\w-]+\/)|\.\.\.$/.test(t) && !t.startsWith("-")));
    for (const old of before) {
      if (after.includes(old)) continue;
      // The nearest replacement: the same runner's command that shares the most words.
      const words = new Set(old.split(/\s+/));
      const replacement = after
        .map((line) => ({ line, shared: line.split(/\s+/).filter((w) => words.has(w)).length }))
        .sort((a, b) => b.shared - a.shared)[0]?.line;
      if (replacement === undefined) {
        findings.push(`\`${old}\` removed`);
        continue;
      }
      const oldFilters = filters(old);
      const addedFilters = [...filters(replacement)].filter((f) => !oldFilters.has(f) || f === "-tags" || f === "--tags" || f === "--features");
      const flagValue = (line: string, flag: string) => new RegExp(`${flag}[=\\s]+(\\S+)`).exec(line)?.[1];
      const changedFilters = addedFilters.filter((f) => !oldFilters.has(f) || flagValue(old, f) !== flagValue(replacement, f));
      const newTargets = targets(replacement);
      const lostTargets = [...targets(old)].filter((t) => !newTargets.has(t));
      if (changedFilters.length > 0 || lostTargets.length > 0) {
        findings.push(
          `\`${old}\` → \`${replacement}\`${changedFilters.length ? ` (adds ${changedFilters.join(", ")})` : ""}${lostTargets.length ? ` (no longer runs ${lostTargets.join(", ")})` : ""}`,
        );
      }
    }
  }
  return findings;
}

export function checkTestDiscovery(changes: JudgedChange[]): Violation[] {
  const why = "The tests the runner collects are the maintainers' to narrow; fix the failing test's code instead.";
  const violations = checkConfigTable(changes, discoveryRules, "TEST_DISCOVERY_NARROWED", why);
  for (const change of changes) {
    if (change.binary || change.kind === "delete") continue;
    const findings: string[] = [];
    if (cargo.test(change.path)) findings.push(...cargoTestsDisabled(change));
    if (pytestFiles.test(change.path)) findings.push(...addoptsFilters(change).map((flag) => `addopts now passes ${flag}`));
    if (/(^|\/)conftest\.py$/.test(change.path)) {
      const views = change.views();
      if (countIn(views.after.code, conftestHooks) > countIn(views.before.code, conftestHooks))
        findings.push("conftest.py now ignores or deselects collected tests");
    }
    if (scriptFiles.test(change.path)) findings.push(...commandNarrowing(change));
    if (findings.length > 0) {
      violations.push({ code: "TEST_DISCOVERY_NARROWED", message: `${change.path}: ${findings.join("; ")}. ${why}`, paths: [change.path] });
    }
  }
  return violations;
}
