// Materialize through the loopback git server: byte-identical to a native clone whether the object cache
// is cold, warm or being filled by another job; idempotent after a retry or a SIGKILL; no token anywhere.
import { spawn as spawnProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertSpawn, materialize, removeSpawn, sweepStaleSpawns } from "../../src/engine/spawn.js";
import { recordBaseline } from "../../src/engine/baseline.js";
import type { RepoSource } from "../../src/engine/types.js";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, generatedFiles, gitAsync, tempDir, type BuiltRepo } from "../support/repoBuilder.js";
import { snapshotTree } from "./engine-helpers.js";

const TOKEN = "ghs_installationTokenCanary1234567890";
/** The engine's own entries under workRoot, beside the spawns: state records and spares. */
const ENGINE_DIRS = [".autofix-state", ".spares"];

describe("materialize", () => {
  let server: GitServer;
  let root: string;
  let repo: BuiltRepo;
  let source: RepoSource;
  let nativeCheckout: Record<string, string>;

  beforeAll(async () => {
    root = tempDir();
    repo = buildRepo(root, "app", {
      ...generatedFiles(600),
      "README.md": "# app\n",
      "bin/run.sh": { content: "#!/bin/sh\necho hi\n", executable: true },
      "docs/link.md": { symlink: "../README.md" },
      "assets/logo.bin": Buffer.from([0, 1, 2, 255, 254]),
      ".gitignore": "dist/\n",
    });
    server = await startGitServer({ root, passwords: [TOKEN] });
    source = { cacheKey: "loopback/app", url: server.repoUrl("app"), auth: async () => ({ username: "x-access-token", password: TOKEN }) };
    const clone = tempDir("native-clone-");
    await gitAsync(clone, "clone", "-q", "--depth", "1", `http://x-access-token:${TOKEN}@${server.url.slice(7)}/app.git`, "c");
    nativeCheckout = snapshotTree(path.join(clone, "c"));
  });
  afterAll(() => server.close());

  it("checks out the pinned commit byte-identical to a native clone, with sync disabled", async () => {
    const work = tempDir();
    const spawn = await materialize({ jobId: "job-1", source, baseRef: "main", workRoot: work, cacheRoot: tempDir() });
    expect(spawn.baseSha).toBe(repo.head());
    expect(snapshotTree(spawn.dir)).toEqual(nativeCheckout);
    const marker = JSON.parse(readFileSync(path.join(spawn.dir, ".git", "autofix-spawn.json"), "utf8"));
    expect(marker).toMatchObject({ jobId: "job-1", baseSha: repo.head(), sync: "none" });
    const config = readFileSync(path.join(spawn.dir, ".git", "config"), "utf8");
    expect(config).not.toMatch(/remote|url|credential/);
    expect(readFileSync(path.join(spawn.dir, ".git", "HEAD"), "utf8").trim()).toBe(repo.head());
    // Native git in the spawn sees a clean checkout of the pinned commit (objects via alternates).
    expect((await gitAsync(spawn.dir, "cat-file", "-t", repo.head())).trim()).toBe("commit");
    // An agent running git in the spawn sees a clean tree, then exactly its own edit.
    expect(await gitAsync(spawn.dir, "status", "--porcelain")).toBe("");
    writeFileSync(path.join(spawn.dir, "README.md"), "# app, edited\n");
    expect(await gitAsync(spawn.dir, "status", "--porcelain")).toBe(" M README.md\n");
    expect(await gitAsync(spawn.dir, "diff", "--stat")).toMatch(/README\.md \| 2 \+-/);
    await assertSpawn(spawn);
  });

  it("gives the same spawn from a cold cache, a warm cache, and a cache another job is filling", async () => {
    const cacheRoot = tempDir();
    const work = tempDir();
    const [a, b] = await Promise.all([
      materialize({ jobId: "cold-a", source, baseRef: "main", workRoot: work, cacheRoot }),
      materialize({ jobId: "cold-b", source, baseRef: "main", workRoot: work, cacheRoot }),
    ]);
    const warm = await materialize({ jobId: "warm", source, baseRef: "main", workRoot: work, cacheRoot });
    for (const s of [a, b, warm]) expect(snapshotTree(s.dir)).toEqual(nativeCheckout);
    // The cache holds objects only: no working tree, no refs a spawn reads.
    const cacheDirs = readdirSync(cacheRoot);
    expect(cacheDirs).toHaveLength(1);
    expect(readdirSync(path.join(cacheRoot, cacheDirs[0])).sort()).not.toContain("README.md");
  });

  it("pins the base once: a commit pushed after materialization does not reach the spawn", async () => {
    const work = tempDir();
    const before = repo.head();
    const spawn = await materialize({ jobId: "pinned", source, baseRef: "main", workRoot: work, cacheRoot: tempDir() });
    repo.commit({ "README.md": "# moved on\n" });
    try {
      const baseline = await recordBaseline(spawn);
      expect(spawn.baseSha).toBe(before);
      expect(baseline.baseSha).toBe(before);
      expect(readFileSync(path.join(spawn.dir, "README.md"), "utf8")).toBe("# app\n");
    } finally {
      repo.commit({ "README.md": "# app\n" });
    }
  });

  it("materializing the same job twice leaves one clean spawn, even over an agent's edits", async () => {
    const work = tempDir();
    const cacheRoot = tempDir();
    const first = await materialize({ jobId: "twice", source, baseRef: "main", workRoot: work, cacheRoot });
    writeFileSync(path.join(first.dir, "README.md"), "dirty\n");
    writeFileSync(path.join(first.dir, "stray.txt"), "left over\n");
    const second = await materialize({ jobId: "twice", source, baseRef: first.baseSha, workRoot: work, cacheRoot });
    expect(second.dir).toBe(first.dir);
    expect(snapshotTree(second.dir)).toEqual(nativeCheckout);
    expect(readdirSync(work).filter((e) => !ENGINE_DIRS.includes(e))).toEqual(["twice"]);
  });

  it("after a SIGKILL mid-materialization, materializing again gives one clean spawn", async () => {
    const big = buildRepo(root, "big", generatedFiles(3000, 4096));
    const bigSource: RepoSource = { cacheKey: "loopback/big", url: server.repoUrl("big"), auth: source.auth };
    const work = tempDir();
    const cacheRoot = tempDir();
    const runner = path.join(tempDir(), "materialize.mts");
    writeFileSync(
      runner,
      `import { materialize } from ${JSON.stringify(path.resolve("src/engine/spawn.ts"))};\n` +
        `await materialize({ jobId: "killed", source: { cacheKey: "loopback/big", url: ${JSON.stringify(bigSource.url)}, auth: async () => ({ username: "x", password: ${JSON.stringify(TOKEN)} }) }, baseRef: "main", workRoot: ${JSON.stringify(work)}, cacheRoot: ${JSON.stringify(cacheRoot)} });\n`,
    );
    const child = spawnProcess(process.execPath, ["--import", "tsx", runner], { cwd: process.cwd(), stdio: "ignore" });
    // Kill it once the half-built spawn exists (bounded wait).
    let sawBuild = false;
    for (let i = 0; i < 600 && !sawBuild; i++) {
      await new Promise((r) => setTimeout(r, 25));
      sawBuild = existsSync(work) && readdirSync(work).some((e) => e.startsWith(".tmp-killed"));
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(sawBuild).toBe(true);

    const spawn = await materialize({ jobId: "killed", source: bigSource, baseRef: "main", workRoot: work, cacheRoot });
    const clone = tempDir("native-big-");
    await gitAsync(clone, "clone", "-q", big.bare, "c");
    expect(snapshotTree(spawn.dir)).toEqual(snapshotTree(path.join(clone, "c")));
    expect(readdirSync(work).filter((e) => !ENGINE_DIRS.includes(e))).toEqual(["killed"]);
  });

  it("never writes the installation token into any file of the spawn, .git included", async () => {
    const work = tempDir();
    const spawn = await materialize({ jobId: "token", source, baseRef: "main", workRoot: work, cacheRoot: tempDir() });
    await recordBaseline(spawn);
    const offenders = Object.entries(snapshotTree(spawn.dir, { includeGit: true })).filter(([, v]) => v.includes(TOKEN));
    expect(Object.keys(snapshotTree(spawn.dir, { includeGit: true }))).toContain(".git/config");
    expect(offenders).toEqual([]);
    expect(server.requests.some((r) => r.password === TOKEN)).toBe(true);
  });

  it("refuses a spawn whose marker was altered, and sweeps spawns of finished jobs", async () => {
    const work = tempDir();
    const cacheRoot = tempDir();
    const kept = await materialize({ jobId: "kept", source, baseRef: "main", workRoot: work, cacheRoot });
    const stale = await materialize({ jobId: "stale", source, baseRef: "main", workRoot: work, cacheRoot });
    const markerPath = path.join(kept.dir, ".git", "autofix-spawn.json");
    const marker = JSON.parse(readFileSync(markerPath, "utf8"));
    writeFileSync(markerPath, JSON.stringify({ ...marker, baseSha: "0".repeat(40) }));
    await expect(assertSpawn(kept)).rejects.toMatchObject({ code: "SPAWN_TAMPERED" });
    writeFileSync(path.join(work, "not-a-spawn.txt"), "keep me\n");
    const removed = await sweepStaleSpawns(work, new Set(["kept"]));
    expect(removed).toEqual([stale.dir]);
    expect(existsSync(kept.dir)).toBe(true);
    expect(existsSync(path.join(work, "not-a-spawn.txt"))).toBe(true);
    await removeSpawn(kept);
    expect(existsSync(kept.dir)).toBe(false);
  });

  it("a resumed job pinned to a commit that is no longer a branch tip still materializes it, cache cold", async () => {
    const pinned = repo.head();
    repo.commit({ "later.txt": "pushed after the job pinned its base\n" });
    try {
      const spawn = await materialize({ jobId: "resumed", source, baseRef: pinned, workRoot: tempDir(), cacheRoot: tempDir() });
      expect(spawn.baseSha).toBe(pinned);
      expect(snapshotTree(spawn.dir)).toEqual(nativeCheckout);
    } finally {
      repo.commit({ "later.txt": null });
    }
  });

  it("says the base branch does not exist instead of failing obscurely", async () => {
    await expect(materialize({ jobId: "nobranch", source, baseRef: "no-such-branch", workRoot: tempDir(), cacheRoot: tempDir() })).rejects.toMatchObject({
      code: "BASE_NOT_FOUND",
    });
  });

  it("materializes from a local repository path without any network", async () => {
    const spawn = await materialize({
      jobId: "local",
      source: { cacheKey: `local:${repo.bare}`, url: repo.bare },
      baseRef: "main",
      workRoot: tempDir(),
      cacheRoot: tempDir(),
    });
    expect(snapshotTree(spawn.dir)).toEqual(nativeCheckout);
  });
});
