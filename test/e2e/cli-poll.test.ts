// `autofix poll`: two pollers on one repository never run the same issue.
import { readFileSync } from "node:fs";
import path from "node:path";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../support/githubApi.js";
import { extendFakeGitHub } from "../support/fakeGitHubExtras.js";
import { startGitHubProxy, type GitHubProxy } from "../support/githubProxy.js";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, tempDir } from "../support/repoBuilder.js";
import { repoRoot, runCli } from "../support/cliRunner.js";

const token = "ghp_pollTestToken0123456789abcdef";

describe("autofix poll", () => {
  let server: GitServer;
  let fake: FakeGitHub;
  let proxy: GitHubProxy;

  beforeAll(async () => {
    const root = tempDir("autofix-poll-");
    const demo = path.join(repoRoot, "examples", "demo-repo");
    const files: Record<string, string> = {};
    for (const rel of ["package.json", "src/greet.js", "test/greet.test.js", "tools/example-agent.mjs"]) files[rel] = readFileSync(path.join(demo, rel), "utf8");
    const repo = buildRepo(root, "greeter", files);
    server = await startGitServer({ root, passwords: [token] });
    // Comments made with the token are authored by its owner, as on GitHub.
    fake = new FakeGitHub({ baseUrl: "https://ghe.test/api/v3", token, botLogin: "poll-bot" });
    fake.addRepo("octo", "greeter", { cloneUrl: server.repoUrl("greeter") });
    for (const n of [1, 2, 3]) fake.addIssue("octo/greeter", { number: n, title: `Greeting keeps spaces (${n})`, labels: ["autofix"] });
    fake.addIssue("octo/greeter", { number: 4, title: "Unrelated", labels: ["bug"] });
    const config = "agent:\n  preset: command\n  command: node tools/example-agent.mjs\ngates:\n  allowSkipWithoutLlm: true\n";
    extendFakeGitHub(fake, { owner: "octo", name: "greeter", bare: repo.bare, user: "poll-bot", config: () => config });
    fake.start();
    proxy = await startGitHubProxy(fake);
  });
  afterAll(async () => {
    await proxy.close();
    fake.stop();
    nock.cleanAll();
    await server.close();
  });

  it("two pollers on the same repository never run the same issue", async () => {
    const env = { ...proxy.env, GITHUB_TOKEN: token, AUTOFIX_GITHUB_THROTTLE: "off" };
    const [a, b] = await Promise.all([
      runCli(["poll", "--label", "autofix", "octo/greeter"], { env: { ...env, AUTOFIX_DATA_DIR: tempDir() } }),
      runCli(["poll", "--label", "autofix", "octo/greeter"], { env: { ...env, AUTOFIX_DATA_DIR: tempDir() } }),
    ]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const created = fake.requests.filter((r) => r.method === "POST" && r.path === "/repos/octo/greeter/pulls").map((r) => (r.body as { head: string }).head);
    expect(created.sort()).toEqual(["autofix/issue-1", "autofix/issue-2", "autofix/issue-3"]);
    // Each issue's pipeline ran once: its PR was never updated by a second run.
    expect(fake.requests.filter((r) => r.method === "PATCH" && /\/pulls\/\d+$/.test(r.path)).length).toBe(3);
    const claimsLeft = fake.comments.filter((c) => c.body.includes("autofix:claim"));
    expect(claimsLeft).toEqual([]);
    for (const n of [1, 2, 3]) expect(fake.issues.get(`octo/greeter#${n}`)!.labels.map((l) => l.name)).not.toContain("autofix");
    expect(fake.requests.some((r) => r.path.includes("/issues/4/"))).toBe(false);
  });
});
