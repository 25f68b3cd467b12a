// The GitHub forge over Probot's installation Octokit against FakeGitHub: the state a maintainer sees
// after retries (one PR, one status comment, one check run) and installation credentials for git.
import { afterEach, describe, expect, it } from "vitest";
import { Probot, ProbotOctokit } from "probot";
import { createOctokitForge } from "../../src/forge/octokitForge.js";
import { installationGitCredentials } from "../../src/forge/gitCredentials.js";
import type { OctokitLike } from "../../src/forge/octokitLike.js";
import { FakeGitHub, mockInstallationToken, mockIssue, mockPermission, mockRepo, testPrivateKey } from "../support/githubApi.js";
import nock from "nock";
import { loadConfigViaApi, loadRepoConfig } from "../../src/app/configLoad.js";
import { Context } from "probot";

const privateKey = testPrivateKey();
const TestOctokit = ProbotOctokit.defaults((o: any) => ({ ...o, retry: { enabled: false }, throttle: { ...o?.throttle, enabled: false } }));
const repo = { owner: "acme", repo: "widgets" };
let fake: FakeGitHub | undefined;

async function installationOctokit(baseUrl?: string): Promise<OctokitLike> {
  const probot = new Probot({ appId: 7, privateKey, Octokit: TestOctokit, ...(baseUrl ? { baseUrl } : {}), logLevel: "fatal" });
  return (await probot.auth(42)) as unknown as OctokitLike;
}

afterEach(() => {
  fake?.stop();
  fake = undefined;
});

describe("state after retries", () => {
  it("publishing twice for the same branch leaves exactly one PR, carrying the latest text", async () => {
    fake = new FakeGitHub({ appId: 7 }).addRepo("acme", "widgets").setBranch("acme/widgets", "main", "b".repeat(40)).start();
    fake.setBranch("acme/widgets", "autofix/issue-3", "a".repeat(40));
    const forge = createOctokitForge(await installationOctokit(), { botLogin: "autofix[bot]", appId: 7 });
    const first = await forge.ensurePr(repo, { head: "autofix/issue-3", base: "main", title: "Fix #3", body: "attempt 1", draft: false });
    const second = await forge.ensurePr(repo, { head: "autofix/issue-3", base: "main", title: "Fix #3", body: "attempt 2", draft: false });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, number: first.number });
    expect(fake.pullsOf("acme/widgets")).toHaveLength(1);
    expect(fake.pullsOf("acme/widgets")[0].body).toBe("attempt 2");
    expect(fake.unexpected).toEqual([]);
  });

  it("a status comment updated three times is one comment showing the last status", async () => {
    fake = new FakeGitHub().addRepo("acme", "widgets").addIssue("acme/widgets", { number: 3, title: "Bug" }).start();
    fake.addComment("acme/widgets", 3, "alice", "please fix");
    const forge = createOctokitForge(await installationOctokit(), { botLogin: "autofix[bot]" });
    const marker = "<!-- autofix:status:3 -->";
    const ids = [];
    for (const status of ["queued", "running the agent", "PR opened"]) ids.push(await forge.ensureStatusComment(repo, 3, marker, status));
    expect(new Set(ids).size).toBe(1);
    const botComments = fake.commentsOn("acme/widgets", 3).filter((c) => c.user.login === "autofix[bot]");
    expect(botComments.map((c) => c.body)).toEqual([`${marker}\nPR opened`]);
    const issue = await forge.getIssue(repo, 3);
    expect(issue.comments.map((c) => c.body)).toEqual(["please fix"]);
  });

  it("a check run reported at each step is one run on the sha, ending with the final verdict", async () => {
    fake = new FakeGitHub({ appId: 7 }).addRepo("acme", "widgets").start();
    const forge = createOctokitForge(await installationOctokit(), { botLogin: "autofix[bot]", appId: 7 });
    const sha = "e".repeat(40);
    await forge.ensureCheckRun(repo, { name: "autofix / gates", headSha: sha, status: "in_progress", title: "Running", summary: "…" });
    await forge.ensureCheckRun(repo, {
      name: "autofix / gates",
      headSha: sha,
      status: "completed",
      conclusion: "failure",
      title: "Semantic gate failed",
      summary: "The diff does not address the issue.",
    });
    expect(fake.checkRuns).toHaveLength(1);
    expect(fake.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "Semantic gate failed" } });
  });

  it("labels, reactions, reviewers and branch deletion land in the repository's state", async () => {
    fake = new FakeGitHub()
      .addRepo("acme", "widgets")
      .addIssue("acme/widgets", { number: 3, title: "Bug", labels: ["autofix"] })
      .start();
    fake.setBranch("acme/widgets", "autofix/issue-3", "a".repeat(40)).setPermission("acme/widgets", "alice", "write");
    const forge = createOctokitForge(await installationOctokit(), { botLogin: "autofix[bot]" });
    const pr = await forge.ensurePr(repo, { head: "autofix/issue-3", base: "main", title: "Fix #3", body: "b", draft: true });
    await forge.addLabels(repo, 3, ["autofix:running"]);
    await forge.removeLabel(repo, 3, "autofix");
    await forge.addReaction(repo, { issueNumber: 3 }, "eyes");
    await forge.addReaction(repo, { issueNumber: 3 }, "eyes");
    await forge.requestReviewers(repo, pr.number, ["alice", "outsider"]);
    await forge.deleteBranch(repo, "autofix/issue-3");
    await forge.deleteBranch(repo, "autofix/issue-3");
    expect(fake.issues.get("acme/widgets#3")!.labels.map((l) => l.name)).toEqual(["autofix:running"]);
    expect(fake.reactions).toHaveLength(1);
    expect(fake.pullsOf("acme/widgets")[0].requested_reviewers.map((u: any) => u.login)).toEqual(["alice"]);
    expect(await forge.getBranchSha(repo, "autofix/issue-3")).toBeUndefined();
    expect(fake.unexpected).toEqual([]);
  });
});

