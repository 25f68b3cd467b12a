// What the reviewer's loop reads about an existing PR through the GitHub forge: its files (paginated,
// renames, binaries without a patch), its commits' authors, and the open PRs into a branch.
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { Octokit } from "@octokit/rest";
import { createOctokitForge } from "../../src/forge/octokitForge.js";
import { repoPayload } from "../support/githubApi.js";

const api = "https://api.github.com";
const R = "/repos/acme/widgets";
const repo = { owner: "acme", repo: "widgets" };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const forge = () => createOctokitForge(new Octokit({ auth: "ghs_test", log: quiet }), { botLogin: "autofix[bot]" });

afterEach(() => nock.cleanAll());

describe("reading an existing PR", () => {
  it("lists every file of a large PR across pages, with renames and binaries without a patch", async () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ filename: `src/f${i}.ts`, status: "modified", patch: "@@ -1 +1 @@\n-a\n+b" }));
    const scope = nock(api)
      .get(`${R}/pulls/12/files`)
      .query({ per_page: 100 })
      .reply(200, many, { link: `<${api}${R}/pulls/12/files?per_page=100&page=2>; rel="next"` })
      .get(`${R}/pulls/12/files`)
      .query({ per_page: 100, page: 2 })
      .reply(200, [
        { filename: "docs/new.md", previous_filename: "docs/old.md", status: "renamed", patch: "" },
        { filename: "logo.png", status: "added" },
      ]);
    const files = await forge().listPrFiles!(repo, 12);
    expect(files).toHaveLength(102);
    expect(files[100]).toEqual({ path: "docs/new.md", status: "renamed", previousPath: "docs/old.md", patch: "" });
    expect(files[101]).toEqual({ path: "logo.png", status: "added" });
    scope.done();
  });

  it("reads every page of a commit's check runs and suites, so a red run past the first hundred is seen", async () => {
    const green = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, name: `shard ${i}`, status: "completed", conclusion: "success" }));
    const scope = nock(api)
      .get(`${R}/commits/abc/check-runs`)
      .query({ per_page: 100, filter: "latest" })
      .reply(200, { total_count: 101, check_runs: green }, { link: `<${api}${R}/commits/abc/check-runs?per_page=100&filter=latest&page=2>; rel="next"` })
      .get(`${R}/commits/abc/check-runs`)
      .query({ per_page: 100, filter: "latest", page: 2 })
      .reply(200, { total_count: 101, check_runs: [{ id: 101, name: "shard 100", status: "completed", conclusion: "failure" }] })
      .get(`${R}/commits/abc/check-suites`)
      .query({ per_page: 100 })
      .reply(200, {
        total_count: 1,
        check_suites: [{ id: 7, status: "completed", conclusion: "failure", app: { slug: "github-actions" }, latest_check_runs_count: 101 }],
      });
    const runs = await forge().listCheckRuns!(repo, "abc");
    expect(runs).toHaveLength(101);
    expect(runs.at(-1)).toMatchObject({ name: "shard 100", conclusion: "failure" });
    expect(await forge().listCheckSuites!(repo, "abc")).toEqual([
      { id: 7, appSlug: "github-actions", status: "completed", conclusion: "failure", runCount: 101 },
    ]);
    scope.done();
  });

  it("lists a PR's commits with their authors, so a human's push can be noticed", async () => {
    const scope = nock(api)
      .get(`${R}/pulls/12/commits`)
      .query(true)
      .reply(200, [
        { sha: "a1", author: { login: "autofix[bot]" }, commit: { author: { email: "bot@example.test" } } },
        { sha: "b2", author: null, commit: { author: { email: "someone@example.test" } } },
      ]);
    expect(await forge().listPrCommits!(repo, 12)).toEqual([
      { sha: "a1", authorLogin: "autofix[bot]", authorEmail: "bot@example.test" },
      { sha: "b2", authorLogin: undefined, authorEmail: "someone@example.test" },
    ]);
    scope.done();
  });

  it("lists the open PRs into a base branch", async () => {
    const repository = repoPayload("acme", "widgets");
    const scope = nock(api)
      .get(`${R}/pulls`)
      .query({ state: "open", base: "main", per_page: 100 })
      .reply(200, [
        {
          number: 3,
          html_url: "h",
          state: "open",
          draft: false,
          merged_at: null,
          head: { ref: "autofix/issue-3", sha: "s", repo: repository },
          base: { ref: "main", repo: repository },
        },
      ]);
    expect(await forge().listOpenPrs!(repo, "main")).toMatchObject([{ number: 3, headRef: "autofix/issue-3", baseRef: "main", merged: false }]);
    scope.done();
  });
});
