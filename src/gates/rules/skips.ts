// Skips and focus in every form a runner understands: member calls (`it.skip`), options arguments
// (`test(name, { skip: true })`), calls on the test context (`t.skip()`, `t.Skip()`, `self.skipTest`),
// decorators and attributes, conditional skips, and build constraints that drop a Go test file.
// Counted in code only (strings and comments blanked), net of what the file held before.
import { isTestPath } from "../patchLines.js";
import type { Violation } from "./types.js";
import type { JudgedChange } from "./changeView.js";
import { countIn } from "./codeText.js";

interface Marker {
  label: string;
  pattern: RegExp;
  /** Where the marker means a skip: by path. */
  files: RegExp;
  /** Words that mean other things in ordinary code (`fit(`): only in test files. */
  testFilesOnly?: boolean;
  /** Read in the comments view (Go build constraints are comments). */
  inComments?: boolean;
  /** Only on files that existed: a new platform-specific test file may carry its own constraint. */
  existingOnly?: boolean;
}

const js = /\.(?:[cm]?[jt]sx?|coffee|vue|svelte)$/i;
const py = /\.py$/i;

export const skipMarkers: Marker[] = [
  {
    label: "it/test/describe .skip/.only/.todo/.skipIf",
    pattern: /\b(?:it|test|describe|context|suite|specify|bench)(?:\.(?:concurrent|sequential|each\s*\([^)]*\)))?\.(?:skip|only|todo|fixme|skipIf|runIf)\b/,
    files: js,
  },
  { label: "xit/xdescribe/fit/fdescribe", pattern: /(?:^|[^\w.$])(?:x|f)(?:it|describe|test|context|specify)\s*\(/, files: js, testFilesOnly: true },
  {
    label: "skip/todo/only in a test's options",
    pattern: /\b(?:it|test|describe|suite)\s*\(\s*(["'`])[^"'`]*\1\s*,\s*\{[^}]*\b(?:skip|todo|only)\b\s*(?::\s*(?!false\b|undefined\b|null\b)|[,}])/,
    files: js,
  },
  { label: "t.skip()/t.todo() on the test context", pattern: /\b(?:t|ctx|context)\.(?:skip|todo)\s*\(/, files: js, testFilesOnly: true },
  { label: "Ruby skip/pending", pattern: /^\s*(?:skip|pending|xit|xdescribe)\b/m, files: /\.rb$/, testFilesOnly: true },
  { label: "@pytest.mark.skip/skipif", pattern: /@pytest\.mark\.(?:skip|skipif)\b/, files: py },
  { label: "pytestmark skip", pattern: /\bpytestmark\s*=[^\n]*\bmark\.(?:skip|skipif|xfail)\b/, files: py },
  { label: "pytest.skip()", pattern: /\bpytest\.skip\s*\(/, files: py },
  { label: "@unittest.skip/skipIf/skipUnless", pattern: /@(?:unittest\.)?(?:skip|skipIf|skipUnless)\b\s*\(/, files: py },
  { label: "self.skipTest()/raise SkipTest", pattern: /\bskipTest\s*\(|\braise\s+(?:unittest\.)?SkipTest\b/, files: py },
  { label: "t.Skip()", pattern: /\b\w+\.(?:Skip|Skipf|SkipNow)\s*\(/, files: /_test\.go$/ },
  { label: "build constraint on a Go test file", pattern: /^\/\/(?:go:build|\s*\+build)\b/m, files: /_test\.go$/, inComments: true, existingOnly: true },
  { label: "#[ignore]", pattern: /#\[ignore\b|#\[cfg_attr\([^\]]*\bignore\b/, files: /\.rs$/ },
  { label: "@Disabled / @Ignore", pattern: /@(?:Disabled|Ignore)\b/, files: /\.(?:java|kt|kts|scala|groovy)$/ },
  { label: "[Ignore] / Skip =", pattern: /\[(?:Ignore\b|(?:Fact|Theory|Test)\s*\(\s*Skip\s*=)/, files: /\.(?:cs|fs|vb)$/ },
  { label: "markTestSkipped()", pattern: /\bmarkTest(?:Skipped|Incomplete)\s*\(/, files: /\.php$/ },
];

export function checkSkips(changes: JudgedChange[]): Violation[] {
  const violations: Violation[] = [];
  for (const change of changes) {
    // Prose may describe a skip marker; only code can apply one.
    if (change.kind === "delete" || change.binary || (change.language === "other" && !/\.(?:java|kt|kts|scala|groovy|cs|fs|vb|php)$/.test(change.path)))
      continue;
    const inTestFile = isTestPath(change.path);
    const views = change.views();
    for (const marker of skipMarkers) {
      if (!marker.files.test(change.path) || (marker.testFilesOnly && !inTestFile) || (marker.existingOnly && change.kind === "add")) continue;
      const view = marker.inComments ? "comments" : "code";
      const net = countIn(views.after[view], marker.pattern) - countIn(views.before[view], marker.pattern);
      if (net > 0) {
        violations.push({
          code: "TEST_SKIPPED",
          message: `${change.path}: ${net} test(s) newly skipped or focused (${marker.label}). Skipping or focusing tests hides failures instead of fixing them; fix the code under test instead.`,
          paths: [change.path],
        });
      }
    }
  }
  return violations;
}
