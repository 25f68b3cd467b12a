// Absorb and push through the loopback git server: the published commit, diffed against its parent with
// native git, holds exactly the agent's change, however the base branch moved meanwhile.
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { absorb } from "../../src/engine/absorb.js";
import { branchChange } from "../../src/engine/branchChange.js";
import type { MergeConflict } from "../../src/engine/errors.js";
import { recordBaseline } from "../../src/engine/baseline.js";
import { computeDelta } from "../../src/engine/delta.js";
import { pushBranch } from "../../src/engine/push.js";
import { materialize } from "../../src/engine/spawn.js";
import type { RepoSource } from "../../src/engine/types.js";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, gitAsync, tempDir, type BuiltRepo } from "../support/repoBuilder.js";
import { runScriptedAgent, scriptedAgents, type ScriptedAgent } from "../support/scriptedAgents.js";

const lines = (n: number, tag = "line") => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}`).join("\n") + "\n";
const replaceLine = (text: string, index: number, value: string) => {
  const all = text.split("\n");
  all[index] = value;
  return all.join("\n");
};
const author = { name: "autofix", email: "autofix@example.test" };

describe("absorb", () => {
  let server: GitServer;
  let root: string;
  let repoCount = 0;

  beforeAll(async () => {
    root = tempDir();
    server = await startGitServer({ root, passwords: ["tok"] });
  });
  afterAll(() => server.close());

  function newRepo(): { repo: BuiltRepo; source: RepoSource; name: string } {
    const name = `r${++repoCount}`;
    const repo = buildRepo(root, name, { "shared.txt": lines(60), "other.txt": "other\n", "gone.txt": "to be changed upstream\n" });
    return { repo, name, source: { cacheKey: `absorb/${name}`, url: server.repoUrl(name), auth: async () => ({ username: "x", password: "tok" }) } };
  }

  async function agentDelta(source: RepoSource, jobId: string, agent: ScriptedAgent, cacheRoot: string, workRoot: string) {
    const spawn = await materialize({ jobId, source, baseRef: "main", workRoot, cacheRoot });
    const baseline = await recordBaseline(spawn);
    await runScriptedAgent(agent, spawn.dir);
    return { baseline, delta: await computeDelta(spawn, baseline) };
  }

  /** `git diff parent..branch` in the bare repository, as the +/- lines a reviewer sees. */
  async function changedLines(bare: string, branch: string): Promise<{ files: string[]; plus: string[]; minus: string[]; parent: string }> {
    const parent = (await gitAsync(bare, "rev-parse", `${branch}^`)).trim();
    const files = (await gitAsync(bare, "diff", "--name-only", parent, branch)).trim().split("\n").filter(Boolean);
    const diff = await gitAsync(bare, "diff", "-U0", parent, branch);
    const body = diff.split("\n").filter((l) => !l.startsWith("+++") && !l.startsWith("---"));
    return { files, parent, plus: body.filter((l) => l.startsWith("+")), minus: body.filter((l) => l.startsWith("-")) };
  }

  it("two concurrent jobs editing the same file, while the base branch moves, each publish only their own change", async () => {
    const { repo, source } = newRepo();
    const cacheRoot = tempDir();
    const workRoot = tempDir();
    const base = lines(60);
    const agentA = scriptedAgents.editFile("shared.txt", replaceLine(base, 2, "line 3 by A"));
    const agentB = scriptedAgents.editFile("shared.txt", replaceLine(base, 50, "line 51 by B"));
    const [a, b] = await Promise.all([agentDelta(source, "job-a", agentA, cacheRoot, workRoot), agentDelta(source, "job-b", agentB, cacheRoot, workRoot)]);
    // A third writer pushes to main between the jobs' materialization and absorption.
    repo.commit({ "other.txt": "other, changed upstream\n", "upstream-only.txt": "new upstream\n" });
    const results = await Promise.all(
      (
        [
          ["job-a", a],
          ["job-b", b],
        ] as const
      ).map(async ([job, { baseline, delta }]) => {
        const absorbed = await absorb({ delta, baseline, source, onto: "main", cacheRoot, workRoot, message: `fix from ${job}`, author });
        repo.commit({ "third.txt": `pushed while ${job} absorbs\n` });
        await pushBranch({ gitdir: absorbed.gitdir, source, branch: `autofix/${job}`, commitSha: absorbed.commitSha, force: true });
        return absorbed;
      }),
    );
    const diffA = await changedLines(repo.bare, "autofix/job-a");
    const diffB = await changedLines(repo.bare, "autofix/job-b");
    expect(diffA).toMatchObject({ files: ["shared.txt"], plus: ["+line 3 by A"], minus: ["-line 3"], parent: results[0].parentSha });
    expect(diffB).toMatchObject({ files: ["shared.txt"], plus: ["+line 51 by B"], minus: ["-line 51"], parent: results[1].parentSha });
    // The parent is the base branch's head at absorb time, which carries the upstream commit.
    expect(await gitAsync(repo.bare, "show", `${results[0].parentSha}:other.txt`)).toBe("other, changed upstream\n");
  });

  it("two jobs with identical changes absorb and push at the same time without disturbing each other", async () => {
    const { repo, source } = newRepo();
    const cacheRoot = tempDir();
    const workRoot = tempDir();
    const agent = scriptedAgents.editFile("other.txt", "same fix\n");
    const jobs = await Promise.all(["twin-a", "twin-b"].map((job) => agentDelta(source, job, agent, cacheRoot, workRoot)));
    const absorbed = await Promise.all(
      jobs.map(({ baseline, delta }) => absorb({ delta, baseline, source, onto: "main", cacheRoot, workRoot, message: "twin", author })),
    );
    expect(absorbed[0].gitdir).not.toBe(absorbed[1].gitdir);
    await Promise.all(absorbed.map((a, i) => pushBranch({ gitdir: a.gitdir, source, branch: `autofix/twin-${i}`, commitSha: a.commitSha, force: true })));
    for (const i of [0, 1]) expect(await gitAsync(repo.bare, "show", `autofix/twin-${i}:other.txt`)).toBe("same fix\n");
  });

  it("a file changed on both sides in different places is merged three ways", async () => {
    const { repo, source } = newRepo();
    const cacheRoot = tempDir();
    const workRoot = tempDir();
    const base = lines(60);
    const { baseline, delta } = await agentDelta(source, "merge", scriptedAgents.editFile("shared.txt", replaceLine(base, 4, "agent 5")), cacheRoot, workRoot);
    repo.commit({ "shared.txt": replaceLine(base, 40, "upstream 41") });
    const absorbed = await absorb({ delta, baseline, source, onto: "main", cacheRoot, workRoot, message: "merge", author });
    expect(absorbed.merged).toEqual(["shared.txt"]);
    await pushBranch({ gitdir: absorbed.gitdir, source, branch: "autofix/merge", commitSha: absorbed.commitSha, force: true });
    const merged = await gitAsync(repo.bare, "show", "autofix/merge:shared.txt");
    expect(merged).toBe(replaceLine(replaceLine(base, 40, "upstream 41"), 4, "agent 5"));
    expect(await changedLines(repo.bare, "autofix/merge")).toMatchObject({ plus: ["+agent 5"], minus: ["-line 5"] });
  });

  it("overlapping changes are a merge conflict naming the file and hunk, and nothing is published", async () => {
    const { repo, name, source } = newRepo();
    const cacheRoot = tempDir();
    const workRoot = tempDir();
    const base = lines(60);
    const { baseline, delta } = await agentDelta(source, "clash", scriptedAgents.editFile("shared.txt", replaceLine(base, 9, "agent 10")), cacheRoot, workRoot);
    repo.commit({ "shared.txt": replaceLine(base, 9, "upstream 10") });
    const attempt = absorb({ delta, baseline, source, onto: "main", cacheRoot, workRoot, message: "clash", author });
    await expect(attempt).rejects.toMatchObject({ code: "MERGE_CONFLICT" });
    const err = (await attempt.catch((e: unknown) => e)) as MergeConflict;
    expect(err.conflicts[0].path).toBe("shared.txt");
    expect(err.conflicts[0].hunks[0]).toMatch(/^@@ -7,7 \+7,7 @@[\s\S]*-line 10\n\+agent 10/);
    expect(err.message).toMatch(/shared\.txt/);
    await expect(gitAsync(path.join(root, `${name}.git`), "rev-parse", "--verify", "autofix/clash")).rejects.toThrow();
  });

  it("deleting a file the base branch changed is a conflict, not a delete", async () => {
    const { repo, source } = newRepo();
    const cacheRoot = tempDir();
    const workRoot = tempDir();
    const spawn = await materialize({ jobId: "del", source, baseRef: "main", workRoot, cacheRoot });
    const baseline = await recordBaseline(spawn);
    rmSync(path.join(spawn.dir, "gone.txt")); // the agent's deletion
    const delta = await computeDelta(spawn, baseline);
    repo.commit({ "gone.txt": "changed upstream meanwhile\n" });
    await expect(absorb({ delta, baseline, source, onto: "main", cacheRoot, workRoot, message: "del", author })).rejects.toMatchObject({
      code: "MERGE_CONFLICT",
      conflicts: [{ path: "gone.txt", reason: expect.stringMatching(/deleted this file, but the base branch changed it/) }],
    });
  });

  it("a binary and an exec-bit change are absorbed byte-exact", async () => {
    const { repo, source } = newRepo();
    const cacheRoot = tempDir();
    const workRoot = tempDir();
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 0]);
    const spawn = await materialize({ jobId: "bin", source, baseRef: "main", workRoot, cacheRoot });
    const baseline = await recordBaseline(spawn);
    await runScriptedAgent(scriptedAgents.addBinary("assets/blob.bin", bytes), spawn.dir);
    await runScriptedAgent(scriptedAgents.makeExecutable("other.txt"), spawn.dir);
    const delta = await computeDelta(spawn, baseline);
    repo.commit({ "upstream.txt": "unrelated\n" });
    const absorbed = await absorb({ delta, baseline, source, onto: "main", cacheRoot, workRoot, message: "bin", author });
    await pushBranch({ gitdir: absorbed.gitdir, source, branch: "autofix/bin", commitSha: absorbed.commitSha, force: false });
    const blobOid = (await gitAsync(repo.bare, "rev-parse", "autofix/bin:assets/blob.bin")).trim();
    const raw = await new Promise<Buffer>((resolve, reject) =>
      execFile("git", ["cat-file", "blob", blobOid], { cwd: repo.bare, encoding: "buffer" }, (err, out) => (err ? reject(err) : resolve(out))),
    );
    expect(raw.equals(bytes)).toBe(true);
    expect(await gitAsync(repo.bare, "diff", "--raw", "autofix/bin^", "autofix/bin")).toMatch(/:100644 100755 [0-9a-f]+ [0-9a-f]+ M\tother\.txt/);
  });

  it("publishes into a local repository for offline runs", async () => {
    const { repo } = newRepo();
    const source: RepoSource = { cacheKey: `local:${repo.bare}`, url: repo.bare };
    const workRoot = tempDir();
    const cacheRoot = tempDir();
    const { baseline, delta } = await agentDelta(source, "local", scriptedAgents.editFile("other.txt", "offline fix\n"), cacheRoot, workRoot);
    const absorbed = await absorb({ delta, baseline, source, onto: "main", cacheRoot, workRoot, message: "offline", author });
    await pushBranch({ gitdir: absorbed.gitdir, source, branch: "autofix/issue-7", commitSha: absorbed.commitSha, force: false });
    expect(await gitAsync(repo.bare, "show", "autofix/issue-7:other.txt")).toBe("offline fix\n");
    expect((await gitAsync(repo.bare, "rev-parse", "autofix/issue-7^")).trim()).toBe(repo.head());
    await gitAsync(repo.bare, "fsck", "--no-dangling");
  });

  it("a branch's whole change, read back from git, re-absorbs onto a moved base: edits, modes, links, binaries, deletions", async () => {
    const { repo, source, name } = newRepo();
    const fork = repo.head();
    repo.commit(
      { "shared.txt": replaceLine(lines(60), 2, "bot edit"), "bin/run.sh": { content: "#!/bin/sh\n", executable: true }, "gone.txt": null },
      "bot",
      "autofix/issue-3",
    );
    repo.commit({ "logo.bin": Buffer.from([0, 1, 2, 255]), link: { symlink: "other.txt" } }, "bot revision", "autofix/issue-3");
    const head = repo.head("autofix/issue-3");
    const moved = repo.commit({ "shared.txt": replaceLine(lines(60), 50, "upstream edit"), "NEWS.md": "news\n" }, "upstream");
    const cacheRoot = tempDir();
    const change = await branchChange({ source, cacheRoot, branch: "autofix/issue-3", headSha: head, forkSha: fork });
    expect(change?.baseline.baseSha).toBe(fork);
    expect(change?.delta.files.map((f) => [f.path, f.kind, f.newMode ?? "", f.binary])).toEqual([
      ["bin/run.sh", "add", "100755", false],
      ["gone.txt", "delete", "", false],
      ["link", "add", "120000", false],
      ["logo.bin", "add", "100644", true],
      ["shared.txt", "modify", "100644", false],
    ]);
    // A branch that moved since its commits were listed is not read: the later event covers it.
    expect(await branchChange({ source, cacheRoot, branch: "autofix/issue-3", headSha: fork, forkSha: fork })).toBeUndefined();

    const absorbed = await absorb({ ...change!, source, onto: "main", cacheRoot, workRoot: tempDir(), message: "re-absorbed", author });
    try {
      await pushBranch({ gitdir: absorbed.gitdir, source, branch: "autofix/issue-3", commitSha: absorbed.commitSha, force: true });
    } finally {
      rmSync(absorbed.gitdir, { recursive: true, force: true });
    }
    const bare = path.join(root, `${name}.git`);
    const result = await changedLines(bare, "autofix/issue-3");
    expect(result.parent).toBe(moved);
    expect(result.files).toEqual(["bin/run.sh", "gone.txt", "link", "logo.bin", "shared.txt"]);
    expect((await gitAsync(bare, "show", "autofix/issue-3:shared.txt")).split("\n")[50]).toBe("upstream edit");
    expect(
      (await gitAsync(bare, "ls-tree", "autofix/issue-3", "bin/run.sh", "link"))
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(" ")[0]),
    ).toEqual(["100755", "120000"]);
  });
});
