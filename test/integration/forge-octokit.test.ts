// The GitHub forge against GitHub's REST API, mocked per test with nock: every method, the quirks
// (pagination, permission roles, 404/422 tolerance) and the idempotent ensure* verbs.
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { Octokit } from "@octokit/rest";
import { createOctokitForge } from "../../src/forge/octokitForge.js";
import { checkOutputMaxChars } from "../../src/forge/githubChecks.js";
import { AutofixError } from "../../src/errors.js";
import { commentPayload, issuePayload, permissionPayload, repoPayload } from "../support/githubApi.js";

const api = "https://api.github.com";
/** @octokit/rest logs every failed request; the failures here are the point of the tests. */
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const repo = { owner: "acme", repo: "widgets" };
const R = "/repos/acme/widgets";
const octokit = () => new Octokit({ auth: "ghs_test", log: quiet });
const warnings: string[] = [];
const log = { info() {}, warn: (_d: object, message: string) => void warnings.push(message) };
const forge = () => createOctokitForge(octokit(), { botLogin: "autofix[bot]", log });

function prPayload(number: number, head: string, extra: Record<string, unknown> = {}) {
  const repository = repoPayload("acme", "widgets");
  return {
    id: 90 + number,
    node_id: `PR_${number}`,
    number,
    state: "open",
    draft: false,
    merged: false,
    merged_at: null,
    title: "Fix",
    body: "old",
    html_url: `https://github.com/acme/widgets/pull/${number}`,
    user: { login: "autofix[bot]", type: "Bot" },
    head: { ref: head, sha: "a".repeat(40), repo: repository },
    base: { ref: "main", sha: "b".repeat(40), repo: repository },
    ...extra,
  };
}

afterEach(() => {
  nock.cleanAll();
  warnings.length = 0;
});