describe("installation credentials for git", () => {
  it("mints x-access-token credentials from the installation when asked", async () => {
    fake = new FakeGitHub({ token: "ghs_minted_for_42" }).addRepo("acme", "widgets").start();
    const octokit = await installationOctokit();
    const forge = createOctokitForge(octokit, { gitCredentials: installationGitCredentials(octokit) });
    expect(fake.tokensIssued).toEqual([]);
    expect(await forge.gitCredentials(repo)).toEqual({ username: "x-access-token", password: "ghs_minted_for_42" });
    expect(fake.tokensIssued).toEqual([42]);
  });

  it("on GitHub Enterprise Server, the token and the API calls go to the enterprise host", async () => {
    fake = new FakeGitHub({ baseUrl: "http://ghe.example.test/api/v3", token: "ghs_enterprise" })
      .addRepo("acme", "widgets", { cloneUrl: "http://ghe.example.test/acme/widgets.git" })
      .start();
    const octokit = await installationOctokit("http://ghe.example.test/api/v3");
    const forge = createOctokitForge(octokit, { gitCredentials: installationGitCredentials(octokit) });
    expect((await forge.getRepo(repo)).cloneUrl).toBe("http://ghe.example.test/acme/widgets.git");
    expect((await forge.gitCredentials(repo))?.password).toBe("ghs_enterprise");
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /app/installations/42/access_tokens", "GET /repos/acme/widgets"]);
  });

  it("without credentials configured, the forge offers none", async () => {
    const forge = createOctokitForge({ request: async () => ({ status: 200, data: {} }), paginate: async () => [] });
    expect(await forge.gitCredentials(repo)).toBeUndefined();
  });
});

