// `autofix run` with the CI gate on: a one-shot run has no queue to wait in, so it sleeps between
// looks at CI in the process and ends when CI has spoken.
import { readFileSync } from "node:fs";
import path from "node:path";
import nock from "nock";
import { afterEach, expect, it } from "vitest";
import { FakeGitHub } from "../support/githubApi.js";
import { extendFakeGitHub } from "../support/fakeGitHubExtras.js";
import { installFakeCi } from "../support/fakeCi.js";
import { startGitHubProxy, type GitHubProxy } from "../support/githubProxy.js";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, gitAsync, tempDir } from "../support/repoBuilder.js";
import { repoRoot, runCli } from "../support/cliRunner.js";

const token = "ghp_cliTestToken0123456789abcdef";
let proxy: GitHubProxy | undefined;
let server: GitServer | undefined;
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await proxy?.close();
  await server?.close();
  fake?.stop();
  nock.cleanAll();
});

it("autofix run opens a draft, waits in the process while CI runs, and exits 0 with the PR ready once CI is green", async () => {
  const demo = path.join(repoRoot, "examples", "demo-repo");
  const files: Record<string, string> = {};
  for (const rel of ["package.json", "src/greet.js", "test/greet.test.js", "tools/example-agent.mjs"]) files[rel] = readFileSync(path.join(demo, rel), "utf8");
  const config = readFileSync(path.join(demo, ".github/autofix.yml"), "utf8") + "  ci:\n    wait: true\n    pollSeconds: 1\n";
  const gitRoot = tempDir("autofix-cli-ci-");
  const repo = buildRepo(gitRoot, "greeter", { ...files, ".github/autofix.yml": config });
  server = await startGitServer({ root: gitRoot, passwords: [token] });
  fake = new FakeGitHub({ baseUrl: "https://ghe.test/api/v3", token });
  fake.addRepo("octo", "greeter", { cloneUrl: server.repoUrl("greeter") });
  fake.addIssue("octo/greeter", { number: 12, title: "Greeting keeps the spaces around a name", body: "greet('  Ada  ') keeps the spaces." });
  extendFakeGitHub(fake, { owner: "octo", name: "greeter", bare: repo.bare, user: "cli-user", config: () => config });
  const ci = installFakeCi(fake, "octo/greeter");
  // The workflow starts when the bot first looks and finishes green two seconds later.
  ci.onCommit((sha) => {
    ci.start(sha, "test");
    setTimeout(() => ci.finish(sha, "test", "success"), 2_000);
  });
  fake.start();
  proxy = await startGitHubProxy(fake);
  const run = await runCli(["run", "octo/greeter#12"], {
    env: { ...proxy.env, GITHUB_TOKEN: token, AUTOFIX_DATA_DIR: tempDir(), AUTOFIX_GITHUB_THROTTLE: "off" },
  });
  expect(run.code, run.stderr).toBe(0);
  const pr = fake.pullsOf("octo/greeter")[0];
  expect(pr.draft).toBe(false);
  const head = (await gitAsync(repo.bare, "rev-parse", "autofix/issue-12")).trim();
  expect(fake.checkRuns.find((r: any) => r.name === "autofix / ci" && r.head_sha === head)?.conclusion).toBe("success");
  // It looked more than once (the first look found the workflow running) and needed no repair.
  expect((await gitAsync(repo.bare, "rev-list", "--count", "main..autofix/issue-12")).trim()).toBe("1");
  expect(fake.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/commits/${head}/check-runs`)).length).toBeGreaterThan(1);
});
