// How config problems reach people: a Markdown list (issue comment, check run) and plain lines (CLI).
import { describe, expect, it } from "vitest";
import { ConfigInvalid, renderConfigProblems, renderConfigProblemsText } from "../../src/config/errors.js";
import { parseConfig } from "../../src/config/parse.js";

const problems = [
  { path: "gates.semantic.minConfidence", line: 4, message: "`3` is too large; this must be a number from 0 to 1." },
  { path: "pr.draft", line: 3, source: "acme/shared:.github/autofix.yml", message: 'found the text "maybe", but this must be `true` or `false`.' },
  { path: "", message: "the file must be a mapping of options (`key: value` lines), but it holds a list." },
];

describe("rendering config problems", () => {
  it("lists each problem in Markdown with its path, line and file", () => {
    expect(renderConfigProblems(problems)).toBe(
      [
        "- `gates.semantic.minConfidence` (line 4): `3` is too large; this must be a number from 0 to 1.",
        '- `pr.draft` (line 3 in `acme/shared:.github/autofix.yml`): found the text "maybe", but this must be `true` or `false`.',
        "- the file: the file must be a mapping of options (`key: value` lines), but it holds a list.",
      ].join("\n"),
    );
  });

  it("prints plain `file:line: path: message` lines for the CLI", () => {
    expect(renderConfigProblemsText(problems)).toBe(
      [
        ".github/autofix.yml:4: gates.semantic.minConfidence: `3` is too large; this must be a number from 0 to 1.",
        'acme/shared:.github/autofix.yml:3: pr.draft: found the text "maybe", but this must be `true` or `false`.',
        ".github/autofix.yml: the file must be a mapping of options (`key: value` lines), but it holds a list.",
      ].join("\n"),
    );
  });

  it("a quoted value cannot mention people or inject HTML into the comment", () => {
    const result = parseConfig("permission: '@everyone <img src=x>'\n");
    if (result.ok) throw new Error("accepted");
    const markdown = renderConfigProblems(result.problems);
    expect(markdown).not.toMatch(/@everyone|<img/);
    expect(markdown).toContain("&lt;img");
  });

  it("ConfigInvalid carries the problems and says what to do next", () => {
    const err = new ConfigInvalid(problems.slice(0, 1));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.retryable).toBe(false);
    expect(err.problems).toHaveLength(1);
    expect(err.explanation.what).toBe(".github/autofix.yml has a problem, so autofix did not start.");
    expect(err.explanation.why).toContain(".github/autofix.yml:4: gates.semantic.minConfidence");
    expect(err.explanation.next).toContain("docs/configuration.md");
  });
});
