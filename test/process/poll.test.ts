// `autofix poll` as processes: two pollers on one repository never run the same issue, whether they start
// together or one starts while the other is finishing (the window between consuming the label and
// dropping the claim, held open here by a front before the fake GitHub).
import { readFileSync } from "node:fs";
import path from "node:path";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { deferred } from "../support/browser.js";
import { startDelayFront, type DelayFront } from "../support/delayFront.js";
import { FakeGitHub } from "../support/githubApi.js";
import { extendFakeGitHub } from "../support/fakeGitHubExtras.js";
import { startGitHubProxy, type GitHubProxy } from "../support/githubProxy.js";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, tempDir } from "../support/repoBuilder.js";
import { repoRoot, runCli } from "../support/cliRunner.js";

const token = "ghp_pollTestToken0123456789abcdef";
const config = "agent:\n  preset: command\n  command: node tools/example-agent.mjs\ngates:\n  allowSkipWithoutLlm: true\n";

interface World {
  server: GitServer;
  fake: FakeGitHub;
  proxy: GitHubProxy;
  front?: DelayFront;
}
let world: World | undefined;

afterEach(async () => {
  await world?.front?.close();
  await world?.proxy.close();
  world?.fake.stop();
  nock.cleanAll();
  await world?.server.close();
  world = undefined;
});

async function startWorld(labelled: number[]): Promise<World> {
  const root = tempDir("autofix-poll-");
  const demo = path.join(repoRoot, "examples", "demo-repo");
  const files: Record<string, string> = {};
  for (const rel of ["package.json", "src/greet.js", "test/greet.test.js", "tools/example-agent.mjs"]) files[rel] = readFileSync(path.join(demo, rel), "utf8");
  const repo = buildRepo(root, "greeter", files);
  const server = await startGitServer({ root, passwords: [token] });
  // Comments made with the token are authored by its owner, as on GitHub.
  const fake = new FakeGitHub({ baseUrl: "https://ghe.test/api/v3", token, botLogin: "poll-bot" });
  fake.addRepo("octo", "greeter", { cloneUrl: server.repoUrl("greeter") });
  for (const n of labelled) fake.addIssue("octo/greeter", { number: n, title: `Greeting keeps spaces (${n})`, labels: ["autofix"] });
  fake.addIssue("octo/greeter", { number: 4, title: "Unrelated", labels: ["bug"] });
  extendFakeGitHub(fake, { owner: "octo", name: "greeter", bare: repo.bare, user: "poll-bot", config: () => config });
  fake.start();
  const proxy = await startGitHubProxy(fake);
  world = { server, fake, proxy };
  return world;
}

const poll = (env: Record<string, string>) =>
  runCli(["poll", "--label", "autofix", "octo/greeter"], { env: { ...env, GITHUB_TOKEN: token, AUTOFIX_GITHUB_THROTTLE: "off", AUTOFIX_DATA_DIR: tempDir() } });
const prsCreated = (fake: FakeGitHub) =>
  fake.requests.filter((r) => r.method === "POST" && r.path === "/repos/octo/greeter/pulls").map((r) => (r.body as { head: string }).head);
const prUpdates = (fake: FakeGitHub) => fake.requests.filter((r) => r.method === "PATCH" && /\/pulls\/\d+$/.test(r.path)).length;

describe("autofix poll (two poller processes)", () => {
  it("two pollers started together on the same repository never run the same issue", async () => {
    const { fake, proxy } = await startWorld([1, 2, 3]);
    const [a, b] = await Promise.all([poll(proxy.env), poll(proxy.env)]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect(prsCreated(fake).sort()).toEqual(["autofix/issue-1", "autofix/issue-2", "autofix/issue-3"]);
    // Each issue's pipeline ran once: its PR was never updated by a second run.
    expect(prUpdates(fake)).toBe(3);
    expect(fake.comments.filter((c) => c.body.includes("autofix:claim"))).toEqual([]);
    for (const n of [1, 2, 3]) expect(fake.issues.get(`octo/greeter#${n}`)!.labels.map((l) => l.name)).not.toContain("autofix");
    expect(fake.requests.some((r) => r.path.includes("/issues/4/"))).toBe(false);
  });

  it("a poller starting while another is consuming the label of the issue it just ran skips that issue", async () => {
    const { fake, proxy } = await startWorld([1]);
    const labelRemoval = deferred();
    const secondDone = deferred();
    // The first poller's label removal is held until the second poller has finished deciding.
    let held = false;
    const front = await startDelayFront(`http://${proxy.env.GHE_HOST}`, (req) => {
      if (held || req.method !== "DELETE" || !/\/issues\/1\/labels\/autofix$/.test(req.url)) return undefined;
      held = true;
      labelRemoval.resolve();
      return { until: Promise.race([secondDone.promise, new Promise((r) => setTimeout(r, 45_000))]) };
    });
    world!.front = front;
    const env = { GHE_HOST: front.host, GHE_PROTOCOL: "http" };
    const first = poll(env);
    const second = (async () => {
      await labelRemoval.promise;
      try {
        return await poll(env);
      } finally {
        secondDone.resolve();
      }
    })();
    const [a, b] = await Promise.all([first, second]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect(b.stderr).toMatch(/#1: (claimed by another poller|already handled by another poller); skipped\./);
    expect(prsCreated(fake)).toEqual(["autofix/issue-1"]);
    expect(prUpdates(fake)).toBe(1);
    expect(fake.comments.filter((c) => c.body.includes("autofix:claim"))).toEqual([]);
    expect(fake.issues.get("octo/greeter#1")!.labels.map((l) => l.name)).not.toContain("autofix");
  });
});
