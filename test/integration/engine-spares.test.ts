// Spare checkouts through the loopback git server: the second spawn of a commit is a rename of a spare
// built in the background, byte-identical to a checkout; a spare touched in any way after it was built
// is discarded for a fresh checkout; one spare goes to one spawn; spares follow the base as it moves.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { recordBaseline } from "../../src/engine/baseline.js";
import { computeDelta } from "../../src/engine/delta.js";
import { blobOid } from "../../src/engine/git/gitObjects.js";
import { findTampering, SpareRegistry, SPARES_DIR } from "../../src/engine/spares.js";
import { STAT_FIELDS } from "../../src/engine/spawnState.js";
import { materialize, sweepStaleSpawns } from "../../src/engine/spawn.js";
import type { RepoSource } from "../../src/engine/types.js";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, generatedFiles, gitAsync, tempDir, type BuiltRepo } from "../support/repoBuilder.js";
import { snapshotTree } from "./engine-helpers.js";

const appFiles = () => ({
  ...generatedFiles(300),
  "README.md": "# app\n",
  "bin/run.sh": { content: "#!/bin/sh\necho hi\n", executable: true },
  "docs/link.md": { symlink: "../README.md" },
  ".gitignore": "dist/\nnode_modules/\n",
});

describe("spare checkouts", () => {
  let server: GitServer;
  let root: string;
  let repo: BuiltRepo;
  let source: RepoSource;
  let nativeCheckout: Record<string, string>;
  const discarded: { dir: string; reason: string }[] = [];
  const sources: string[] = [];
  const hooks = {
    onDiscard: (dir: string, reason: string) => discarded.push({ dir, reason }),
    onMaterialized: (source: string) => sources.push(source),
  };
  /** Each test's worker process owns its spares; no state is shared between tests. */
  let registry = new SpareRegistry({ ...hooks });

  beforeAll(async () => {
    root = tempDir();
    repo = buildRepo(root, "app", appFiles());
    server = await startGitServer({ root });
    source = { cacheKey: "loopback/app", url: server.repoUrl("app") };
    const clone = tempDir("native-clone-");
    await gitAsync(clone, "clone", "-q", "--depth", "1", server.repoUrl("app"), "c");
    nativeCheckout = snapshotTree(path.join(clone, "c"));
  });
  afterEach(async () => {
    await registry.discardAll();
    registry = new SpareRegistry({ ...hooks });
    discarded.length = 0;
    sources.length = 0;
  });
  afterAll(() => server.close());

  /** A worker that spawned this repository once and then sat idle while its spare was built. */
  async function warmWorker(from = source): Promise<{ work: string; cacheRoot: string; spareDir: string }> {
    registry = new SpareRegistry({ ...hooks });
    const work = tempDir();
    const cacheRoot = tempDir();
    const first = await materialize({ spares: registry, jobId: "first", source: from, baseRef: "main", workRoot: work, cacheRoot });
    expect(first.fromSpare).toBeUndefined();
    await registry.settled();
    return { work, cacheRoot, spareDir: onlySpare(work) };
  }

  const spares = (work: string) => readdirSync(path.join(work, SPARES_DIR)).map((n) => path.join(work, SPARES_DIR, n));
  function onlySpare(work: string): string {
    const list = spares(work);
    expect(list).toHaveLength(1);
    return list[0];
  }

  it("gives the next spawn of the commit a verified spare: identical to a checkout, clean to git, its delta exact", async () => {
    const { work, cacheRoot, spareDir } = await warmWorker();
    const second = await materialize({ spares: registry, jobId: "second", source, baseRef: "main", workRoot: work, cacheRoot });
    expect(second.fromSpare).toBe(true);
    expect(existsSync(spareDir)).toBe(false);
    expect(snapshotTree(second.dir)).toEqual(nativeCheckout);
    expect(JSON.parse(readFileSync(path.join(second.dir, ".git", "autofix-spawn.json"), "utf8"))).toMatchObject({
      jobId: "second",
      baseSha: repo.head(),
      sync: "none",
    });
    expect(await gitAsync(second.dir, "status", "--porcelain")).toBe("");

    const baseline = await recordBaseline(second);
    writeFileSync(path.join(second.dir, "README.md"), "# app, fixed\n");
    mkdirSync(path.join(second.dir, "dist"));
    writeFileSync(path.join(second.dir, "dist", "out.js"), "built\n");
    const delta = await computeDelta(second, baseline);
    expect(delta.files.map((f) => [f.path, f.kind])).toEqual([["README.md", "modify"]]);
    expect(await gitAsync(second.dir, "status", "--porcelain")).toBe(" M README.md\n");

    // Refilled for the next job, with the first spawn's files untouched by any of this.
    await registry.settled();
    expect(spares(work)).toHaveLength(1);
    expect(discarded).toEqual([]);
    expect(sources).toEqual(["checkout", "spare"]);
  });

  const tamperings: [string, (spare: string) => void, RegExp][] = [
    [
      "an edit of the same size with its mtime put back",
      (spare) => {
        const file = path.join(spare, "README.md");
        const { atime, mtime } = statSync(file);
        writeFileSync(file, "# APP\n");
        utimesSync(file, atime, mtime);
      },
      /README\.md changed/,
    ],
    ["a file made executable", (spare) => chmodSync(path.join(spare, "README.md"), 0o755), /README\.md changed/],
    [
      "an added file under an ignored path",
      (spare) => {
        mkdirSync(path.join(spare, "node_modules", "evil"), { recursive: true });
        writeFileSync(path.join(spare, "node_modules", "evil", "index.js"), "steal()\n");
      },
      /unexpected directory node_modules/,
    ],
    [
      "a planted .git directory",
      (spare) => {
        mkdirSync(path.join(spare, ".git"));
        writeFileSync(path.join(spare, ".git", "config"), '[remote "origin"]\n\turl = https://evil.example\n');
      },
      /unexpected directory \.git/,
    ],
    [
      "a file swapped for a symlink out of the tree",
      (spare) => {
        unlinkSync(path.join(spare, "README.md"));
        symlinkSync("/etc/passwd", path.join(spare, "README.md"));
      },
      /README\.md changed/,
    ],
    ["a deleted file", (spare) => unlinkSync(path.join(spare, "bin", "run.sh")), /1 file\(s\) missing/],
    ["a hard link kept from outside", (spare) => linkSync(path.join(spare, "README.md"), path.join(tempDir(), "handle")), /README\.md changed/],
  ];

  for (const [what, tamper, reason] of tamperings) {
    it(`discards a spare after ${what} and checks the spawn out afresh`, async () => {
      const { work, cacheRoot, spareDir } = await warmWorker();
      tamper(spareDir);
      const spawn = await materialize({ spares: registry, jobId: "next", source, baseRef: "main", workRoot: work, cacheRoot });
      expect(spawn.fromSpare).toBeUndefined();
      expect(snapshotTree(spawn.dir)).toEqual(nativeCheckout);
      expect(existsSync(path.join(spawn.dir, "node_modules"))).toBe(false);
      expect(existsSync(spareDir)).toBe(false);
      expect(discarded).toHaveLength(1);
      expect(discarded[0].reason).toMatch(reason);
    });
  }

  it("checks by content the files written in a build's last moments, where a same-tick rewrite leaves every stat field as it was", () => {
    const dir = tempDir("racy-");
    writeFileSync(path.join(dir, "late.txt"), "HELLO\n");
    // The snapshot as the build would have taken it had the rewrite landed in the same file-time tick.
    const info = statSync(path.join(dir, "late.txt"));
    const stat = { paths: ["late.txt"], rows: new Float64Array([info.size, info.mtimeMs, info.ctimeMs, info.ino, info.mode].slice(0, STAT_FIELDS)) };
    const racy = [{ path: "late.txt", oid: blobOid(Buffer.from("hello\n")), link: false }];
    expect(findTampering(dir, stat, [])).toBeUndefined(); // stat alone cannot see it
    expect(findTampering(dir, stat, [], undefined, racy)).toBe("late.txt changed after the spare was built");
    expect(findTampering(dir, stat, [], undefined, [{ ...racy[0], oid: blobOid(Buffer.from("HELLO\n")) }])).toBeUndefined();
  });

  it("hands one spare to one spawn when two jobs of the same commit start together", async () => {
    const { work, cacheRoot, spareDir } = await warmWorker();
    const spareInode = statSync(path.join(spareDir, "README.md")).ino;
    const both = await Promise.all(
      ["left", "right"].map((jobId) => materialize({ spares: registry, jobId, source, baseRef: repo.head(), workRoot: work, cacheRoot })),
    );
    // The spare went to exactly one of them (the other checked out, or got a spare built meanwhile).
    expect(both.filter((s) => statSync(path.join(s.dir, "README.md")).ino === spareInode)).toHaveLength(1);
    for (const s of both) expect(snapshotTree(s.dir)).toEqual(nativeCheckout);
  });

  it("brings a spare of an older commit forward when the base moved: only the changed paths are rewritten", async () => {
    const moving = buildRepo(root, "moving", appFiles());
    const movingSource: RepoSource = { cacheKey: "loopback/moving", url: server.repoUrl("moving") };
    const { work, cacheRoot, spareDir } = await warmWorker(movingSource);
    const before = moving.head();
    const untouched = "src/d1/e0/file1.ts";
    const untouchedIno = statSync(path.join(spareDir, untouched)).ino;
    moving.commit({
      "README.md": "# app, moved on\n",
      "bin/run.sh": { content: "#!/bin/sh\necho hi\n", executable: false },
      "docs/link.md": "now a file\n",
      "src/d2/e0/file2.ts": null,
      "new/deep/dir/added.txt": "added upstream\n",
    });
    // A directory whose files all went away, and a file that turned into a directory.
    const emptied = Object.keys(generatedFiles(300)).filter((p) => p.startsWith("src/d3/e3/"));
    moving.commit({ ...Object.fromEntries(emptied.map((p) => [p, null])), "assets.txt": "x\n" });
    const withFile = await materialize({ spares: registry, jobId: "with-file", source: movingSource, baseRef: "main", workRoot: work, cacheRoot });
    expect(withFile.fromSpare).toBe(true);
    expect(readFileSync(path.join(withFile.dir, "assets.txt"), "utf8")).toBe("x\n");
    // Brought forward, not checked out again: an unchanged file is the spare's very inode.
    expect(statSync(path.join(withFile.dir, untouched)).ino).toBe(untouchedIno);
    await registry.settled();
    const refilledIno = statSync(path.join(onlySpare(work), untouched)).ino;
    moving.commit({ "assets.txt": null, "assets.txt/inner.txt": "now a dir\n" });
    {
      const moved = await materialize({ spares: registry, jobId: "moved", source: movingSource, baseRef: "main", workRoot: work, cacheRoot });
      expect(moved.baseSha).not.toBe(before);
      expect(moved.fromSpare).toBe(true);
      const clone = tempDir("native-moved-");
      await gitAsync(clone, "clone", "-q", "--depth", "1", server.repoUrl("moving"), "c");
      expect(snapshotTree(moved.dir)).toEqual(snapshotTree(path.join(clone, "c")));
      expect(readFileSync(path.join(moved.dir, "assets.txt", "inner.txt"), "utf8")).toBe("now a dir\n");
      expect(existsSync(path.join(moved.dir, "src/d3/e3"))).toBe(false);
      expect(statSync(path.join(moved.dir, untouched)).ino).toBe(refilledIno);
      expect(await gitAsync(moved.dir, "status", "--porcelain")).toBe("");
      const baseline = await recordBaseline(moved);
      writeFileSync(path.join(moved.dir, "new/deep/dir/added.txt"), "fixed\n");
      const delta = await computeDelta(moved, baseline);
      expect(delta.files.map((f) => [f.path, f.kind])).toEqual([["new/deep/dir/added.txt", "modify"]]);
      await registry.settled();
      const next = await materialize({ spares: registry, jobId: "after", source: movingSource, baseRef: "main", workRoot: work, cacheRoot });
      expect(next.fromSpare).toBe(true);
      expect(next.baseSha).toBe(moved.baseSha);
      expect(sources).toEqual(["checkout", "advanced-spare", "advanced-spare", "spare"]);
    }
  });

  it("checks out afresh instead of bringing forward a spare that was touched, or when most of the tree changed", async () => {
    const moving = buildRepo(root, "rewritten", appFiles());
    const movingSource: RepoSource = { cacheKey: "loopback/rewritten", url: server.repoUrl("rewritten") };
    const first = await warmWorker(movingSource);
    writeFileSync(path.join(first.spareDir, "README.md"), "# tampered\n");
    moving.commit({ "README.md": "# app, again\n" });
    const touched = await materialize({
      spares: registry,
      jobId: "touched",
      source: movingSource,
      baseRef: "main",
      workRoot: first.work,
      cacheRoot: first.cacheRoot,
    });
    expect(touched.fromSpare).toBeUndefined();
    expect(readFileSync(path.join(touched.dir, "README.md"), "utf8")).toBe("# app, again\n");
    expect(discarded.map((d) => d.reason)).toEqual([expect.stringMatching(/README\.md changed/)]);

    const second = await warmWorker(movingSource);
    moving.commit(Object.fromEntries(Object.keys(generatedFiles(300)).map((p) => [p, `rewritten ${p}\n`])));
    const rewritten = await materialize({
      spares: registry,
      jobId: "rewritten",
      source: movingSource,
      baseRef: "main",
      workRoot: second.work,
      cacheRoot: second.cacheRoot,
    });
    expect(rewritten.fromSpare).toBeUndefined();
    expect(readFileSync(path.join(rewritten.dir, "src/d1/e0/file1.ts"), "utf8")).toBe("rewritten src/d1/e0/file1.ts\n");
    expect(existsSync(second.spareDir)).toBe(false);
  });

  it("drops a spare nobody claimed once its time is up, so an idle worker frees the disk", async () => {
    registry = new SpareRegistry({ ttlMs: 1_000, ...hooks });
    const work = tempDir();
    const cacheRoot = tempDir();
    await materialize({ spares: registry, jobId: "early", source, baseRef: "main", workRoot: work, cacheRoot });
    await registry.settled();
    expect(spares(work)).toHaveLength(1);
    const deadline = Date.now() + 8_000;
    while (spares(work).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(spares(work)).toEqual([]);
    const late = await materialize({ spares: registry, jobId: "late", source, baseRef: "main", workRoot: work, cacheRoot });
    expect(late.fromSpare).toBeUndefined();
    expect(sources).toEqual(["checkout", "checkout"]);
  });

  it("builds no spare when the operator turned them off", async () => {
    registry = new SpareRegistry({ enabled: false });
    const work = tempDir();
    const cacheRoot = tempDir();
    await materialize({ spares: registry, jobId: "one", source, baseRef: "main", workRoot: work, cacheRoot });
    await registry.settled();
    const two = await materialize({ spares: registry, jobId: "two", source, baseRef: "main", workRoot: work, cacheRoot });
    expect(two.fromSpare).toBeUndefined();
    expect(existsSync(path.join(work, SPARES_DIR))).toBe(false);
  });

  it("sweeps spares no live process owns, keeps its own, and removes them all at shutdown", async () => {
    const { work, spareDir } = await warmWorker();
    const gone = spawnSync(process.execPath, ["-e", "process.pid"]).pid!;
    const orphan = path.join(work, SPARES_DIR, `${gone}-0123456789ab`);
    mkdirSync(path.join(orphan, "half", "built"), { recursive: true });
    const removed = await sweepStaleSpawns(work, new Set(), registry);
    expect(removed).toContain(orphan);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(spareDir)).toBe(true);
    await registry.discardAll();
    expect(readdirSync(path.join(work, SPARES_DIR))).toEqual([]);
  });

  it("stops a build under way at shutdown and leaves nothing behind", async () => {
    registry = new SpareRegistry();
    const work = tempDir();
    const big = buildRepo(tempDir(), "big", generatedFiles(2000));
    await materialize({
      spares: registry,
      jobId: "big",
      source: { cacheKey: "local/big", url: big.bare },
      workRoot: work,
      baseRef: "main",
      cacheRoot: tempDir(),
    });
    const sparesRoot = path.join(work, SPARES_DIR);
    const deadline = Date.now() + 10_000;
    while (!(existsSync(sparesRoot) && readdirSync(sparesRoot).length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    expect(readdirSync(sparesRoot)).toHaveLength(1);
    await registry.discardAll();
    expect(readdirSync(sparesRoot)).toEqual([]);
  });
  it("builds a spare on a helper thread at the lowest priority, never on the thread that runs the jobs", async () => {
    registry = new SpareRegistry();
    const work = tempDir();
    const big = buildRepo(tempDir(), "big", generatedFiles(2000));
    await materialize({
      spares: registry,
      jobId: "big",
      source: { cacheKey: "local/big", url: big.bare },
      workRoot: work,
      baseRef: "main",
      cacheRoot: tempDir(),
    });
    // Linux keeps a nice value per thread (/proc/self/task/<tid>/stat, field 19): the build's thread shows 19.
    const niceThreads = () =>
      readdirSync("/proc/self/task").filter((tid) => {
        try {
          const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]) === 19;
        } catch {
          return false;
        }
      });
    let seen = false;
    const building = registry.settled().then(() => (seen ||= niceThreads().length > 0));
    for (let i = 0; i < 20_000 && !seen; i++) {
      seen = niceThreads().length > 0;
      await new Promise((r) => setTimeout(r, 1));
    }
    await building;
    expect(seen).toBe(true);
    const main = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    expect(Number(main.slice(main.lastIndexOf(")") + 2).split(" ")[16])).toBe(0);
    expect(spares(work)).toHaveLength(1);
  });
  it("a checkout on a helper thread (a long-lived worker's spawns) is identical to one on the main thread, clean to git, its delta exact", async () => {
    const work = tempDir();
    const onThread = await materialize({ jobId: "threaded", source, baseRef: "main", workRoot: work, cacheRoot: tempDir(), checkoutOn: "thread" });
    expect(onThread.fromSpare).toBeUndefined();
    expect(snapshotTree(onThread.dir)).toEqual(nativeCheckout);
    expect(await gitAsync(onThread.dir, "status", "--porcelain")).toBe("");
    const baseline = await recordBaseline(onThread);
    writeFileSync(path.join(onThread.dir, "bin", "run.sh"), "#!/bin/sh\necho fixed\n");
    const delta = await computeDelta(onThread, baseline);
    expect(delta.files.map((f) => [f.path, f.kind])).toEqual([["bin/run.sh", "modify"]]);
    expect(await gitAsync(onThread.dir, "status", "--porcelain")).toBe(" M bin/run.sh\n");
  });
});
