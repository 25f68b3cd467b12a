// Hostile and odd agents, run as real processes in a spawn from the loopback git server: each gives its
// documented outcome (a guard violation a maintainer can read, or a delta carrying exactly the change).
import { linkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordBaseline } from "../../src/engine/baseline.js";
import { computeDelta } from "../../src/engine/delta.js";
import { checkGuards, DEFAULT_GUARD_LIMITS, GuardRefused, inspectSpawnIntegrity } from "../../src/engine/guards.js";
import { materialize } from "../../src/engine/spawn.js";
import type { RepoSource } from "../../src/engine/types.js";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, generatedFiles, tempDir } from "../support/repoBuilder.js";
import { runScriptedAgent, scriptedAgents, type ScriptedAgent } from "../support/scriptedAgents.js";

describe("hostile agents", () => {
  let server: GitServer;
  let source: RepoSource;
  let cacheRoot: string;
  let workRoot: string;
  let jobs = 0;

  beforeAll(async () => {
    const root = tempDir();
    buildRepo(root, "app", {
      ...generatedFiles(40, 256),
      "README.md": "# app\n",
      "scripts/build.sh": "echo build\n",
      ".gitignore": "dist/\n",
      ".github/workflows/ci.yml": "on: push\n",
    });
    server = await startGitServer({ root, passwords: ["tok"] });
    source = { cacheKey: "hostile/app", url: server.repoUrl("app"), auth: async () => ({ username: "x", password: "tok" }) };
    cacheRoot = tempDir();
    workRoot = tempDir();
  });
  afterAll(() => server.close());

  async function runAgent(agent: ScriptedAgent) {
    const spawn = await materialize({ jobId: `hostile-${++jobs}`, source, baseRef: "main", workRoot, cacheRoot });
    const baseline = await recordBaseline(spawn);
    expect(await runScriptedAgent(agent, spawn.dir)).toBe(0);
    const delta = await computeDelta(spawn, baseline);
    const violations = [...checkGuards(delta, baseline, DEFAULT_GUARD_LIMITS), ...(await inspectSpawnIntegrity(spawn))];
    return { spawn, baseline, delta, violations, codes: violations.map((v) => v.code) };
  }

  it("deleting every file is refused as wholesale deletion", async () => {
    const { delta, codes, violations } = await runAgent(scriptedAgents.deleteEverything());
    expect(delta.stats.filesDeleted).toBe(44);
    expect(codes).toContain("WHOLESALE_DELETION");
    expect(violations[0].message).toMatch(/deleted 44 of 44 files/);
  });

  it("writing .git/config is reported as a write into .git", async () => {
    const { codes, violations, delta } = await runAgent(scriptedAgents.writeGitConfig());
    expect(codes).toEqual(["EMPTY_DELTA", "GIT_DIR_WRITE"]);
    expect(violations.find((v) => v.code === "GIT_DIR_WRITE")?.paths).toEqual([".git/config"]);
    expect(delta.files).toEqual([]);
  });

  it("symlinks to /etc/passwd and to ../../outside are carried as links, never followed, and refused", async () => {
    const { delta, violations } = await runAgent(scriptedAgents.symlinkToPasswd("passwd-link"));
    const link = delta.files.find((f) => f.path === "passwd-link")!;
    expect(link).toMatchObject({ kind: "add", newMode: "120000", linkTarget: "/etc/passwd" });
    expect(link.patch).toBeUndefined();
    expect(Buffer.from(link.contentBase64!, "base64").toString()).toBe("/etc/passwd");
    expect(violations.map((v) => v.code)).toEqual(["ESCAPING_SYMLINK"]);

    const outside = await runAgent(scriptedAgents.symlinkOutside("docs/outside-link"));
    expect(outside.delta.files[0]).toMatchObject({ path: "docs/outside-link", linkTarget: "../../outside" });
    expect(outside.codes).toEqual(["ESCAPING_SYMLINK"]);
    expect(outside.violations[0].paths).toEqual(["docs/outside-link"]);
  });

  it("a link that stays inside the repository is an ordinary change", async () => {
    const { delta, codes } = await runAgent(scriptedAgents.symlink("docs/readme-link", "../README.md"));
    expect(delta.files[0]).toMatchObject({ newMode: "120000", linkTarget: "../README.md" });
    expect(codes).toEqual([]);
  });

  it("a 50 MB file is refused as too large", async () => {
    const { codes, violations, delta } = await runAgent(scriptedAgents.writeLargeFile("big.dat", 50));
    expect(codes).toContain("FILE_TOO_LARGE");
    expect(codes).toContain("TOTAL_TOO_LARGE");
    expect(violations.find((v) => v.code === "FILE_TOO_LARGE")?.message).toMatch(/big\.dat: 52\.4 MB/);
    expect(delta.files[0].patch).toBeUndefined();
  });

  it("making a file executable is a mode change with no patch", async () => {
    const { delta, codes } = await runAgent(scriptedAgents.makeExecutable("scripts/build.sh"));
    expect(delta.files).toHaveLength(1);
    expect(delta.files[0]).toMatchObject({ path: "scripts/build.sh", kind: "modify", oldMode: "100644", newMode: "100755", linesAdded: 0 });
    expect(delta.files[0].oldOid).toBe(delta.files[0].newOid);
    expect(delta.files[0].patch).toBeUndefined();
    expect(codes).toEqual([]);
  });

  it("a binary file is detected and carried as bytes, never as a text patch", async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0xff, 0x10, 0x80]);
    const { delta, codes } = await runAgent(scriptedAgents.addBinary("assets/img.png", bytes));
    expect(delta.files[0]).toMatchObject({ path: "assets/img.png", kind: "add", binary: true });
    expect(delta.files[0].patch).toBeUndefined();
    expect(Buffer.from(delta.files[0].contentBase64!, "base64").equals(bytes)).toBe(true);
    expect(codes).toEqual([]);
  });

  it("touching only ignored paths is an empty delta that lists what was left out", async () => {
    const { delta, violations } = await runAgent(scriptedAgents.touchIgnored("node_modules/x/index.js"));
    expect(delta.files).toEqual([]);
    expect(delta.excluded).toEqual([{ path: "node_modules/", reason: "ignored" }]);
    expect(violations.map((v) => v.code)).toEqual(["EMPTY_DELTA"]);
    expect(violations[0].message).toMatch(/^The agent made no changes\./);
    expect(violations[0].paths).toEqual(["node_modules/"]);
  });

  it("writing only its own settings file is reported as tool files only", async () => {
    const { delta, codes } = await runAgent(scriptedAgents.writeToolFile());
    expect(delta.excluded).toEqual([{ path: ".claude/", reason: "tool-file" }]);
    expect(codes).toEqual(["ONLY_TOOL_FILES"]);
  });

  it("writing a file and restoring it is reported as restored, not as a change", async () => {
    const { delta, codes } = await runAgent(scriptedAgents.writeThenRestore("README.md"));
    expect(delta.files).toEqual([]);
    expect(delta.touchedButRestored).toBe(true);
    expect(codes).toEqual(["RESTORED"]);
  });

  it("an edit to a workflow file is refused as a denied path", async () => {
    const { codes, violations } = await runAgent(scriptedAgents.editFile(".github/workflows/ci.yml", "on: [push, pull_request]\n"));
    expect(codes).toEqual(["DENIED_PATH"]);
    expect(violations[0].paths).toEqual([".github/workflows/ci.yml"]);
    const refused = new GuardRefused(violations);
    expect(refused.code).toBe("GUARD_REFUSED");
    expect(refused.message).toMatch(/protected paths/);
  });

  it("a hard link to a file outside the spawn is refused", async () => {
    const outside = path.join(tempDir(), "secret.txt");
    writeFileSync(outside, "secret\n");
    const spawn = await materialize({ jobId: "hardlink", source, baseRef: "main", workRoot, cacheRoot });
    const baseline = await recordBaseline(spawn);
    linkSync(outside, path.join(spawn.dir, "innocent.txt"));
    await computeDelta(spawn, baseline);
    const violations = await inspectSpawnIntegrity(spawn);
    expect(violations.map((v) => v.code)).toEqual(["ESCAPING_SYMLINK"]);
    expect(violations[0].paths).toEqual(["innocent.txt"]);
  });

  it("an ordinary edit gives a git-style unified patch and no violation", async () => {
    const { delta, codes } = await runAgent(scriptedAgents.editFile("README.md", "# app\n\nNow documented.\n"));
    expect(delta.files).toHaveLength(1);
    expect(delta.files[0].patch).toBe("--- a/README.md\n+++ b/README.md\n@@ -1,1 +1,3 @@\n # app\n+\n+Now documented.\n");
    expect(delta.stats).toMatchObject({ filesModified: 1, linesAdded: 2, linesDeleted: 0 });
    expect(codes).toEqual([]);
  });
});
