// Inverted expectations: a test that existed on the base now expected to fail (`#[should_panic]`,
// `@unittest.expectedFailure`, `pytest.mark.xfail`, `test.fails`, `it.failing`), so its failure reads as a
// pass. A new test written to expect a panic is ordinary; only markers put on an existing test block.
import type { Violation } from "./types.js";
import type { JudgedChange } from "./changeView.js";
import { matchesIn } from "./codeText.js";

interface Inversion {
  label: string;
  files: RegExp;
  marker: RegExp;
  /** Reads the test's name in the original text from the marker's offset. */
  nameAfter: RegExp;
  /** Whether a test of that name is declared in a text. */
  declares: (text: string, name: string) => boolean;
}

const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const inversions: Inversion[] = [
  {
    label: "pytest.mark.xfail / @unittest.expectedFailure",
    files: /\.py$/,
    marker: /@pytest\.mark\.xfail\b|@(?:unittest\.)?expectedFailure\b/,
    nameAfter: /\bdef\s+(\w+)/,
    declares: (text, name) => new RegExp(`\\bdef\\s+${escape(name)}\\s*\\(`).test(text),
  },
  {
    label: "#[should_panic]",
    files: /\.rs$/,
    marker: /#\[should_panic\b/,
    nameAfter: /\bfn\s+(\w+)/,
    declares: (text, name) => new RegExp(`\\bfn\\s+${escape(name)}\\s*\\(`).test(text),
  },
  {
    label: "test.fails / it.failing",
    files: /\.(?:[cm]?[jt]sx?)$/,
    marker: /\b(?:it|test)(?:\.concurrent)?\.(?:fails|failing)\s*\(/,
    nameAfter: /\(\s*(["'`])((?:(?!\1).)*)\1/,
    declares: (text, name) => new RegExp(`\\b(?:it|test)(?:\\.\\w+)*\\s*\\(\\s*(["'\`])${escape(name)}\\1`).test(text),
  },
];

function markedNames(original: string, code: string, inversion: Inversion): Set<string> {
  const names = new Set<string>();
  for (const match of matchesIn(code, inversion.marker)) {
    const tail = original.slice(match.index ?? 0);
    const found = inversion.nameAfter.exec(tail);
    const name = found?.[2] ?? found?.[1];
    if (name) names.add(name);
  }
  return names;
}

export function checkInvertedExpectations(changes: JudgedChange[]): Violation[] {
  const violations: Violation[] = [];
  for (const change of changes) {
    if (change.kind === "delete" || change.binary) continue;
    for (const inversion of inversions) {
      if (!inversion.files.test(change.path)) continue;
      const views = change.views();
      const before = markedNames(change.before, views.before.code, inversion);
      const inverted = [...markedNames(change.after, views.after.code, inversion)].filter(
        (name) => !before.has(name) && inversion.declares(views.before.code.length ? change.before : "", name),
      );
      if (inverted.length === 0) continue;
      violations.push({
        code: "EXPECTATION_INVERTED",
        message: `${change.path}: existing test(s) ${inverted.join(", ")} now expected to fail (${inversion.label}), so their failure reads as a pass. Make them pass instead.`,
        paths: [change.path],
      });
    }
  }
  return violations;
}