describe("FakeGitHub as the e2e tests' GitHub", () => {
  it("serves .github/autofix.yml to Probot's config loader and to the REST loader at a ref", async () => {
    fake = new FakeGitHub().addRepo("acme", "widgets").start();
    fake.setFile("acme/widgets", ".github/autofix.yml", "limits:\n  attempts: 4\n");
    fake.setFile("acme/widgets", ".github/autofix.yml", "limits:\n  attempts: 9\n", "pr-head");
    const octokit = await installationOctokit();
    const payload = { repository: { name: "widgets", owner: { login: "acme" } } };
    const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => silent };
    const context = new Context({ id: "d", name: "issues", payload } as never, octokit as never, silent as never);
    const loaded = await loadRepoConfig(context);
    expect(loaded).toMatchObject({ ok: true, config: { limits: { attempts: 4 } } });
    const atHead = await loadConfigViaApi(octokit, repo, "pr-head");
    expect(atHead.ok ? undefined : atHead.problems[0]).toMatchObject({ path: "limits.attempts", line: 2 });
    expect(fake.unexpected).toEqual([]);
  });

  it("finds pushed branches through resolveRef and shows a PR's head moving with its branch", async () => {
    const branches = new Map([["autofix/issue-3", "1".repeat(40)]]);
    fake = new FakeGitHub({ resolveRef: (_repo, branch) => branches.get(branch) }).addRepo("acme", "widgets").start();
    const forge = createOctokitForge(await installationOctokit(), { botLogin: "autofix[bot]" });
    const pr = await forge.ensurePr(repo, { head: "autofix/issue-3", base: "main", title: "t", body: "b", draft: false });
    expect(pr.headSha).toBe("1".repeat(40));
    branches.set("autofix/issue-3", "2".repeat(40));
    expect((await forge.getPr(repo, pr.number)).headSha).toBe("2".repeat(40));
    await forge.deleteBranch(repo, "autofix/issue-3");
    expect(await forge.getBranchSha(repo, "autofix/issue-3")).toBeUndefined();
    expect(fake.deletedBranches).toEqual(["acme/widgets:autofix/issue-3"]);
  });

  it("answers a PR's files and commits from the test's callbacks, and open PRs by base", async () => {
    fake = new FakeGitHub({
      prFiles: (_repo, pr) => [{ filename: "src/a.ts", status: "modified", patch: `@@ ${pr.headRef} @@` }],
      prCommits: () => [{ sha: "c1", author: { login: "autofix[bot]" }, commit: { author: { email: "bot@example.test" } } }],
    })
      .addRepo("acme", "widgets")
      .start();
    fake.setBranch("acme/widgets", "autofix/issue-3", "a".repeat(40)).setBranch("acme/widgets", "autofix/issue-4", "b".repeat(40));
    const forge = createOctokitForge(await installationOctokit(), { botLogin: "autofix[bot]" });
    const pr = await forge.ensurePr(repo, { head: "autofix/issue-3", base: "main", title: "t", body: "b", draft: false });
    await forge.ensurePr(repo, { head: "autofix/issue-4", base: "develop", title: "t", body: "b", draft: false });
    expect(await forge.listPrFiles!(repo, pr.number)).toEqual([{ path: "src/a.ts", status: "modified", patch: "@@ autofix/issue-3 @@" }]);
    expect(await forge.listPrCommits!(repo, pr.number)).toEqual([{ sha: "c1", authorLogin: "autofix[bot]", authorEmail: "bot@example.test" }]);
    expect((await forge.listOpenPrs!(repo, "main")).map((p) => p.headRef)).toEqual(["autofix/issue-3"]);
    expect(fake.unexpected).toEqual([]);
  });

  it("a route added by a test takes precedence over the built-in one", async () => {
    fake = new FakeGitHub().addRepo("acme", "widgets").start();
    fake.on("GET", /^\/repos\/acme\/widgets$/, () => ({ status: 451, body: { message: "Unavailable For Legal Reasons" } }));
    const forge = createOctokitForge(await installationOctokit());
    await expect(forge.getRepo(repo)).rejects.toMatchObject({ code: "FORGE_UNAVAILABLE" });
  });
});

describe("one-shot nock helpers", () => {
  it("answer the installation token, repository, issue and permission calls with GitHub's shapes", async () => {
    const scopes = [
      mockInstallationToken(42, "ghs_one_shot"),
      mockRepo("acme", "widgets", { defaultBranch: "develop" }),
      mockIssue("acme", "widgets", {
        number: 5,
        title: "Typo",
        body: "teh",
        labels: ["autofix"],
        comments: [
          { id: 1, author: "alice", body: "see README" },
          { id: 2, author: "autofix[bot]", body: "working" },
        ],
      }),
      mockPermission("acme", "widgets", "alice", "triage"),
    ];
    const forge = createOctokitForge(await installationOctokit(), { botLogin: "autofix[bot]" });
    expect(await forge.getRepo(repo)).toMatchObject({ defaultBranch: "develop", cloneUrl: "https://github.com/acme/widgets.git" });
    expect(await forge.getIssue(repo, 5)).toMatchObject({
      title: "Typo",
      body: "teh",
      labels: ["autofix"],
      comments: [{ author: "alice", body: "see README" }],
    });
    expect(await forge.getPermission(repo, "alice")).toBe("triage");
    for (const scope of scopes) scope.done();
    nock.cleanAll();
  });
});
