// Loading a repository's config: through Probot's own context.config (with `_extends` and the
// organisation's `.github` repository) and through the REST API for the CLI and PR-head checks.
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { Context, ProbotOctokit } from "probot";
import { Octokit } from "@octokit/rest";
import { loadConfigViaApi, loadRepoConfig, mergeLikeProbot, parseExtends } from "../../src/app/configLoad.js";
import { defaultConfig } from "../../src/config/schema.js";
import type { OctokitLike } from "../../src/forge/octokitLike.js";

const api = "https://api.github.com";
/** @octokit/rest logs every failed request; the failures here are the point of the tests. */
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const contents = (owner: string, repo: string, path = ".github/autofix.yml") => `/repos/${owner}/${repo}/contents/${encodeURIComponent(path)}`;
const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => silent } as never;

function probotContext(): Context {
  const octokit = new (ProbotOctokit.defaults((o: any) => ({ ...o, retry: { enabled: false }, throttle: { ...o?.throttle, enabled: false } })))({
    auth: "ghs_test",
  } as never);
  const payload = { action: "labeled", repository: { name: "widgets", owner: { login: "acme" } }, issue: { number: 1 } };
  return new Context({ id: "delivery-1", name: "issues", payload } as never, octokit as never, silent);
}

const rest = () => new Octokit({ auth: "ghs_test", log: quiet }) as unknown as OctokitLike;

afterEach(() => nock.cleanAll());

describe("through Probot's context.config", () => {
  it("no file in the repository or the organisation means the defaults", async () => {
    const scope = nock(api).get(contents("acme", "widgets")).reply(404).get(contents("acme", ".github")).reply(404);
    expect(await loadRepoConfig(probotContext())).toEqual({ ok: true, config: defaultConfig() });
    scope.done();
  });

  it("follows `_extends` to another repository and merges it under the repository's own options", async () => {
    const scope = nock(api)
      .get(contents("acme", "widgets"))
      .reply(200, "_extends: shared-config\nlabel: fix-it\npr:\n  labels: [widgets]\n")
      .get(contents("acme", "shared-config"))
      .reply(200, "permission: maintain\nlabel: base-label\npr:\n  labels: [autofix]\n  draft: true\n");
    const result = await loadRepoConfig(probotContext());
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config).toMatchObject({ label: "fix-it", permission: "maintain", pr: { draft: true } });
    expect(result.config.pr.labels).toEqual(["autofix", "widgets"]);
    scope.done();
  });

  it("an invalid file is re-read for line numbers, so the problems point into the file", async () => {
    const file = "label: autofix\ngates:\n  semantic:\n    minConfidence: 2\n";
    const scope = nock(api).get(contents("acme", "widgets")).reply(200, file).get(contents("acme", "widgets")).reply(200, file);
    expect(await loadRepoConfig(probotContext())).toEqual({
      ok: false,
      problems: [{ path: "gates.semantic.minConfidence", line: 4, message: "`2` is too large; this must be a number from 0 to 1." }],
    });
    scope.done();
  });

  it("broken YAML is a problem for the repository, not a crash of the app", async () => {
    const scope = nock(api).get(contents("acme", "widgets")).reply(200, "label: [autofix\n");
    const result = await loadRepoConfig(probotContext());
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]).toMatchObject({ path: "", line: 2 });
    expect(!result.ok && result.problems[0].message).toContain("invalid YAML");
    scope.done();
  });

  it("a Probot-like context (any object with config()) works the same way", async () => {
    const context = { config: async (name: string) => (name === "autofix.yml" ? { limits: { attempts: 4 } } : null) };
    expect(await loadRepoConfig(context)).toMatchObject({ ok: true, config: { limits: { attempts: 4, maxFiles: 50 } } });
  });

  it("GitHub being down is an infrastructure error to retry, not a config problem", async () => {
    const scope = nock(api).get(contents("acme", "widgets")).reply(502, { message: "Bad Gateway" });
    await expect(loadRepoConfig(probotContext())).rejects.toMatchObject({ code: "FORGE_UNAVAILABLE", retryable: true });
    scope.done();
  });
});

