// Where a review comment may go, and what the judges are shown of a delta.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { baselineCacheKey, createBaselineCache } from "../../src/gates/baselineCache.js";
import { renderDiffForJudge } from "../../src/gates/judgeDiff.js";
import { readPatch } from "../../src/gates/patchLines.js";
import { mapFindingsToDiff } from "../../src/gates/review.js";
import { buildDelta } from "../fixtures/cheats/buildDelta.js";

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`).join("\n") + "\n";

describe("new-side lines of a patch", () => {
  it("covers added and context lines of every hunk and nothing between hunks", () => {
    const before = lines(40);
    const after = before.replace("line 5\n", "line five\n").replace("line 30\n", "line thirty\nline thirty-one\n");
    const delta = buildDelta({ "a.txt": before }, { "a.txt": after });
    const covered = [...readPatch(delta.files[0]!.patch).newSideLines].sort((x, y) => x - y);
    // jsdiff keeps four lines of context on each side.
    expect(covered).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35]);
  });

  it("reads a git-style patch with a missing newline marker and a `+++` line inside a hunk", () => {
    const patch = [
      "diff --git a/x.md b/x.md",
      "--- a/x.md",
      "+++ b/x.md",
      "@@ -1,2 +1,2 @@",
      " title",
      "-old",
      "\\ No newline at end of file",
      "+++ counted as an added line starting with ++",
      "\\ No newline at end of file",
    ].join("\n");
    const read = readPatch(patch);
    expect(read.added).toEqual(["++ counted as an added line starting with ++"]);
    expect(read.removed).toEqual(["old"]);
    expect([...read.newSideLines]).toEqual([1, 2]);
  });
});

describe("mapFindingsToDiff", () => {
  it("keeps findings on hunk lines inline and sends deleted files, far lines and unknown paths to the body", () => {
    const delta = buildDelta({ "a.txt": lines(40), "gone.txt": "bye\n" }, { "a.txt": lines(40).replace("line 20\n", "line twenty\n"), "gone.txt": null });
    const { inline, body } = mapFindingsToDiff(
      [
        { path: "a.txt", line: 20, severity: "major", text: "changed line" },
        { path: "a.txt", line: 16, severity: "minor", text: "context line" },
        { path: "a.txt", line: 15, severity: "minor", text: "just outside the hunk" },
        { path: "gone.txt", line: 1, severity: "nit", text: "deleted file" },
        { path: "b.txt", line: 1, severity: "nit", text: "not in the diff" },
      ],
      delta,
    );
    expect(inline.map((f) => f.text)).toEqual(["changed line", "context line"]);
    expect(body.map((f) => f.text)).toEqual(["just outside the hunk", "deleted file", "not in the diff"]);
  });
});

describe("the diff the judges see", () => {
  it("shows a small diff whole, binaries by name and size only", () => {
    const delta = buildDelta({ "a.ts": "a\n" }, { "a.ts": "b\n", "img.png": new Uint8Array([0, 1, 2]) });
    const { text, truncated } = renderDiffForJudge(delta, 10_000);
    expect(truncated).toBe(false);
    expect(text).toContain("- img.png (added, +0 -0, binary, 3 bytes)");
    expect(text).toContain("+b");
    expect(text).not.toContain("TRUNCATED");
  });
});

describe("baseline result cache on disk", () => {
  it("reads a corrupt or foreign file as a miss, never as a result", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "gate-cache-"));
    try {
      const cache = createBaselineCache(dir);
      const key = baselineCacheKey({ baseSha: "a".repeat(40), setup: [], commands: ["npm test"], network: "none" });
      await writeFile(path.join(dir, `${key}.json`), "{ not json");
      expect(await cache.get(key)).toBeUndefined();
      await writeFile(path.join(dir, `${key}.json`), JSON.stringify({ commands: [{ exitCode: "zero" }], recordedAt: "x" }));
      expect(await cache.get(key)).toBeUndefined();
      await cache.set(key, { commands: [{ exitCode: 0, timedOut: false, durationMs: 5, outputTail: "ok", tests: { a: "pass" } }], recordedAt: "now" });
      expect((await cache.get(key))?.commands[0]?.tests).toEqual({ a: "pass" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keys runs by commit, setup, commands and network", () => {
    const base = { baseSha: "a".repeat(40), setup: [], commands: ["npm test"], network: "none" };
    expect(baselineCacheKey(base)).toBe(baselineCacheKey({ ...base }));
    expect(baselineCacheKey(base)).not.toBe(baselineCacheKey({ ...base, setup: ["npm ci"] }));
    expect(baselineCacheKey(base)).not.toBe(baselineCacheKey({ ...base, baseSha: "b".repeat(40) }));
    expect(baselineCacheKey(base)).not.toBe(baselineCacheKey({ ...base, network: "open" }));
  });
});