describe("reading the repository, issues and permissions", () => {
  it("reads the clone URL and default branch from the API, not from a guessed host", async () => {
    const scope = nock(api)
      .get(R)
      .reply(200, repoPayload("acme", "widgets", { defaultBranch: "trunk", cloneUrl: "https://git.example/acme/widgets.git" }));
    const info = await forge().getRepo(repo);
    expect(info).toMatchObject({ owner: "acme", repo: "widgets", defaultBranch: "trunk", cloneUrl: "https://git.example/acme/widgets.git", private: false });
    scope.done();
  });

  it("reads an issue with only human comments, following pagination across pages", async () => {
    const humans = Array.from({ length: 100 }, (_, i) => commentPayload("acme", "widgets", 7, { id: i + 1, author: "alice", body: `note ${i + 1}` }));
    const scope = nock(api)
      .get(`${R}/issues/7`)
      .reply(200, issuePayload("acme", "widgets", { number: 7, title: "Crash on empty input", body: "Steps…", labels: ["autofix", "bug"] }))
      .get(`${R}/issues/7/comments`)
      .query({ per_page: 100 })
      .reply(200, humans, {
        link: `<${api}${R}/issues/7/comments?per_page=100&page=2>; rel="next", <${api}${R}/issues/7/comments?per_page=100&page=2>; rel="last"`,
      })
      .get(`${R}/issues/7/comments`)
      .query({ per_page: 100, page: 2 })
      .reply(200, [
        commentPayload("acme", "widgets", 7, { id: 101, author: "bob", body: "also on Windows" }),
        commentPayload("acme", "widgets", 7, { id: 102, author: "renovate[bot]", body: "bot noise" }),
        commentPayload("acme", "widgets", 7, { id: 103, author: "autofix[bot]", body: "<!-- autofix:status:7 --> working" }),
      ]);
    const issue = await forge().getIssue(repo, 7);
    expect(issue).toMatchObject({ number: 7, title: "Crash on empty input", body: "Steps…", author: "octocat", state: "open", labels: ["autofix", "bug"] });
    expect(issue.comments).toHaveLength(101);
    expect(issue.comments.at(-1)).toMatchObject({ id: 101, author: "bob", authorIsBot: false, body: "also on Windows" });
    expect(issue.comments.some((c) => c.author.endsWith("[bot]"))).toBe(false);
    scope.done();
  });

  it("with a person's token as the bot (the CLI), keeps that person's words but drops the bot's marked comments", async () => {
    const scope = nock(api)
      .get(`${R}/issues/8`)
      .reply(200, issuePayload("acme", "widgets", { number: 8, title: "t" }))
      .get(`${R}/issues/8/comments`)
      .query(true)
      .reply(200, [
        commentPayload("acme", "widgets", 8, { id: 1, author: "maria", body: "It fails on Windows only." }),
        commentPayload("acme", "widgets", 8, { id: 2, author: "maria", body: "<!-- autofix:status:8 -->\nrunning" }),
      ]);
    const issue = await createOctokitForge(octokit(), { botLogin: "maria" }).getIssue(repo, 8);
    expect(issue.comments.map((c) => c.id)).toEqual([1]);
    scope.done();
  });

  it.each([
    ["admin", "admin"],
    ["maintain", "maintain"],
    ["write", "write"],
    ["triage", "triage"],
    ["read", "read"],
    ["none", "none"],
  ] as const)("maps the %s role onto the %s permission level", async (role, expected) => {
    const scope = nock(api).get(`${R}/collaborators/carol/permission`).reply(200, permissionPayload("carol", role));
    expect(await forge().getPermission(repo, "carol")).toBe(expected);
    scope.done();
  });

  it("maps a custom role through the user's permission flags", async () => {
    const scope = nock(api)
      .get(`${R}/collaborators/dan/permission`)
      .reply(200, {
        permission: "write",
        role_name: "security-reviewer",
        user: { login: "dan", type: "User", permissions: { admin: false, maintain: true, push: true, triage: true, pull: true } },
      });
    expect(await forge().getPermission(repo, "dan")).toBe("maintain");
    scope.done();
  });

  it("treats an unknown user as having no permission", async () => {
    const scope = nock(api).get(`${R}/collaborators/ghost/permission`).reply(404, { message: "Not Found" });
    expect(await forge().getPermission(repo, "ghost")).toBe("none");
    scope.done();
  });

  it("reads a branch's head sha, and undefined for a missing branch", async () => {
    const scope = nock(api)
      .get(`${R}/git/ref/heads%2Fautofix%2Fissue-7`)
      .reply(200, { ref: "refs/heads/autofix/issue-7", object: { sha: "c".repeat(40), type: "commit" } })
      .get(`${R}/git/ref/heads%2Fgone`)
      .reply(404, { message: "Not Found" });
    expect(await forge().getBranchSha(repo, "autofix/issue-7")).toBe("c".repeat(40));
    expect(await forge().getBranchSha(repo, "gone")).toBeUndefined();
    scope.done();
  });

  it("explains a missing issue as an AutofixError that says what to check", async () => {
    const scope = nock(api).get(`${R}/issues/999`).reply(404, { message: "Not Found" });
    const err = await forge()
      .getIssue(repo, 999)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AutofixError);
    expect((err as AutofixError).code).toBe("FORGE_NOT_FOUND");
    expect((err as AutofixError).explanation.what).toContain("issue #999");
    scope.done();
  });

  it("explains a missing permission, and marks a server error as retryable", async () => {
    const scope = nock(api)
      .post(`${R}/issues/3/comments`)
      .reply(403, { message: "Resource not accessible by integration" })
      .post(`${R}/issues/3/comments`)
      .reply(502, { message: "Bad Gateway" });
    const denied = (await forge()
      .comment(repo, 3, "hi")
      .catch((e: unknown) => e)) as AutofixError;
    expect(denied.code).toBe("FORGE_ACCESS_DENIED");
    expect(denied.retryable).toBe(false);
    const flaky = (await forge()
      .comment(repo, 3, "hi")
      .catch((e: unknown) => e)) as AutofixError;
    expect(flaky.code).toBe("FORGE_UNAVAILABLE");
    expect(flaky.retryable).toBe(true);
    scope.done();
  });
});

