// The delta's lstat stream: every path's numbers in push order, whichever thread took its batch, with
// vanished paths marked, on trees small enough for this thread alone and large enough to share.
import { lstatSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ENTRY_FIELDS, StatPool } from "../../src/engine/git/statPool.js";
import { tempDir } from "../support/repoBuilder.js";

function tree(count: number): { root: string; rels: string[] } {
  const root = tempDir("statpool-");
  const rels: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = `d${i % 37}`;
    if (i < 37) mkdirSync(path.join(root, dir));
    const rel = `${dir}/f${i}`;
    if (i % 500 === 7) symlinkSync("../elsewhere", path.join(root, rel));
    else writeFileSync(path.join(root, rel), "x".repeat(i % 13));
    rels.push(rel);
  }
  return { root, rels };
}

const pool = new StatPool();
afterAll(() => pool.close());

async function streamed(root: string, rels: string[], from = pool): Promise<Float64Array> {
  const stream = from.stream(root);
  for (const rel of rels) stream.push(rel);
  return stream.finish();
}

describe("StatPool.stream", () => {
  for (const count of [150, 9_500]) {
    it(`gives every path's lstat in push order, gone paths marked (${count} paths)`, async () => {
      const { root, rels } = tree(count);
      const withGone = [...rels.slice(0, count >> 1), "d1/never-existed", ...rels.slice(count >> 1)];
      const rows = await streamed(root, withGone);
      expect(rows.length).toBe(withGone.length * ENTRY_FIELDS);
      withGone.forEach((rel, i) => {
        const at = i * ENTRY_FIELDS;
        const s = lstatSync(path.join(root, rel), { throwIfNoEntry: false });
        if (!s) return expect(rows[at]).toBe(-1);
        expect([...rows.subarray(at, at + ENTRY_FIELDS)]).toEqual([s.size, s.mtimeMs, s.ctimeMs, s.ino, s.mode, s.nlink]);
      });
    });
  }

  it("answers two streams at once without mixing their paths", async () => {
    const a = tree(6_000);
    const b = tree(7_000);
    const [rowsA, rowsB] = await Promise.all([streamed(a.root, a.rels), streamed(b.root, b.rels)]);
    for (const [{ root, rels }, rows] of [
      [a, rowsA],
      [b, rowsB],
    ] as const) {
      for (const i of [0, 2_345, rels.length - 1]) expect(rows[i * ENTRY_FIELDS + 3]).toBe(lstatSync(path.join(root, rels[i])).ino);
    }
  });

  it("still answers after close, every path on the caller's thread", async () => {
    const closed = new StatPool();
    const { root, rels } = tree(9_000);
    await streamed(root, rels, closed);
    await closed.close();
    const rows = await streamed(root, rels, closed);
    for (const i of [0, 4_321, rels.length - 1]) expect(rows[i * ENTRY_FIELDS + 3]).toBe(lstatSync(path.join(root, rels[i])).ino);
  });
});
