import fs from "node:fs";
import path from "node:path";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, git as nativeGit, gitAsync, tempDir } from "../support/repoBuilder.js";

describe("loopback git server", () => {
  let server: GitServer;
  let root: string;
  beforeAll(async () => {
    root = tempDir();
    buildRepo(root, "demo", { "README.md": "hello\n" });
    server = await startGitServer({ root, passwords: ["good-token"] });
  });
  afterAll(() => server.close());

  it("serves clone and push to isomorphic-git and records the credential used", async () => {
    const dir = tempDir();
    const onAuth = () => ({ username: "x-access-token", password: "good-token" });
    await git.clone({ fs, http, dir, url: server.repoUrl("demo"), singleBranch: true, depth: 1, onAuth });
    expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toBe("hello\n");
    await git.branch({ fs, dir, ref: "feature", checkout: true });
    fs.writeFileSync(path.join(dir, "new.txt"), "x");
    await git.add({ fs, dir, filepath: "new.txt" });
    await git.commit({ fs, dir, message: "m", author: { name: "a", email: "a@b.c" } });
    await git.push({ fs, http, dir, remote: "origin", ref: "feature", onAuth });
    expect(nativeGit(path.join(root, "demo.git"), "ls-tree", "--name-only", "feature")).toContain("new.txt");
    expect(server.requests.some((r) => r.service === "git-receive-pack" && r.password === "good-token")).toBe(true);
  });

  it("refuses a wrong credential with 401", async () => {
    const dir = tempDir();
    await expect(git.clone({ fs, http, dir, url: server.repoUrl("demo"), onAuth: () => ({ username: "x", password: "bad" }) })).rejects.toThrow(/401/);
  });

  it("serves native git clone too", async () => {
    const dir = tempDir();
    const url = server.repoUrl("demo").replace("http://", "http://x:good-token@");
    await gitAsync(dir, "clone", "-q", "--depth", "1", url, "c");
    expect(fs.existsSync(path.join(dir, "c", "README.md"))).toBe(true);
  });
});