describe("comments, reactions and labels", () => {
  const marker = "<!-- autofix:status:7 -->";

  it("edits the bot's status comment in place, found by its marker on a later page", async () => {
    const filler = Array.from({ length: 100 }, (_, i) => commentPayload("acme", "widgets", 7, { id: i + 1, author: "alice", body: "chatter" }));
    const scope = nock(api)
      .get(`${R}/issues/7/comments`)
      .query({ per_page: 100 })
      .reply(200, filler, { link: `<${api}${R}/issues/7/comments?per_page=100&page=2>; rel="next"` })
      .get(`${R}/issues/7/comments`)
      .query({ per_page: 100, page: 2 })
      .reply(200, [
        // A human quoting the marker must not make the bot edit (or fail to edit) the human's comment.
        commentPayload("acme", "widgets", 7, { id: 150, author: "mallory", body: `${marker} fake` }),
        commentPayload("acme", "widgets", 7, { id: 151, author: "autofix[bot]", body: `${marker}\nqueued` }),
      ])
      .patch(`${R}/issues/comments/151`, { body: `${marker}\nrunning the agent` })
      .reply(200, commentPayload("acme", "widgets", 7, { id: 151, author: "autofix[bot]", body: `${marker}\nrunning the agent` }));
    expect(await forge().ensureStatusComment(repo, 7, marker, "running the agent")).toBe(151);
    scope.done();
  });

  it("creates the status comment, marker included, when there is none", async () => {
    const scope = nock(api)
      .get(`${R}/issues/7/comments`)
      .query({ per_page: 100 })
      .reply(200, [])
      .post(`${R}/issues/7/comments`, { body: `${marker}\nqueued` })
      .reply(201, commentPayload("acme", "widgets", 7, { id: 200, author: "autofix[bot]", body: `${marker}\nqueued` }));
    expect(await forge().ensureStatusComment(repo, 7, marker, "queued")).toBe(200);
    scope.done();
  });

  it("a later update is a single edit, and a deleted status comment is written again", async () => {
    const once = forge();
    const scope = nock(api)
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [])
      .post(`${R}/issues/7/comments`)
      .reply(201, commentPayload("acme", "widgets", 7, { id: 400, author: "autofix[bot]", body: "…" }))
      .patch(`${R}/issues/comments/400`, { body: `${marker}\nrunning` })
      .reply(200, {})
      .patch(`${R}/issues/comments/400`, { body: `${marker}\ndone` })
      .reply(404, { message: "Not Found" })
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [])
      .post(`${R}/issues/7/comments`, { body: `${marker}\ndone` })
      .reply(201, commentPayload("acme", "widgets", 7, { id: 401, author: "autofix[bot]", body: "…" }));
    expect(await once.ensureStatusComment(repo, 7, marker, "queued")).toBe(400);
    expect(await once.ensureStatusComment(repo, 7, marker, "running")).toBe(400);
    expect(await once.ensureStatusComment(repo, 7, marker, "running")).toBe(400);
    expect(await once.ensureStatusComment(repo, 7, marker, "done")).toBe(401);
    scope.done();
  });

  it("does not edit the status comment when its body is already the wanted one", async () => {
    const scope = nock(api)
      .get(`${R}/issues/7/comments`)
      .query({ per_page: 100 })
      .reply(200, [commentPayload("acme", "widgets", 7, { id: 151, author: "autofix[bot]", body: `${marker}\nqueued` })]);
    expect(await forge().ensureStatusComment(repo, 7, marker, `${marker}\nqueued`)).toBe(151);
    scope.done();
  });

  it("cuts a comment longer than GitHub accepts, keeping the marker and saying so", async () => {
    let sent = "";
    const scope = nock(api)
      .get(`${R}/issues/7/comments`)
      .query(true)
      .reply(200, [])
      .post(`${R}/issues/7/comments`, (body) => {
        sent = body.body;
        return true;
      })
      .reply(201, commentPayload("acme", "widgets", 7, { id: 300, author: "autofix[bot]", body: "…" }));
    await forge().ensureStatusComment(repo, 7, marker, "x".repeat(70_000));
    expect(sent.startsWith(marker)).toBe(true);
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(65_536);
    expect(sent).toMatch(/truncated by autofix: \d+ more characters not shown\)$/);
    scope.done();
  });

  it("reacts to an issue and to a comment", async () => {
    const scope = nock(api)
      .post(`${R}/issues/7/reactions`, { content: "eyes" })
      .reply(201, { id: 1, content: "eyes" })
      .post(`${R}/issues/comments/55/reactions`, { content: "+1" })
      .reply(200, { id: 2, content: "+1" });
    await forge().addReaction(repo, { issueNumber: 7 }, "eyes");
    await forge().addReaction(repo, { commentId: 55 }, "+1");
    scope.done();
  });

  it("adds labels, and removing a label that is already gone is not an error", async () => {
    const scope = nock(api)
      .post(`${R}/issues/9/labels`, { labels: ["autofix", "needs review"] })
      .reply(200, [])
      .delete(`${R}/issues/9/labels/needs%20review`)
      .reply(200, [])
      .delete(`${R}/issues/9/labels/autofix`)
      .reply(404, { message: "Label does not exist" });
    await forge().addLabels(repo, 9, ["autofix", "needs review"]);
    await forge().addLabels(repo, 9, []);
    await forge().removeLabel(repo, 9, "needs review");
    await forge().removeLabel(repo, 9, "autofix");
    scope.done();
  });
});

