// The engine decodes packs itself (native zlib): its index must be byte-identical to git's own, and every
// object it reads must match what native git reads.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ObjectReader } from "../../src/engine/git/objectReader.js";
import { applyGitDelta, indexPack, writePackIndex } from "../../src/engine/git/packFormat.js";
import { buildRepo, generatedFiles, git, tempDir } from "../support/repoBuilder.js";

describe("pack format", () => {
  it("indexes a deltified pack into the same .idx bytes git index-pack writes", async () => {
    const repo = buildRepo(tempDir(), "p", { ...generatedFiles(300, 1024), "bin.dat": Buffer.from([0, 1, 2, 3, 255]) });
    repo.commit({ "src/d0/e0/file0.ts": "changed\n" });
    const revs = git(repo.bare, "rev-parse", "main").trim();
    const pack = execFileSync("git", ["pack-objects", "--revs", "--stdout", "--depth=50"], { cwd: repo.bare, input: `${revs}\n` });
    const dir = tempDir();
    writeFileSync(path.join(dir, "x.pack"), pack);
    execFileSync("git", ["index-pack", "-o", path.join(dir, "x.idx"), path.join(dir, "x.pack")]);
    const { entries, packSha } = await indexPack(pack);
    expect(writePackIndex(entries, packSha).equals(readFileSync(path.join(dir, "x.idx")))).toBe(true);
  });

  it("reads every object of a repository exactly as native git does, packed and loose", () => {
    const repo = buildRepo(tempDir(), "q", generatedFiles(50, 900));
    git(repo.bare, "repack", "-a", "-d", "-q", "--depth=50");
    repo.commit({ "loose.txt": "a loose object after the repack\n" });
    const reader = new ObjectReader(repo.bare);
    const oids = git(repo.bare, "rev-list", "--objects", "--all")
      .trim()
      .split("\n")
      .map((l) => l.slice(0, 40));
    for (const oid of oids) {
      const type = git(repo.bare, "cat-file", "-t", oid).trim();
      const content = execFileSync("git", ["cat-file", type, oid], { cwd: repo.bare });
      const read = reader.read(oid);
      expect(read.type).toBe(type);
      expect(read.content.equals(content)).toBe(true);
    }
    expect(() => reader.read("0".repeat(40))).toThrow(/not found/);
    reader.close();
  });

  it("applies copy and insert delta instructions", () => {
    const base = Buffer.from("hello, world");
    // base size 12, result size 9; 0x90 = copy 5 bytes from offset 0; 4 = insert the next 4 bytes.
    const delta = Buffer.from([12, 9, 0x90, 5, 4, 0x21, 0x21, 0x21, 0x21]);
    expect(applyGitDelta(base, delta).toString()).toBe("hello!!!!");
  });
});
