// GitHub sometimes does the work and loses the answer (a 502 after the write). Retrying the POST
// blindly would post a second status comment or a second check run; autofix looks first.
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { createOctokitForge } from "../../src/forge/index.js";
import type { OctokitLike } from "../../src/forge/octokitLike.js";
import { FakeGitHub } from "../support/githubApi.js";
import { injectGitHubFaults, retryingTestOctokit } from "../support/faults.js";

const repo = { owner: "octo", repo: "lost" };

function setup(firstPostFails: RegExp) {
  const fake = new FakeGitHub({ token: "ghs_x" }).addRepo("octo", "lost").addIssue("octo/lost", { number: 3, title: "t" });
  let faulted = false;
  injectGitHubFaults(fake, {
    rate: 0,
    seed: 1,
    decide: (method, path) => {
      if (method === "POST" && firstPostFails.test(path) && !faulted) {
        faulted = true;
        return "502-after-handling";
      }
      return "pass";
    },
  });
  fake.start();
  const Octokit = retryingTestOctokit();
  const octokit = new Octokit({ auth: "ghs_x", baseUrl: fake.baseUrl }) as unknown as OctokitLike;
  return { fake, forge: createOctokitForge(octokit, { botLogin: fake.botLogin }) };
}

afterEach(() => nock.cleanAll());

describe("writes whose answer was lost", () => {
  it("the status comment exists once after a 502 that hid a successful POST", async () => {
    const { fake, forge } = setup(/\/issues\/3\/comments$/);
    await forge.ensureStatusComment(repo, 3, "<!-- autofix:status:octo/lost#3 -->", "<!-- autofix:status:octo/lost#3 -->\nworking");
    await forge.ensureStatusComment(repo, 3, "<!-- autofix:status:octo/lost#3 -->", "<!-- autofix:status:octo/lost#3 -->\ndone");
    const status = fake.commentsOn("octo/lost", 3).filter((c) => c.body.includes("autofix:status"));
    expect(status).toHaveLength(1);
    expect(status[0].body).toContain("done");
  });

  it("a check run exists once after a 502 that hid a successful POST", async () => {
    const { fake, forge } = setup(/\/check-runs$/);
    const sha = "a".repeat(40);
    await forge.ensureCheckRun(repo, { name: "autofix / deterministic", headSha: sha, status: "completed", conclusion: "success", title: "ok", summary: "ok" });
    expect(fake.checkRuns.filter((c: any) => c.name === "autofix / deterministic" && c.head_sha === sha)).toHaveLength(1);
  });
});
