// Inline suppressions that silence a whole file or every rule at once: `eslint-disable` file-wide or
// without rules, bare `# noqa`, `# type: ignore`, `@ts-ignore`, `//nolint` without a linter, crate-level
// allows of lint groups... A suppression naming one rule on one line is a reviewed decision and passes.
import { isTestPath } from "../patchLines.js";
import type { Violation } from "./types.js";
import type { JudgedChange } from "./changeView.js";
import type { Language } from "./codeText.js";
import { countIn } from "./codeText.js";

interface Suppression {
  label: string;
  languages: Language[];
  pattern: RegExp;
  view: "comments" | "code";
  /** Removing it is the weakening (`// @ts-check`). */
  removal?: boolean;
  outsideTests?: boolean;
  testsOnly?: boolean;
}

const rustLintGroups = [
  "warnings",
  "unused",
  "nonstandard_style",
  "future_incompatible",
  "rust_2018_idioms",
  "rust_2021_compatibility",
  "let_underscore",
  "clippy::all",
  "clippy::pedantic",
  "clippy::nursery",
  "clippy::cargo",
  "clippy::correctness",
  "clippy::suspicious",
  "clippy::style",
  "clippy::complexity",
  "clippy::perf",
  "clippy::restriction",
];

export const suppressions: Suppression[] = [
  { label: "file-wide eslint-disable", languages: ["js"], pattern: /\beslint-disable(?![-\w])/, view: "comments" },
  {
    label: "eslint-disable-line/next-line without a rule",
    languages: ["js"],
    pattern: /\beslint-disable-(?:next-)?line\b[ \t]*(?:\*\/|--|$)/m,
    view: "comments",
  },
  { label: "@ts-nocheck", languages: ["js"], pattern: /@ts-nocheck\b/, view: "comments" },
  { label: "@ts-ignore", languages: ["js"], pattern: /@ts-ignore\b/, view: "comments" },
  // In a test, expecting a type error with a stated reason tests the types; anywhere else it hides one.
  { label: "@ts-expect-error", languages: ["js"], pattern: /@ts-expect-error\b/, view: "comments", outsideTests: true },
  { label: "@ts-expect-error without a reason", languages: ["js"], pattern: /@ts-expect-error[ \t]*(?:\*\/|$)/m, view: "comments", testsOnly: true },
  { label: "// @ts-check removed", languages: ["js"], pattern: /@ts-check\b/, view: "comments", removal: true },
  { label: "bare # noqa", languages: ["python"], pattern: /#\s*noqa\b(?!\s*:)/i, view: "comments" },
  { label: "file-wide # ruff: noqa / # flake8: noqa", languages: ["python"], pattern: /#\s*(?:ruff|flake8)\s*:\s*noqa\b(?!\s*:)/i, view: "comments" },
  { label: "# type: ignore without an error code", languages: ["python"], pattern: /#\s*type:\s*ignore\b(?!\[)/, view: "comments" },
  { label: "# pyright: ignore without a rule", languages: ["python"], pattern: /#\s*pyright:\s*ignore\b(?!\[)/, view: "comments" },
  { label: "# pyright: basic/off", languages: ["python"], pattern: /#\s*pyright:\s*(?:basic|off|standard)\b/, view: "comments" },
  { label: "# mypy: ignore-errors", languages: ["python"], pattern: /#\s*mypy:\s*ignore-errors\b/, view: "comments" },
  { label: "# pylint: disable=all / skip-file", languages: ["python"], pattern: /#\s*pylint:\s*(?:disable\s*=\s*all\b|skip-file\b)/, view: "comments" },
  { label: "//nolint without a linter", languages: ["go"], pattern: /\/\/\s*nolint\b(?!:)/, view: "comments" },
  {
    label: "crate-level allow of a lint group",
    languages: ["rust"],
    pattern: new RegExp(`#!\\[allow\\([^\\]]*(?:${rustLintGroups.map((g) => `\\b${g.replace(/:/g, "\\:")}\\b`).join("|")})`),
    view: "code",
  },
  { label: "# rubocop:disable all", languages: ["ruby"], pattern: /#\s*rubocop:\s*disable\s*(?:all\b|$)/m, view: "comments" },
];

export function checkSuppressions(changes: JudgedChange[]): Violation[] {
  const violations: Violation[] = [];
  for (const change of changes) {
    if (change.binary) continue;
    const inTests = isTestPath(change.path);
    const relevant = suppressions.filter((s) => s.languages.includes(change.language) && !(s.outsideTests && inTests) && !(s.testsOnly && !inTests));
    if (relevant.length === 0) continue;
    const views = change.views();
    for (const suppression of relevant) {
      // A deleted file takes its @ts-check with it, which is no weakening of what remains.
      if (change.kind === "delete") continue;
      const before = countIn(views.before[suppression.view], suppression.pattern);
      const after = countIn(views.after[suppression.view], suppression.pattern);
      const weakened = suppression.removal ? before > after : after > before;
      if (!weakened) continue;
      violations.push({
        code: "SUPPRESSION_ADDED",
        message: suppression.removal
          ? `${change.path}: ${suppression.label}, which turns type checking off for the file. Keep it and fix the types.`
          : `${change.path}: added ${suppression.label}, which silences checks wholesale. Fix what the check reports, or name the single rule on the single line with a reason.`,
        paths: [change.path],
      });
    }
  }
  return violations;
}
