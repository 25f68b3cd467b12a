// Links judged as the filesystem resolves them, and manifests the bot reads from a spawn opened without
// following links: a chain of harmless-looking links that climbs out is refused; go.mod pointing at a host
// file is never read; package.json pointing at /dev/zero costs nothing.
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkGuards, DEFAULT_GUARD_LIMITS, resolveInTree } from "../../src/engine/guards.js";
import type { Baseline, Delta, FileChange } from "../../src/engine/types.js";
import { detectCommands } from "../../src/gates/detect.js";
import { readSpawnFile } from "../../src/sandbox/index.js";

const baseline: Baseline = { baseSha: "b".repeat(40), files: { "README.md": { oid: "a".repeat(40), mode: "100644" } } };

function links(entries: Record<string, string>): Delta {
  const files = Object.entries(entries).map(
    ([p, target]) =>
      ({ path: p, kind: "add", binary: false, size: target.length, linesAdded: 1, linesDeleted: 0, newMode: "120000", linkTarget: target }) as FileChange,
  );
  return {
    baseSha: baseline.baseSha,
    files,
    stats: { filesAdded: files.length, filesModified: 0, filesDeleted: 0, linesAdded: files.length, linesDeleted: 0, bytesWritten: 10 },
    excluded: [],
    touchedButRestored: false,
  };
}

const escapingCodes = (d: Delta, baseLinks: Record<string, string> = {}) =>
  checkGuards(d, baseline, DEFAULT_GUARD_LIMITS, baseLinks).filter((v) => v.code === "ESCAPING_SYMLINK");

describe("symlink chains", () => {
  it("refuses `a/b -> ..` plus a key link that climbs out through it, though each text stays inside", () => {
    const chain = links({ "a/b": "..", key: "a/b/a/b/../../etc/passwd" });
    const refused = escapingCodes(chain);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.paths).toContain("key");
  });

  it("refuses a chain through a link of the base commit the agent did not touch", () => {
    expect(escapingCodes(links({ key: "up/../x" }), { up: "../.." })).toHaveLength(1);
  });

  it("refuses a loop and a chain ending in .git", () => {
    expect(
      resolveInTree(
        "loop",
        new Map([
          ["loop", "loop2"],
          ["loop2", "loop"],
        ]),
      ).escapes,
    ).toBe(true);
    expect(escapingCodes(links({ g: "d/../.git", d: "." }))).toHaveLength(1);
  });

  it("passes links that stay inside however they are chained", () => {
    expect(escapingCodes(links({ "docs/readme": "../README.md", "a/b": "..", key: "a/b/README.md" }))).toHaveLength(0);
    expect(
      resolveInTree(
        "key",
        new Map([
          ["a/b", ".."],
          ["key", "a/b/a/README.md"],
        ]),
      ),
    ).toEqual({ escapes: false, resolved: "a/README.md" });
  });
});

describe("files the bot reads from a spawn", () => {
  const spawn = () => mkdtempSync(path.join(tmpdir(), "spawn-links-"));

  it("does not read go.mod through a link to a host file, so nothing of it can be quoted", async () => {
    const host = mkdtempSync(path.join(tmpdir(), "host-"));
    writeFileSync(path.join(host, "secret"), "module host-secret-canary\n");
    const dir = spawn();
    symlinkSync(path.join(host, "secret"), path.join(dir, "go.mod"));
    expect(await readSpawnFile(dir, "go.mod")).toBeUndefined();
    expect(await detectCommands(dir)).toEqual([]);
  });

  it("ignores package.json linked to /dev/zero without reading it", async () => {
    const dir = spawn();
    symlinkSync("/dev/zero", path.join(dir, "package.json"));
    const before = process.memoryUsage().rss;
    expect(await detectCommands(dir)).toEqual([]);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
  });

  it("ignores a manifest bigger than the cap and reads a normal one", async () => {
    const dir = spawn();
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ scripts: { test: "node --test" }, pad: "x".repeat(2 * 1024 * 1024) }));
    expect(await detectCommands(dir)).toEqual([]);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ scripts: { test: "node --test" } }));
    expect((await detectCommands(dir)).map((c) => c.run)).toEqual(["npm test"]);
  });

  it("does not follow a linked directory on the way to the file", async () => {
    const host = mkdtempSync(path.join(tmpdir(), "host-"));
    writeFileSync(path.join(host, "alternates"), "/etc\n");
    const dir = spawn();
    symlinkSync(host, path.join(dir, ".git"));
    expect(await readSpawnFile(dir, ".git/alternates")).toBeUndefined();
  });
});
