// Git works inside the sandbox: a spawn's .git borrows objects from the bot's object cache through
// objects/info/alternates, and the sandbox shows that cache (read-only) where the alternates point.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { materialize } from "../../src/engine/index.js";
import { createSandbox, type Sandbox, type SandboxRequest } from "../../src/sandbox/index.js";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, tempDir } from "../support/repoBuilder.js";

const TOKEN = "ghs_installationTokenCanary1234567890";
let server: GitServer;
let spawnDir: string;
let cacheRoot: string;

beforeAll(async () => {
  const root = tempDir();
  buildRepo(root, "app", { "README.md": "# app\n", "src/a.txt": "one\n" });
  server = await startGitServer({ root, passwords: [TOKEN] });
  const dataDir = tempDir("data-");
  cacheRoot = path.join(dataDir, "cache");
  const source = { cacheKey: "loopback/app", url: server.repoUrl("app"), auth: async () => ({ username: "x-access-token", password: TOKEN }) };
  const spawn = await materialize({ jobId: "git-1", source, baseRef: "main", workRoot: path.join(dataDir, "spawns"), cacheRoot });
  spawnDir = spawn.dir;
});
afterAll(() => server.close());

const gitScript = [
  "set -e",
  "git status --porcelain",
  "echo two >> src/a.txt",
  "git diff --stat",
  "git log --oneline -1",
  "git -c user.name=a -c user.email=a@b stash",
  "git stash list | wc -l",
  "cat src/a.txt",
].join("\n");

const request = (cwd: string): SandboxRequest => ({
  argv: ["/bin/sh", "-c", gitScript],
  cwd,
  env: { PATH: "/usr/bin:/bin", HOME: "/tmp" },
  timeoutMs: 60_000,
  network: "none",
});

it("runs git status, diff, log and stash in a spawn inside the sandbox, reading objects from the cache", async () => {
  const sandbox: Sandbox = await createSandbox({ mode: "required", gitObjectRoots: [cacheRoot], hostPath: "/usr/bin:/bin" });
  const result = await sandbox.run({ ...request(spawnDir), view: { dir: path.join(tempDir("view-"), "v") } });
  expect(result.outputTail).not.toContain("fatal");
  expect(result.exitCode).toBe(0);
  expect(result.outputTail).toContain("src/a.txt | 1 +");
  expect(result.outputTail).toMatch(/^[0-9a-f]{7,} /m);
  // After the stash the file is back to the commit's content.
  expect(result.outputTail.trim().split("\n").slice(-2)).toEqual(["1", "one"]);
});

it("does not mount an alternates entry outside the object cache", async () => {
  const sandbox = await createSandbox({ mode: "required", gitObjectRoots: [cacheRoot], hostPath: "/usr/bin:/bin" });
  const planted = tempDir("planted-");
  mkdirSync(path.join(planted, "objects"));
  writeFileSync(path.join(planted, "secret"), "s3cret\n");
  const outside = tempDir("outside-spawn-");
  await sandbox.run({
    argv: ["/bin/sh", "-c", `mkdir -p .git/objects/info && echo ${planted}/objects > .git/objects/info/alternates`],
    cwd: outside,
    env: { PATH: "/usr/bin:/bin" },
    timeoutMs: 10_000,
    network: "none",
  });
  const result = await sandbox.run({
    argv: ["/bin/sh", "-c", `ls ${planted} 2>&1`],
    cwd: outside,
    env: { PATH: "/usr/bin:/bin" },
    timeoutMs: 10_000,
    network: "none",
  });
  expect(result.outputTail).toContain("No such file or directory");
});
