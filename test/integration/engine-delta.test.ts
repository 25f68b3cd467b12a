// The delta on edge cases a real agent produces: same-size edits right after checkout, ignore rules the
// agent edits, tracked tool files, a file turned into a directory, renames; and applyDelta's round trip.
import { chmodSync, linkSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { recordBaseline } from "../../src/engine/baseline.js";
import { computeDelta } from "../../src/engine/delta.js";
import { applyDelta, materialize } from "../../src/engine/spawn.js";
import { readSpawnFindings } from "../../src/engine/spawnState.js";
import type { RepoSource } from "../../src/engine/types.js";
import { buildRepo, generatedFiles, tempDir } from "../support/repoBuilder.js";

describe("computeDelta", () => {
  let source: RepoSource;
  let workRoot: string;
  let cacheRoot: string;
  let n = 0;
  beforeAll(() => {
    const repo = buildRepo(tempDir(), "d", {
      "src/app.ts": "export const a = 1;\n",
      "src/util.ts": "export const u = 2;\n",
      ".gitignore": "build/\n*.log\n",
      ".vscode/settings.json": "{}\n",
      "docs/guide.md": "# Guide\n",
    });
    source = { cacheKey: `local:${repo.bare}`, url: repo.bare };
    workRoot = tempDir();
    cacheRoot = tempDir();
  });

  async function fresh() {
    const spawn = await materialize({ jobId: `delta-${++n}`, source, baseRef: "main", workRoot, cacheRoot });
    return { spawn, baseline: await recordBaseline(spawn) };
  }

  it("sees a same-size edit made right after materialization", async () => {
    const { spawn, baseline } = await fresh();
    writeFileSync(path.join(spawn.dir, "src/app.ts"), "export const a = 9;\n");
    const delta = await computeDelta(spawn, baseline);
    expect(delta.files.map((f) => [f.path, f.kind])).toEqual([["src/app.ts", "modify"]]);
  });

  it("judges ignore rules from the base commit, so editing .gitignore cannot hide a file", async () => {
    const { spawn, baseline } = await fresh();
    writeFileSync(path.join(spawn.dir, ".gitignore"), "build/\n*.log\nsecret.txt\n");
    writeFileSync(path.join(spawn.dir, "secret.txt"), "smuggled\n");
    writeFileSync(path.join(spawn.dir, "debug.log"), "noise\n");
    mkdirSync(path.join(spawn.dir, "build"));
    writeFileSync(path.join(spawn.dir, "build/out.js"), "x\n");
    const delta = await computeDelta(spawn, baseline);
    expect(delta.files.map((f) => f.path)).toEqual([".gitignore", "secret.txt"]);
    expect(delta.excluded).toEqual([
      { path: "build/", reason: "ignored" },
      { path: "debug.log", reason: "ignored" },
    ]);
  });

  it("leaves an unchanged tracked tool file alone and reports a changed one as excluded", async () => {
    const { spawn, baseline } = await fresh();
    expect((await computeDelta(spawn, baseline)).excluded).toEqual([]);
    writeFileSync(path.join(spawn.dir, ".vscode/settings.json"), '{"editor.tabSize": 8}\n');
    writeFileSync(path.join(spawn.dir, "docs/guide.md"), "# Guide\n\nMore.\n");
    const delta = await computeDelta(spawn, baseline, { toolFiles: ["docs/notes/**"] });
    expect(delta.files.map((f) => f.path)).toEqual(["docs/guide.md"]);
    expect(delta.excluded).toEqual([{ path: ".vscode/settings.json", reason: "tool-file" }]);
  });

  it("shows a rename as delete plus add, and a file turned into a directory likewise", async () => {
    const { spawn, baseline } = await fresh();
    renameSync(path.join(spawn.dir, "src/util.ts"), path.join(spawn.dir, "src/helpers.ts"));
    rmSync(path.join(spawn.dir, "docs/guide.md"));
    mkdirSync(path.join(spawn.dir, "docs/guide.md"));
    writeFileSync(path.join(spawn.dir, "docs/guide.md/index.md"), "# Guide\n");
    const delta = await computeDelta(spawn, baseline);
    expect(delta.files.map((f) => [f.path, f.kind])).toEqual([
      ["docs/guide.md", "delete"],
      ["docs/guide.md/index.md", "add"],
      ["src/helpers.ts", "add"],
      ["src/util.ts", "delete"],
    ]);
    expect(delta.files.find((f) => f.path === "src/util.ts")?.patch).toBe("--- a/src/util.ts\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-export const u = 2;\n");
  });

  it("applyDelta on a fresh spawn reproduces the same delta", async () => {
    const first = await fresh();
    writeFileSync(path.join(first.spawn.dir, "src/app.ts"), "export const a = 2;\n", { mode: 0o755 });
    rmSync(path.join(first.spawn.dir, "src/util.ts"));
    writeFileSync(path.join(first.spawn.dir, "new.bin"), Buffer.from([0, 1, 2]));
    const delta = await computeDelta(first.spawn, first.baseline);
    const second = await fresh();
    await applyDelta(delta, second.spawn.dir);
    expect(await computeDelta(second.spawn, second.baseline)).toEqual(delta);
    await expect(applyDelta({ ...delta, files: [{ ...delta.files[0], path: "../escape.txt" }] }, second.spawn.dir)).rejects.toMatchObject({
      code: "DELTA_PATH_INVALID",
    });
  });

  it("on a tree large enough to split its lstat calls across threads, finds every change in either half and nothing else", async () => {
    const files = generatedFiles(9000, 64);
    const big = buildRepo(tempDir(), "big", files);
    const spawn = await materialize({ jobId: "delta-big", source: { cacheKey: `local:${big.bare}`, url: big.bare }, baseRef: "main", workRoot, cacheRoot });
    const baseline = await recordBaseline(spawn);
    const sorted = Object.keys(files).sort();
    const [first, second, third] = sorted;
    const [last, beforeLast, secondLast] = sorted.slice(-3).reverse();
    writeFileSync(path.join(spawn.dir, first), "// edited at the start\n");
    unlinkSync(path.join(spawn.dir, second));
    chmodSync(path.join(spawn.dir, third), 0o755);
    writeFileSync(path.join(spawn.dir, last), "// edited at the end\n");
    linkSync(path.join(spawn.dir, beforeLast), path.join(tempDir(), "outside"));
    writeFileSync(path.join(spawn.dir, secondLast.replace(/[^/]+$/, "added.ts")), "export const added = 1;\n");
    const delta = await computeDelta(spawn, baseline);
    expect(delta.files.map((f) => [f.path, f.kind, f.newMode ?? ""])).toEqual(
      [
        [first, "modify", "100644"],
        [second, "delete", ""],
        [third, "modify", "100755"],
        [last, "modify", "100644"],
        [secondLast.replace(/[^/]+$/, "added.ts"), "add", "100644"],
      ].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    );
    // Unchanged content, but its link count says a file outside the spawn can rewrite it.
    expect((await readSpawnFindings(spawn)).hardlinked).toEqual([beforeLast]);
  });
});
