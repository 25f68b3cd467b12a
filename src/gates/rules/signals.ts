// "Tests weakened" signals: subtle changes a rule cannot call cheating on its own (expected values edited
// while the code under test stays, looser assertions, mocks of the repository's own code, loosened
// helpers, fewer assertions). They never block; the judges must answer each and the PR lists them.
import { isTestPath } from "../patchLines.js";
import { assertion, exactMatcher, holdsTests } from "../tamper.js";
import type { TestFlag } from "../types.js";
import type { JudgedChange } from "./changeView.js";
import { countIn, splitCode } from "./codeText.js";

const looseMatcher =
  /\.(?:toContain|toContainEqual|toMatch|toMatchObject|toBeCloseTo|toHaveLength|toHaveProperty|toBeGreaterThan\w*|toBeLessThan\w*|toBeInstanceOf)\s*\(|\bexpect\.(?:arrayContaining|objectContaining|stringContaining|stringMatching|any|anything)\b|\bassert(?:In|AlmostEqual|Greater\w*|Less\w*|Regex|CountEqual|IsNotNone|IsInstance)\s*\(|\bpytest\.approx\b|\bassert\s+[^\n]*\s(?:in|not in)\s|\.(?:startswith|endswith|starts_with|ends_with|contains|includes)\s*\(|\bstrings\.(?:Contains|HasPrefix|HasSuffix|EqualFold)\b|\bassert\.match\s*\(|\bsorted\s*\(|\bisclose\s*\(/;
const normalizing =
  /\.(?:lower|upper|casefold|strip|lstrip|rstrip|toLowerCase|toUpperCase|trim|trimStart|trimEnd|to_lowercase|to_uppercase|normalize)\s*\(|\bsorted\s*\(|\.sort\s*\(|\bround\s*\(|\bMath\.(?:round|abs|floor|ceil)\b|\babs\s*\(|\bstrings\.(?:ToLower|ToUpper|TrimSpace|Fields|EqualFold)\b|\bre\.sub\s*\(|\.replace(?:All)?\s*\(|\btolerance\b|\bapprox\b|\bpass\s*:\s*true\b|\breturn\s+(?:True|true)\b/;
const helperDefinition =
  /\bdef\s+(?:assert|check|expect|verify)_?\w*\s*\(|\bfunction\s+(?:assert|expect|check|verify)\w*\s*\(|\b(?:const|let)\s+(?:assert|expect|check|verify)\w+\s*=\s*(?:async\s*)?(?:function\b|\([^)]*\)\s*=>)|\bexpect\.extend\s*\(|\bfunc\s+(?:assert|check|require|expect)\w*\s*\(|\bfn\s+(?:assert|check)_\w+\s*\(|\bmacro_rules!\s*assert_\w+/;

/** Exact checks in every style, custom `assertSame*`/`assert_eq*` helpers and Go's `if got != want` included. */
const exactCheck = new RegExp(`${exactMatcher.source}|!=|\\bassert_?(?:same|equal|eq)\\w*\\s*[(!]|\\bassert(?:Same|Equal)\\w*\\s*\\(`, "i");

const codeFile = /\.(?:[cm]?[jt]sx?|py|go|rs|rb|java|kt|cs|php|swift)$/i;

function code(lines: string[], change: JudgedChange): string {
  return splitCode(lines.join("\n"), change.language).code;
}

/**
 * Only tests changed, the code under test did not. Whether a red test turned green is known only after the
 * commands ran; the gate drops this flag when they ran and fixed nothing.
 */
function expectedValuesOnly(changes: JudgedChange[]): TestFlag[] {
  const touchesCode = changes.some((c) => codeFile.test(c.path) && !isTestPath(c.path));
  if (touchesCode) return [];
  return changes
    .filter((c) => c.kind === "modify" && isTestPath(c.path) && code(c.removed, c).trim() !== "")
    .map((c) => ({
      code: "EXPECTED_VALUES_ONLY" as const,
      path: c.path,
      message: `${c.path}: the test changed while no code under test did. If a test that was red on the base is green now, its expectation was made to agree with the code: check that the old expectation was wrong, not the code.`,
    }));
}

function loosenedAssertions(change: JudgedChange): TestFlag[] {
  const removed = code(change.removed, change);
  const added = code(change.added, change);
  const exactLost = countIn(removed, exactCheck) - countIn(added, exactCheck);
  const looseGained = countIn(added, looseMatcher) - countIn(removed, looseMatcher);
  if (exactLost <= 0 || looseGained <= 0) return [];
  return [
    {
      code: "ASSERTION_LOOSENED",
      path: change.path,
      message: `${change.path}: ${exactLost} exact assertion(s) replaced by looser ones (containment, prefix, approximate, ordering-free, type-only). Check the new assertion still pins down the behaviour the issue is about.`,
    },
  ];
}

/** Top-level module names of the repository's own Python code, from the paths the gate knows. */
export function pythonModules(paths: Iterable<string>): Set<string> {
  const modules = new Set<string>();
  for (const path of paths) {
    const match = /^(?:src\/)?([A-Za-z_]\w*)(?:\.py$|\/)/.exec(path);
    if (match && /\.py$/.test(path)) modules.add(match[1] as string);
  }
  return modules;
}

function ownMocks(change: JudgedChange, modules: Set<string>): TestFlag[] {
  const added = change.added.filter((line) => !/^\s*(\/\/|#)/.test(line));
  const found: string[] = [];
  if (change.language === "js") {
    const relativeImports = new Set<string>();
    for (const match of change.after.matchAll(/import\s+(?:\*\s+as\s+(\w+)|\{([^}]*)\}|(\w+))\s+from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
      for (const name of [
        match[1],
        match[3],
        ...(match[2] ?? "").split(",").map((n) =>
          n
            .trim()
            .split(/\s+as\s+/)
            .pop(),
        ),
      ])
        if (name) relativeImports.add(name);
    }
    for (const match of change.after.matchAll(/(?:const|let|var)\s+(?:(\w+)|\{([^}]*)\})\s*=\s*require\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)) {
      for (const name of [
        match[1],
        ...(match[2] ?? "").split(",").map((n) =>
          n
            .trim()
            .split(/\s*:\s*/)
            .pop(),
        ),
      ])
        if (name) relativeImports.add(name);
    }
    for (const line of added) {
      const mocked = /\b(?:vi|jest)\.(?:mock|doMock)\s*\(\s*["'](\.{1,2}\/[^"']+)["']/.exec(line);
      if (mocked) found.push(mocked[1] as string);
      const spied = /\b(?:vi|jest)\.spyOn\s*\(\s*(\w+)|\bsinon\.(?:stub|spy|replace)\s*\(\s*(\w+)|\bmock\.method\s*\(\s*(\w+)/.exec(line);
      const target = spied?.[1] ?? spied?.[2] ?? spied?.[3];
      if (target && relativeImports.has(target)) found.push(target);
    }
  } else if (change.language === "python") {
    for (const line of added) {
      const patched =
        /\b(?:mock\.)?patch(?:\.object)?\s*\(\s*["']([\w.]+)["']|\bmonkeypatch\.(?:setattr|delattr)\s*\(\s*["']([\w.]+)["']|\b(?:patch\.object|monkeypatch\.setattr|mocker\.patch\.object)\s*\(\s*(\w+)\s*,|\bmocker\.patch\s*\(\s*["']([\w.]+)["']/.exec(
          line,
        );
      const target = patched?.[1] ?? patched?.[2] ?? patched?.[3] ?? patched?.[4];
      if (target && modules.has(target.split(".")[0] as string)) found.push(target);
    }
  } else if (change.language === "go") {
    for (const line of added) if (/\b(?:gomonkey\.Apply\w+|monkey\.Patch\w*)\s*\(/.test(line)) found.push(line.trim());
  } else if (change.language === "rust") {
    for (const line of added) if (/#\[automock\]|\bmock!\s*\{/.test(line)) found.push(line.trim());
  }
  if (found.length === 0) return [];
  return [
    {
      code: "OWN_CODE_MOCKED",
      path: change.path,
      message: `${change.path}: the test now mocks or patches the repository's own code (${[...new Set(found)].join(", ")}). A mock of the code under test can make a test pass without the fix; check that what is replaced is not what the issue is about.`,
    },
  ];
}

function loosenedHelper(change: JudgedChange): TestFlag[] {
  if (change.kind !== "modify") return [];
  const views = change.views();
  if (!helperDefinition.test(views.before.code)) return [];
  const normalizedMore = countIn(code(change.added, change), normalizing) > countIn(code(change.removed, change), normalizing);
  const fewerChecks = countIn(views.after.code, assertion) < countIn(views.before.code, assertion);
  if (!normalizedMore && !fewerChecks) return [];
  return [
    {
      code: "HELPER_LOOSENED",
      path: change.path,
      message: `${change.path}: a shared assertion helper or matcher was changed to ${normalizedMore ? "normalise what it compares (case, whitespace, order, rounding)" : "check less"}. Every test using it is weaker now; check that is intended.`,
    },
  ];
}

function fewerAssertions(change: JudgedChange): TestFlag[] {
  if (change.kind !== "modify") return [];
  const views = change.views();
  const before = countIn(views.before.code, assertion);
  const after = countIn(views.after.code, assertion);
  if (after >= before) return [];
  return [
    {
      code: "ASSERTIONS_FELL",
      path: change.path,
      message: `${change.path}: assertions went from ${before} to ${after}. Check that nothing the tests pinned down is left unchecked.`,
    },
  ];
}

export function testFlags(changes: JudgedChange[], repoPaths: Iterable<string> = []): TestFlag[] {
  const modules = pythonModules([...repoPaths, ...changes.map((c) => c.path)]);
  const flags: TestFlag[] = [...expectedValuesOnly(changes)];
  for (const change of changes) {
    if (change.binary || change.kind === "delete" || !holdsTests(change)) continue;
    flags.push(...loosenedAssertions(change), ...ownMocks(change, modules), ...loosenedHelper(change), ...fewerAssertions(change));
  }
  return flags;
}