describe("pull requests", () => {
  const wanted = { head: "autofix/issue-7", base: "main", title: "Fix crash on empty input (#7)", body: "Fixes #7", draft: false };

  it("finds the open PR of a branch by owner:branch", async () => {
    const scope = nock(api)
      .get(`${R}/pulls`)
      .query({ head: "acme:autofix/issue-7", state: "open", per_page: 10 })
      .reply(200, [prPayload(12, "autofix/issue-7")]);
    expect(await forge().findOpenPrByHead(repo, "autofix/issue-7")).toMatchObject({ number: 12, headRef: "autofix/issue-7", state: "open", merged: false });
    scope.done();
  });

  it("updates the existing PR in place instead of opening a second one", async () => {
    const scope = nock(api)
      .get(`${R}/pulls`)
      .query(true)
      .reply(200, [prPayload(12, "autofix/issue-7")])
      .get(`${R}/pulls/12`)
      .reply(200, prPayload(12, "autofix/issue-7"))
      .patch(`${R}/pulls/12`, { title: wanted.title, body: wanted.body, base: "main" })
      .reply(200, prPayload(12, "autofix/issue-7", { title: wanted.title, body: wanted.body }));
    const pr = await forge().ensurePr(repo, wanted);
    expect(pr).toMatchObject({ number: 12, created: false });
    scope.done();
  });

  it("opens a PR when the branch has none", async () => {
    const scope = nock(api)
      .get(`${R}/pulls`)
      .query(true)
      .reply(200, [])
      .post(
        `${R}/pulls`,
        (body) =>
          body.head === wanted.head && body.base === "main" && body.draft === false && body.title === wanted.title && !("maintainer_can_modify" in body),
      )
      .reply(201, prPayload(13, "autofix/issue-7"));
    expect(await forge().ensurePr(repo, wanted)).toMatchObject({ number: 13, created: true, htmlUrl: "https://github.com/acme/widgets/pull/13" });
    scope.done();
  });

  it("adopts the PR another worker opened between the lookup and the create", async () => {
    const scope = nock(api)
      .get(`${R}/pulls`)
      .query(true)
      .reply(200, [])
      .post(`${R}/pulls`)
      .reply(422, { message: "Validation Failed", errors: [{ message: "A pull request already exists for acme:autofix/issue-7." }] })
      .get(`${R}/pulls`)
      .query(true)
      .reply(200, [prPayload(14, "autofix/issue-7", { title: wanted.title, body: wanted.body })])
      .get(`${R}/pulls/14`)
      .reply(200, prPayload(14, "autofix/issue-7", { title: wanted.title, body: wanted.body }));
    expect(await forge().ensurePr(repo, wanted)).toMatchObject({ number: 14, created: false });
    scope.done();
  });

  it("turns an existing draft PR ready for review through GraphQL when a passing run wants it", async () => {
    const scope = nock(api)
      .get(`${R}/pulls`)
      .query(true)
      .reply(200, [prPayload(15, "autofix/issue-7", { draft: true, title: wanted.title, body: wanted.body })])
      .get(`${R}/pulls/15`)
      .reply(200, prPayload(15, "autofix/issue-7", { draft: true, title: wanted.title, body: wanted.body }))
      .post("/graphql", (body) => body.query.includes("markPullRequestReadyForReview") && body.variables.id === "PR_15")
      .reply(200, { data: { markPullRequestReadyForReview: { pullRequest: { isDraft: false } } } });
    expect(await forge().ensurePr(repo, wanted)).toMatchObject({ number: 15, draft: false, created: false });
    scope.done();
  });

  it("opens a regular PR when the repository does not support drafts", async () => {
    const scope = nock(api)
      .get(`${R}/pulls`)
      .query(true)
      .reply(200, [])
      .post(`${R}/pulls`, (body) => body.draft === true)
      .reply(422, {
        message: "Validation Failed",
        errors: [{ resource: "PullRequest", code: "custom", message: "Draft pull requests are not supported in this repository." }],
      })
      .get(`${R}/pulls`)
      .query(true)
      .reply(200, [])
      .post(`${R}/pulls`, (body) => body.draft === false)
      .reply(201, prPayload(17, "autofix/issue-7"));
    expect(await forge().ensurePr(repo, { ...wanted, draft: true })).toMatchObject({ number: 17, created: true, draft: false });
    expect(warnings).toEqual(["draft PRs are not available in this repository; opening a regular PR"]);
    scope.done();
  });

  it("a refused PR for another reason is explained, not retried", async () => {
    const scope = nock(api)
      .get(`${R}/pulls`)
      .query(true)
      .reply(200, [])
      .post(`${R}/pulls`)
      .reply(422, { message: "Validation Failed", errors: [{ resource: "PullRequest", field: "base", code: "invalid" }] })
      .get(`${R}/pulls`)
      .query(true)
      .reply(200, []);
    await expect(forge().ensurePr(repo, wanted)).rejects.toMatchObject({
      code: "FORGE_UNAVAILABLE",
      explanation: { what: expect.stringContaining("open a PR from autofix/issue-7 into main") },
    });
    scope.done();
  });

  it("reads a merged PR as merged", async () => {
    const scope = nock(api)
      .get(`${R}/pulls/16`)
      .reply(200, prPayload(16, "autofix/issue-7", { state: "closed", merged: true }));
    expect(await forge().getPr(repo, 16)).toMatchObject({ state: "closed", merged: true });
    scope.done();
  });

  it("requests reviewers, skipping the PR's author and the bot", async () => {
    const scope = nock(api)
      .get(`${R}/pulls/12`)
      .reply(200, prPayload(12, "autofix/issue-7", { user: { login: "erin", type: "User" } }))
      .post(`${R}/pulls/12/requested_reviewers`, { reviewers: ["alice"] })
      .reply(201, {});
    await forge().requestReviewers(repo, 12, ["alice", "Erin", "autofix[bot]"]);
    scope.done();
  });

  it("requests the collaborators one by one when GitHub refuses a non-collaborator in the list", async () => {
    const refusal = { message: "Reviews may only be requested from collaborators." };
    const scope = nock(api)
      .get(`${R}/pulls/12`)
      .reply(200, prPayload(12, "autofix/issue-7"))
      .post(`${R}/pulls/12/requested_reviewers`, { reviewers: ["alice", "stranger"] })
      .reply(422, refusal)
      .post(`${R}/pulls/12/requested_reviewers`, { reviewers: ["alice"] })
      .reply(201, {})
      .post(`${R}/pulls/12/requested_reviewers`, { reviewers: ["stranger"] })
      .reply(422, refusal);
    await forge().requestReviewers(repo, 12, ["alice", "stranger"]);
    expect(warnings).toEqual(["review request refused (not a collaborator on this repository); skipped"]);
    scope.done();
  });

  it("posts a review with inline comments on the new side of the diff", async () => {
    const scope = nock(api)
      .post(`${R}/pulls/12/reviews`, {
        commit_id: "a".repeat(40),
        event: "COMMENT",
        body: "Looks right.",
        comments: [{ path: "src/parse.ts", line: 14, side: "RIGHT", body: "Handle `undefined` too." }],
      })
      .reply(200, { id: 1 });
    await forge().createReview(repo, 12, {
      commitSha: "a".repeat(40),
      body: "Looks right.",
      comments: [{ path: "src/parse.ts", line: 14, body: "Handle `undefined` too." }],
    });
    scope.done();
  });

  it("moves inline comments into the review body when GitHub cannot place them", async () => {
    const scope = nock(api)
      .post(`${R}/pulls/12/reviews`, (body) => body.comments.length === 1)
      .reply(422, { message: "Unprocessable Entity", errors: ["Line could not be resolved"] })
      .post(`${R}/pulls/12/reviews`, (body) => body.comments.length === 0 && body.body.includes("`src/parse.ts:400`: Off by one."))
      .reply(200, { id: 2 });
    await forge().createReview(repo, 12, { commitSha: "a".repeat(40), body: "Review", comments: [{ path: "src/parse.ts", line: 400, body: "Off by one." }] });
    expect(warnings).toHaveLength(1);
    scope.done();
  });

  it("deletes a branch, and a branch that is already gone is not an error", async () => {
    const scope = nock(api)
      .delete(`${R}/git/refs/heads%2Fautofix%2Fissue-7`)
      .reply(204)
      .delete(`${R}/git/refs/heads%2Fautofix%2Fissue-8`)
      .reply(422, { message: "Reference does not exist" });
    await forge().deleteBranch(repo, "autofix/issue-7");
    await forge().deleteBranch(repo, "autofix/issue-8");
    scope.done();
  });
});