describe("through the REST API", () => {
  it("a missing file falls back to the organisation's .github repository, then to the defaults", async () => {
    const scope = nock(api)
      .get(contents("acme", "widgets"))
      .reply(404)
      .get(contents("acme", ".github"))
      .reply(200, "permission: admin\n")
      .get(contents("acme", "gadgets"))
      .reply(404)
      .get(contents("acme", ".github"))
      .reply(404);
    expect(await loadConfigViaApi(rest(), { owner: "acme", repo: "widgets" })).toMatchObject({ ok: true, config: { permission: "admin" } });
    expect(await loadConfigViaApi(rest(), { owner: "acme", repo: "gadgets" })).toEqual({ ok: true, config: defaultConfig() });
    scope.done();
  });

  it("reads the file at a PR's head sha, with line numbers in its problems", async () => {
    const scope = nock(api).get(contents("acme", "widgets")).query({ ref: "abc123" }).reply(200, "label: autofix\nagent:\n  preset: claud-code\n");
    expect(await loadConfigViaApi(rest(), { owner: "acme", repo: "widgets" }, "abc123")).toEqual({
      ok: false,
      problems: [
        {
          path: "agent.preset",
          line: 3,
          message: 'the text "claud-code" is not allowed here; use one of `builtin`, `claude-code`, `codex`, `aider`, `command`. Did you mean `claude-code`?',
        },
      ],
    });
    scope.done();
  });

  it("follows `_extends: owner/repo:path` chains and merges them like Probot", async () => {
    const scope = nock(api)
      .get(contents("acme", "widgets"))
      .reply(200, "_extends: platform/policies:autofix/base.yml\nlimits:\n  attempts: 3\n")
      .get(contents("platform", "policies", "autofix/base.yml"))
      .reply(200, "_extends: root\nlimits:\n  maxFiles: 5\ndenyPaths: [secrets/**]\n")
      .get(contents("platform", "root", "autofix/base.yml"))
      .reply(200, "permission: maintain\n");
    const result = await loadConfigViaApi(rest(), { owner: "acme", repo: "widgets" });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config).toMatchObject({ permission: "maintain", limits: { attempts: 3, maxFiles: 5 } });
    expect(result.config.denyPaths).toEqual(["secrets/**"]);
    scope.done();
  });

  it("a problem in an inherited file names that file", async () => {
    const scope = nock(api)
      .get(contents("acme", "widgets"))
      .reply(200, "_extends: shared\n")
      .get(contents("acme", "shared"))
      .reply(200, "label: autofix\npr:\n  draft: maybe\n");
    expect(await loadConfigViaApi(rest(), { owner: "acme", repo: "widgets" })).toEqual({
      ok: false,
      problems: [
        { path: "pr.draft", line: 3, source: "acme/shared:.github/autofix.yml", message: 'found the text "maybe", but this must be `true` or `false`.' },
      ],
    });
    scope.done();
  });

  it("an `_extends` loop or a missing base is reported, never followed forever", async () => {
    const scope = nock(api)
      .get(contents("acme", "a"))
      .reply(200, "_extends: b\n")
      .get(contents("acme", "b"))
      .reply(200, "_extends: a\n")
      .get(contents("acme", "a"))
      .reply(200, "_extends: b\n")
      .get(contents("acme", "c"))
      .reply(200, "_extends: missing\n")
      .get(contents("acme", "missing"))
      .reply(404);
    const loop = await loadConfigViaApi(rest(), { owner: "acme", repo: "a" });
    expect(!loop.ok && loop.problems[0].message).toContain("loops back to acme/a:.github/autofix.yml");
    const missing = await loadConfigViaApi(rest(), { owner: "acme", repo: "c" });
    expect(!missing.ok && missing.problems[0].message).toContain("acme/missing:.github/autofix.yml, which does not exist");
    scope.done();
  });

  it("a directory where the file should be is a problem, never silently the defaults", async () => {
    const scope = nock(api)
      .get(contents("acme", "widgets"))
      .reply(200, [{ type: "file", name: "x.yml" }], { "content-type": "application/json; charset=utf-8" });
    const result = await loadConfigViaApi(rest(), { owner: "acme", repo: "widgets" });
    expect(!result.ok && result.problems[0].message).toBe("acme/widgets:.github/autofix.yml is a directory or a submodule, not a YAML file.");
    scope.done();
  });

  it("reads the file when GitHub answers raw bytes without a charset", async () => {
    const scope = nock(api).get(contents("acme", "widgets")).reply(200, Buffer.from("label: bytes\n"), { "content-type": "application/vnd.github.raw" });
    expect(await loadConfigViaApi(rest(), { owner: "acme", repo: "widgets" })).toMatchObject({ ok: true, config: { label: "bytes" } });
    scope.done();
  });

  it("reads `_extends` values the way Probot's config plugin does", () => {
    const from = { owner: "acme", path: ".github/autofix.yml" };
    expect(parseExtends("shared", from)).toEqual({ repo: { owner: "acme", repo: "shared" }, path: ".github/autofix.yml" });
    expect(parseExtends("org/.github", from)).toEqual({ repo: { owner: "org", repo: ".github" }, path: ".github/autofix.yml" });
    expect(parseExtends("org/x:conf/autofix.yaml", from)).toEqual({ repo: { owner: "org", repo: "x" }, path: "conf/autofix.yaml" });
    expect(parseExtends("not a repo!", from)).toBeUndefined();
    expect(mergeLikeProbot({ a: [1], b: { c: 1, d: 2 } }, { a: [2], b: { d: 3 } })).toEqual({ a: [1, 2], b: { c: 1, d: 3 } });
  });
});
