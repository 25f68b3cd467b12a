// Guards and merge rules judged on plain records: what a maintainer reads for each refusal, and how the
// agent's hunks land on a moved head.
import { describe, expect, it } from "vitest";
import { checkGuards, DEFAULT_GUARD_LIMITS, linkEscapes } from "../../src/engine/guards.js";
import { mergeText } from "../../src/engine/merge3.js";
import { toolFileMatcher } from "../../src/engine/toolFiles.js";
import type { Baseline, Delta, FileChange } from "../../src/engine/types.js";

const baseline: Baseline = {
  baseSha: "b".repeat(40),
  files: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.txt`, { oid: "a".repeat(40), mode: "100644" as const }])),
};

function delta(files: Partial<FileChange>[], extra: Partial<Delta> = {}): Delta {
  const full = files.map((f) => ({ kind: "modify", binary: false, size: 10, linesAdded: 1, linesDeleted: 1, path: "x", ...f }) as FileChange);
  return {
    baseSha: baseline.baseSha,
    files: full,
    stats: {
      filesAdded: full.filter((f) => f.kind === "add").length,
      filesModified: full.filter((f) => f.kind === "modify").length,
      filesDeleted: full.filter((f) => f.kind === "delete").length,
      linesAdded: full.reduce((n, f) => n + f.linesAdded, 0),
      linesDeleted: full.reduce((n, f) => n + f.linesDeleted, 0),
      bytesWritten: full.reduce((n, f) => n + (f.kind === "delete" ? 0 : f.size), 0),
    },
    excluded: [],
    touchedButRestored: false,
    ...extra,
  };
}

describe("guards", () => {
  it("an empty delta says the agent made no changes, and lists what was left out", () => {
    const [v] = checkGuards(delta([], { excluded: [{ path: "dist/", reason: "ignored" }] }), baseline, DEFAULT_GUARD_LIMITS);
    expect(v.code).toBe("EMPTY_DELTA");
    expect(v.message).toMatch(/^The agent made no changes\. It only wrote paths the repository ignores/);
    expect(v.paths).toEqual(["dist/"]);
  });

  it("tool files alone and restored files each get their own reason", () => {
    expect(checkGuards(delta([], { excluded: [{ path: ".codex/", reason: "tool-file" }] }), baseline, DEFAULT_GUARD_LIMITS)[0].code).toBe("ONLY_TOOL_FILES");
    expect(checkGuards(delta([], { touchedButRestored: true }), baseline, DEFAULT_GUARD_LIMITS)[0].message).toMatch(/changed files and then restored them all/);
  });

  it("wholesale deletion counts files and the share of the repository", () => {
    const three = delta(["f1.txt", "f2.txt", "f3.txt"].map((p) => ({ path: p, kind: "delete" as const })));
    expect(checkGuards(three, baseline, DEFAULT_GUARD_LIMITS).map((v) => v.code)).toEqual(["WHOLESALE_DELETION"]);
    const one = delta([{ path: "f1.txt", kind: "delete" }]);
    expect(checkGuards(one, baseline, DEFAULT_GUARD_LIMITS)).toEqual([]);
    expect(checkGuards(three, baseline, { ...DEFAULT_GUARD_LIMITS, maxDeletedShare: 0.5 })).toEqual([]);
  });

  it("size, count and line limits name the offending files and the setting to change", () => {
    const limits = { ...DEFAULT_GUARD_LIMITS, maxFiles: 1, maxLinesChanged: 3, maxFileBytes: 100, maxTotalBytes: 150 };
    const violations = checkGuards(
      delta([
        { path: "a.txt", size: 120, linesAdded: 2 },
        { path: "b.txt", size: 50, linesAdded: 2 },
      ]),
      baseline,
      limits,
    );
    expect(violations.map((v) => v.code)).toEqual(["FILE_TOO_LARGE", "TOTAL_TOO_LARGE", "TOO_MANY_FILES", "TOO_MANY_LINES"]);
    expect(violations[0].paths).toEqual(["a.txt"]);
    expect(violations[0].message).toMatch(/limits\.maxFileBytes/);
  });

  it("deny globs match deletions too", () => {
    const v = checkGuards(delta([{ path: ".github/workflows/ci.yml", kind: "delete" }]), baseline, DEFAULT_GUARD_LIMITS);
    expect(v.map((x) => x.code)).toEqual(["DENIED_PATH"]);
  });

  it("a link escapes when absolute, above the root, or into .git", () => {
    expect(linkEscapes("a/link", "/etc/passwd")).toBe(true);
    expect(linkEscapes("a/link", "../../outside")).toBe(true);
    expect(linkEscapes("link", "../x")).toBe(true);
    expect(linkEscapes("a/link", "../.git/config")).toBe(true);
    expect(linkEscapes("a/b/link", "../../README.md")).toBe(false);
    expect(linkEscapes("a/link", "sibling")).toBe(false);
  });
});

describe("three-way text merge", () => {
  const base = Array.from({ length: 30 }, (_, i) => `l${i + 1}`).join("\n") + "\n";
  const edit = (text: string, line: number, value: string) => text.replace(new RegExp(`^l${line}$`, "m"), value);

  it("applies the agent's hunks onto a head that changed elsewhere", () => {
    const result = mergeText("f", base, edit(base, 3, "agent"), edit(base, 25, "head"));
    expect(result).toEqual({ ok: true, text: edit(edit(base, 25, "head"), 3, "agent") });
  });

  it("reports changes to adjacent lines as a conflict, naming the agent's hunk, instead of guessing", () => {
    const result = mergeText("f", base, edit(base, 10, "agent"), edit(base, 11, "head"));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.hunks).toEqual([expect.stringMatching(/^@@ -7,7 \+7,7 @@[\s\S]*-l10\n\+agent/)]);
  });

  it("merges changes one unchanged line apart, as git does", () => {
    const result = mergeText("f", base, edit(base, 10, "agent"), edit(base, 12, "head"));
    expect(result).toEqual({ ok: true, text: edit(edit(base, 12, "head"), 10, "agent") });
  });

  it("takes a change both sides made identically once, and still merges the rest", () => {
    const both = edit(base, 5, "same fix");
    const result = mergeText("f", base, edit(both, 20, "agent"), edit(both, 28, "head"));
    expect(result).toEqual({ ok: true, text: edit(edit(both, 20, "agent"), 28, "head") });
  });

  it("conflicts on different insertions at the same place, and on an edit of lines the other side deleted", () => {
    const insertAgent = base.replace("l15\n", "l15\nagent line\n");
    const insertHead = base.replace("l15\n", "l15\nhead line\n");
    expect(mergeText("f", base, insertAgent, insertHead).ok).toBe(false);
    const deleted = base.replace("l14\nl15\nl16\n", "");
    expect(mergeText("f", base, edit(base, 15, "agent"), deleted).ok).toBe(false);
  });

  it("merges a deleted block with an insertion far away, and keeps a file's missing final newline", () => {
    const noFinalNewline = base.slice(0, -1);
    const agent = noFinalNewline.replace("l3\nl4\nl5\n", "");
    const head = noFinalNewline.replace("l25\n", "l25\nupstream\n");
    const result = mergeText("f", noFinalNewline, agent, head);
    expect(result).toEqual({ ok: true, text: noFinalNewline.replace("l3\nl4\nl5\n", "").replace("l25\n", "l25\nupstream\n") });
    if (result.ok) expect(result.text.endsWith("l30")).toBe(true);
  });
});

describe("agent tool files", () => {
  const isTool = toolFileMatcher(["generated/agent-notes/**"]);
  it("match agent settings and editor leftovers at any depth, plus configured globs", () => {
    for (const p of [
      ".claude/settings.local.json",
      "pkg/.claude/x",
      ".aider.chat.history.md",
      "src/a.ts~",
      "src/.#a.ts",
      "a.orig",
      ".DS_Store",
      "generated/agent-notes/1.md",
      ".codex/",
    ]) {
      expect(isTool(p), p).toBe(true);
    }
    for (const p of ["src/claude.ts", "README.md", "docs/aider.md", "generated/other.md"]) expect(isTool(p), p).toBe(false);
  });
});