describe("check runs", () => {
  const sha = "d".repeat(40);
  const check = {
    name: "autofix / gates",
    headSha: sha,
    status: "completed" as const,
    conclusion: "success" as const,
    title: "All gates passed",
    summary: "ok",
  };

  it("updates this app's check run of the same name in place", async () => {
    const scope = nock(api)
      .get(`${R}/commits/${sha}/check-runs`)
      .query({ check_name: "autofix / gates", filter: "latest", per_page: 100 })
      .reply(200, {
        total_count: 2,
        check_runs: [
          { id: 1, name: "autofix / gates", app: { id: 9, slug: "other-app" } },
          { id: 2, name: "autofix / gates", app: { id: 7, slug: "autofix" } },
        ],
      })
      .patch(`${R}/check-runs/2`, (body) => body.status === "completed" && body.conclusion === "success" && body.output.title === "All gates passed")
      .reply(200, { id: 2, html_url: "https://github.com/acme/widgets/runs/2" });
    expect(await forge().ensureCheckRun(repo, check)).toEqual({ id: 2, htmlUrl: "https://github.com/acme/widgets/runs/2" });
    scope.done();
  });

  it("creates the check run when this app has none on the sha", async () => {
    const scope = nock(api)
      .get(`${R}/commits/${sha}/check-runs`)
      .query(true)
      .reply(200, { total_count: 0, check_runs: [] })
      .post(`${R}/check-runs`, (body) => body.head_sha === sha && body.status === "in_progress" && body.conclusion === undefined)
      .reply(201, { id: 3, html_url: "https://github.com/acme/widgets/runs/3" });
    expect(await forge().ensureCheckRun(repo, { ...check, status: "in_progress", conclusion: undefined })).toMatchObject({ id: 3 });
    scope.done();
  });

  it("cuts an oversized summary and text to GitHub's limit with a visible marker", async () => {
    let sent: any;
    const scope = nock(api)
      .get(`${R}/commits/${sha}/check-runs`)
      .query(true)
      .reply(200, { total_count: 0, check_runs: [] })
      .post(`${R}/check-runs`, (body) => {
        sent = body;
        return true;
      })
      .reply(201, { id: 4, html_url: "u" });
    await forge().ensureCheckRun(repo, { ...check, summary: "s".repeat(100_000), text: "😀".repeat(40_000) });
    expect(sent.output.summary.length).toBeLessThanOrEqual(checkOutputMaxChars);
    expect(sent.output.summary).toMatch(/truncated by autofix: \d+ more characters not shown\)$/);
    // GitHub counts bytes in practice (github/rest-api-description#5399): emoji are 4 bytes each.
    expect(Buffer.byteLength(sent.output.summary)).toBeLessThanOrEqual(checkOutputMaxChars);
    expect(Buffer.byteLength(sent.output.text)).toBeLessThanOrEqual(checkOutputMaxChars);
    expect(Buffer.byteLength(sent.output.text)).toBeGreaterThan(checkOutputMaxChars - 200);
    expect(sent.output.text).toContain("truncated by autofix");
    expect(sent.output.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    scope.done();
  });
});

describe("GitHub Enterprise Server", () => {
  it("sends every request to the Octokit's base URL", async () => {
    const ghes = "http://ghe.example.test";
    const scope = nock(ghes)
      .get("/api/v3/repos/acme/widgets")
      .reply(200, repoPayload("acme", "widgets", { baseUrl: `${ghes}/api/v3`, cloneUrl: `${ghes}/acme/widgets.git` }))
      .get("/api/v3/repos/acme/widgets/pulls")
      .query(true)
      .reply(200, []);
    const enterprise = createOctokitForge(new Octokit({ auth: "ghs_test", baseUrl: `${ghes}/api/v3`, log: quiet }));
    expect((await enterprise.getRepo(repo)).cloneUrl).toBe(`${ghes}/acme/widgets.git`);
    expect(await enterprise.findOpenPrByHead(repo, "autofix/issue-1")).toBeUndefined();
    scope.done();
  });
});
