// Tamper checks: the cheap ways to green an agent can take with the tests themselves (deleting them,
// skipping or focusing them, dropping assertions), judged from the delta alone, before any command runs.
import type { Delta, FileChange } from "../engine/index.js";
import { changeLines, countMatching, isTestPath } from "./patchLines.js";

export interface Violation {
  code: string;
  message: string;
  paths?: string[];
}

interface Marker {
  label: string;
  pattern: RegExp;
  /** Only in test files: these words mean other things in ordinary code (`iter.skip(2)`, `fit(`). */
  testFilesOnly?: boolean;
  /** Only in these languages: `fit(data)` in a Python test or `pending = []` in JS is not a skip. */
  files?: RegExp;
}

const jsFile = /\.(?:[cm]?[jt]sx?|coffee|vue|svelte)$/i;

const skipMarkers: Marker[] = [
  { label: "it/test/describe .skip/.only/.todo", pattern: /\b(?:it|test|describe|context|suite|specify|bench)(?:\.concurrent)?\.(?:skip|only|todo|fixme|skipIf|runIf)\b/, testFilesOnly: true, files: jsFile },
  { label: "xit/xdescribe/fit/fdescribe", pattern: /(?:^|[^\w.$])(?:x|f)(?:it|describe|test|context|specify)\s*\(/, testFilesOnly: true, files: jsFile },
  { label: "Ruby skip/pending", pattern: /^\s*(?:skip|pending|xit|xdescribe)\b/, testFilesOnly: true, files: /\.rb$/ },
  { label: "@pytest.mark.skip/skipif/xfail", pattern: /@pytest\.mark\.(?:skip|skipif|xfail)\b/ },
  { label: "pytest.skip()", pattern: /\bpytest\.(?:skip|xfail)\s*\(/ },
  { label: "@unittest.skip", pattern: /@unittest\.(?:skip|skipIf|skipUnless|expectedFailure)\b/ },
  { label: "self.skipTest()", pattern: /\bskipTest\s*\(/ },
  { label: "t.Skip()", pattern: /\b\w+\.(?:Skip|Skipf|SkipNow)\s*\(/, files: /_test\.go$/ },
  { label: "#[ignore]", pattern: /#\[ignore\b/, files: /\.rs$/ },
  { label: "@Disabled / @Ignore", pattern: /@(?:Disabled|Ignore)\b/, files: /\.(?:java|kt|kts|scala|groovy)$/ },
  { label: "[Ignore] / Skip =", pattern: /\[(?:Ignore\b|(?:Fact|Theory|Test)\s*\(\s*Skip\s*=)/, files: /\.(?:cs|fs|vb)$/ },
  { label: "markTestSkipped()", pattern: /\bmarkTest(?:Skipped|Incomplete)\s*\(/, files: /\.php$/ },
];

const testDeclaration =
  /\b(?:it|test|specify)\s*\(\s*["'`]|^\s*(?:async\s+)?def\s+test_?\w*\s*\(|^\s*func\s+Test\w*\s*\(|#\[(?:tokio::)?test\b|@Test\b|@ParameterizedTest\b/;
const assertion =
  /\bexpect\s*\(|\bassert\w*!?\s*[(.!\s]|\.should\b|\bt\.(?:Error|Errorf|Fatal|Fatalf|Fail|FailNow)\s*\(|\brequire\.\w+\s*\(|\bself\.assert\w*\s*\(|\bverify\s*\(/;
const triviallyTrue =
  /expect\(\s*(?:true|1|!0)\s*\)\s*\.\s*(?:toBe|toEqual|toStrictEqual|toBeTruthy)\s*\(\s*(?:true|1)?\s*\)|\bassert\s+(?:True|1)\s*$|\bassert(?:\.ok|\.equal|\.strictEqual)?\s*\(\s*true\s*(?:,\s*true\s*)?\)|\bassert!\s*\(\s*true\s*\)|\bassert(?:True|That)\s*\(\s*true\s*\)|\bself\.assertTrue\(\s*True\s*\)/;
const exactMatcher = /\.(?:toBe|toEqual|toStrictEqual|toMatchObject|toThrow\w*)\s*\(\s*\S|\bassert\.(?:strictEqual|deepStrictEqual|equal|deepEqual|throws)\s*\(|\bassert_eq!|\bassertEquals?\s*\(|==/;
const weakMatcher = /\.(?:toBeTruthy|toBeDefined|toBeFalsy|not\.toBeNull|not\.toBeUndefined|toBeGreaterThanOrEqual\(\s*0\s*\))|\bassert\.ok\s*\(|\bassert(?:True|NotNull)\s*\(|\bis not None\b/;

const proseFile = /\.(md|mdx|markdown|rst|txt|adoc|html?)$/i;

function testChanges(delta: Delta): FileChange[] {
  return delta.files.filter((change) => isTestPath(change.path));
}

/** Test files deleted, unless the same content reappears under another path (a move). */
function deletedTests(delta: Delta): Violation[] {
  const addedOids = new Set(delta.files.filter((c) => c.kind === "add").map((c) => c.newOid));
  const deleted = testChanges(delta).filter((c) => c.kind === "delete" && !addedOids.has(c.oldOid));
  if (deleted.length === 0) return [];
  return [{
    code: "TEST_DELETED",
    message: `Test files were deleted: ${deleted.map((c) => c.path).join(", ")}. A fix keeps the existing tests.`,
    paths: deleted.map((c) => c.path),
  }];
}

function skippedOrFocused(delta: Delta): Violation[] {
  const violations: Violation[] = [];
  for (const change of delta.files) {
    // Prose may describe a skip marker ("mark slow tests with @pytest.mark.skip"); only code can apply one.
    if (change.kind === "delete" || change.binary || proseFile.test(change.path)) continue;
    const inTestFile = isTestPath(change.path);
    const { added, removed } = changeLines(change);
    for (const marker of skipMarkers) {
      if (marker.testFilesOnly && !inTestFile) continue;
      if (marker.files && !marker.files.test(change.path)) continue;
      // Net count, so moving or re-indenting an existing skip is not mistaken for a new one.
      const net = countMatching(added, marker.pattern, { skipComments: true }) - countMatching(removed, marker.pattern, { skipComments: true });
      if (net > 0) {
        violations.push({
          code: "TEST_SKIPPED",
          message: `${change.path}: ${net} test(s) newly skipped or focused (${marker.label}). Skipping or focusing tests hides failures instead of fixing them.`,
          paths: [change.path],
        });
      }
    }
  }
  return violations;
}

function weakenedTests(delta: Delta): Violation[] {
  const violations: Violation[] = [];
  for (const change of testChanges(delta)) {
    if (change.kind !== "modify" || change.binary) continue;
    const { added, removed } = changeLines(change);
    const declarationsLost = countMatching(removed, testDeclaration, { skipComments: true }) - countMatching(added, testDeclaration, { skipComments: true });
    if (declarationsLost > 0) {
      violations.push({
        code: "TEST_REMOVED",
        message: `${change.path}: ${declarationsLost} test case(s) removed or commented out.`,
        paths: [change.path],
      });
    }
    const assertionsLost = countMatching(removed, assertion, { skipComments: true }) - countMatching(added, assertion, { skipComments: true });
    if (assertionsLost > 0) {
      violations.push({
        code: "ASSERTION_REMOVED",
        message: `${change.path}: ${assertionsLost} assertion(s) removed without replacement.`,
        paths: [change.path],
      });
    }
    const trivial = countMatching(added, triviallyTrue, { skipComments: true }) - countMatching(removed, triviallyTrue, { skipComments: true });
    if (trivial > 0) {
      violations.push({
        code: "ASSERTION_TRIVIAL",
        message: `${change.path}: ${trivial} assertion(s) that can never fail were added (like expect(true).toBe(true)).`,
        paths: [change.path],
      });
    }
    const exactLost = countMatching(removed, exactMatcher, { skipComments: true }) - countMatching(added, exactMatcher, { skipComments: true });
    const weakGained = countMatching(added, weakMatcher, { skipComments: true }) - countMatching(removed, weakMatcher, { skipComments: true });
    if (exactLost > 0 && weakGained > 0) {
      violations.push({
        code: "ASSERTION_WEAKENED",
        message: `${change.path}: exact assertions were replaced by weaker ones (toBeTruthy, toBeDefined, assert.ok...).`,
        paths: [change.path],
      });
    }
  }
  return violations;
}

export function checkTestTampering(delta: Delta): Violation[] {
  return [...deletedTests(delta), ...skippedOrFocused(delta), ...weakenedTests(delta)];
}
