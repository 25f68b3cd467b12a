// Two engines in one process share nothing: each has its own object readers and its own lstat helper thread,
// so closing one (a test's, a runtime's) leaves the other reading objects and computing deltas as before.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { computeDelta, createEngine, materialize, readSpawnState, recordBaseline, storeAt } from "../../src/engine/index.js";
import type { GitObject } from "../../src/engine/git/packFormat.js";
import { buildRepo, generatedFiles, tempDir } from "../support/repoBuilder.js";

describe("createEngine", () => {
  const first = createEngine();
  const second = createEngine();
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  // Over two lstat batches (2,000 paths each), so the delta hands work to the helper thread.
  const repo = buildRepo(tempDir(), "ctx", generatedFiles(4_500, 16));
  const source = { cacheKey: `local:${repo.bare}`, url: repo.bare };
  const workRoot = tempDir();
  const cacheRoot = tempDir();
  let n = 0;

  async function editedDelta(engine: typeof first) {
    const spawn = await materialize({ jobId: `ctx-${++n}`, source, baseRef: "main", workRoot, cacheRoot, engine });
    const baseline = await recordBaseline(spawn, engine);
    writeFileSync(path.join(spawn.dir, "src/d0/e0/file0.ts"), "// edited\n");
    return { spawn, delta: await computeDelta(spawn, baseline, { engine }) };
  }

  it("gives each engine its own object readers: an object one was handed is unknown to the other", async () => {
    const { spawn } = await editedDelta(first);
    const state = await readSpawnState(spawn);
    const mine = storeAt(state.storeGitdir, state.local, first);
    const theirs = storeAt(state.storeGitdir, state.local, second);
    expect(mine.reader).not.toBe(theirs.reader);
    const handed: GitObject = { type: "blob", content: Buffer.from("only in the first engine\n") };
    const oid = "f".repeat(40);
    mine.reader.prime(new Map([[oid, handed]]));
    expect(mine.reader.read(oid).content.toString()).toBe("only in the first engine\n");
    expect(theirs.reader.has(oid)).toBe(false);
  });

  it("keeps the other engine's helper thread and readers working after one engine is closed", async () => {
    const a = await editedDelta(first);
    const b = await editedDelta(second);
    expect(a.delta.files.map((f) => f.path)).toEqual(["src/d0/e0/file0.ts"]);
    expect(b.delta.files.map((f) => f.path)).toEqual(["src/d0/e0/file0.ts"]);
    const secondThread = second.stats.helperThreadId;
    expect(first.stats.helperThreadId).toBeDefined();
    expect(secondThread).toBeDefined();
    expect(secondThread).not.toBe(first.stats.helperThreadId);

    await first.close();
    expect(first.stats.helperThreadId).toBeUndefined();
    const again = await editedDelta(second);
    expect(again.delta.files.map((f) => f.path)).toEqual(["src/d0/e0/file0.ts"]);
    expect(second.stats.helperThreadId).toBe(secondThread);
    // The closed engine still answers (on the caller's thread): closing is not a trap for a late caller.
    const late = await editedDelta(first);
    expect(late.delta.files.map((f) => f.path)).toEqual(["src/d0/e0/file0.ts"]);
    expect(first.stats.helperThreadId).toBeUndefined();
  });
});
