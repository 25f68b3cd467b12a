// The CLI as a user drives it (`node bin/autofix.js`, as `npx autofix` runs it): a subprocess against the
// loopback fake GitHub and git server, its output and its documented exit codes.
import { cpSync, existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../support/githubApi.js";
import { extendFakeGitHub } from "../support/fakeGitHubExtras.js";
import { startGitHubProxy, type GitHubProxy } from "../support/githubProxy.js";
import { startGitServer, type GitServer } from "../support/gitServer.js";
import { buildRepo, git, gitAsync, tempDir, type BuiltRepo } from "../support/repoBuilder.js";
import { repoRoot, runCli } from "../support/cliRunner.js";

const token = "ghp_cliTestToken0123456789abcdef";

function demoRepoCopy(): string {
  const dir = path.join(tempDir("autofix-cli-local-"), "greeter");
  cpSync(path.join(repoRoot, "examples", "demo-repo"), dir, { recursive: true });
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "first");
  return dir;
}

describe("autofix CLI: usage and input errors", () => {
  it("prints usage and exits 0 for help, 2 without a command", async () => {
    const help = await runCli(["help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("autofix run owner/repo#12");
    const none = await runCli([]);
    expect(none.code).toBe(2);
  });

  it("explains an unknown command, a missing issue and a malformed issue reference with exit 2", async () => {
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown command `frobnicate`");
    const missing = await runCli(["run"], { env: { GITHUB_TOKEN: token } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("needs exactly one issue");
    const malformed = await runCli(["run", "not-an-issue"], { env: { GITHUB_TOKEN: token } });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("is not an issue reference");
    const flag = await runCli(["run", "--no-such-flag"]);
    expect(flag.code).toBe(2);
  });

  it("says a --local path is not a git repository, and an unreadable issue file cannot be read (exit 2)", async () => {
    const notRepo = tempDir("autofix-cli-plain-");
    writeFileSync(path.join(tempDir(), "issue.md"), "# x\n");
    const issue = path.join(notRepo, "issue.md");
    writeFileSync(issue, "# Title\nbody\n");
    const r1 = await runCli(["run", "--local", notRepo, "--issue-file", issue]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain("is not a git repository");
    const repo = demoRepoCopy();
    const r2 = await runCli(["run", "--local", repo, "--issue-file", path.join(notRepo, "missing.md")]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/issue file .*missing\.md cannot be read/);
  });

  it("validate-config prints each problem with its path and exits 2, or says the file is valid", async () => {
    const dir = tempDir("autofix-cli-config-");
    const bad = path.join(dir, "bad.yml");
    writeFileSync(bad, "label: autofix\nlimits:\n  attempts: 0\ngates:\n  review:\n    blockAt: critical\n");
    const r = await runCli(["validate-config", bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("limits.attempts");
    expect(r.stdout).toContain("gates.review.blockAt");
    expect(r.stdout).toMatch(/blocker.*major.*minor.*nit/);
    const ok = await runCli(["validate-config", path.join(repoRoot, "examples", "demo-repo", ".github", "autofix.yml")]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("is valid");
  });
});

describe("autofix run --local (offline)", () => {
  it("commits the fix on a local autofix branch, writes a report and exits 0", async () => {
    const repo = demoRepoCopy();
    const out = tempDir("autofix-cli-out-");
    const r = await runCli(["run", "--local", repo, "--issue-file", path.join(repoRoot, "examples", "demo-issue.md"), "--out", out], {
      env: { AUTOFIX_DATA_DIR: tempDir() },
    });
    expect(r.stderr + r.stdout).not.toContain("Error");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+  return "Hello, " + trimmed + "!";');
    expect(r.stdout).toContain("Gate deterministic: PASS");
    expect(r.stdout).toContain("Gate semantic: SKIPPED");
    const diff = git(repo, "diff", "main", "autofix/issue-1");
    expect(diff).toContain('+  return "Hello, " + trimmed + "!";');
    expect(diff.match(/^diff --git/gm)).toHaveLength(1);
    expect(existsSync(path.join(out, "report.md"))).toBe(true);
    expect(git(repo, "status", "--porcelain")).toBe("");
  });

  it("--json prints one JSON document with the outcome, delta and gates", async () => {
    const repo = demoRepoCopy();
    const r = await runCli(["run", "--local", repo, "--issue-file", path.join(repoRoot, "examples", "demo-issue.md"), "--json"], {
      env: { AUTOFIX_DATA_DIR: tempDir() },
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.outcome.kind).toBe("pr-opened");
    expect(doc.attempts[0].delta.files.map((f: { path: string }) => f.path)).toEqual(["src/greet.js"]);
    expect(doc.attempts[0].gates.map((g: { gate: string; status: string }) => `${g.gate}:${g.status}`)).toEqual([
      "deterministic:pass",
      "semantic:skipped",
      "review:skipped",
    ]);
    // The base side ran on the spawn under the base layer (red there, green after), not on a fallback checkout.
    const deterministic = doc.attempts[0].gates[0];
    expect(deterministic.commands.map((c: { command: string; status: string }) => `${c.command}:${c.status}`)).toEqual(["npm test:fixed"]);
    expect(deterministic.notes.join("\n")).not.toContain("separate checkout");
  });

  it("exits 1 when the agent's change breaks a test, and keeps the work on a branch", async () => {
    const repo = demoRepoCopy();
    const r = await runCli(
      [
        "run",
        "--local",
        repo,
        "--issue-file",
        path.join(repoRoot, "examples", "demo-issue.md"),
        "--agent-command",
        "node -e \"require('fs').writeFileSync('src/greet.js', 'export function greet() { return 1; }\\n')\"",
      ],
      { env: { AUTOFIX_DATA_DIR: tempDir() } },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Gate deterministic: FAIL");
    expect(r.stdout).toMatch(/greets a person by name/);
  });
});

describe("autofix run against GitHub (nock-mocked API, loopback git)", () => {
  let gitRoot: string;
  let server: GitServer;
  let repo: BuiltRepo;
  let fake: FakeGitHub;
  let proxy: GitHubProxy;

  beforeAll(async () => {
    gitRoot = tempDir("autofix-cli-gh-");
    const demo = path.join(repoRoot, "examples", "demo-repo");
    const files: Record<string, string> = {};
    for (const rel of ["package.json", "src/greet.js", "test/greet.test.js", "tools/example-agent.mjs", ".github/autofix.yml"])
      files[rel] = readFileSync(path.join(demo, rel), "utf8");
    repo = buildRepo(gitRoot, "greeter", files);
    server = await startGitServer({ root: gitRoot, passwords: [token] });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(async () => {
    await proxy?.close();
    fake?.stop();
    nock.cleanAll();
  });

  async function mockGitHub() {
    fake = new FakeGitHub({ baseUrl: "https://ghe.test/api/v3", token });
    fake.addRepo("octo", "greeter", { cloneUrl: server.repoUrl("greeter") });
    fake.addIssue("octo/greeter", { number: 12, title: "Greeting keeps the spaces around a name", body: "greet('  Ada  ') keeps the spaces." });
    extendFakeGitHub(fake, {
      owner: "octo",
      name: "greeter",
      bare: repo.bare,
      user: "cli-user",
      config: () => readFileSync(path.join(repoRoot, "examples/demo-repo/.github/autofix.yml"), "utf8"),
    });
    fake.start();
    proxy = await startGitHubProxy(fake);
    return { ...proxy.env, GITHUB_TOKEN: token, AUTOFIX_DATA_DIR: tempDir(), AUTOFIX_GITHUB_THROTTLE: "off" };
  }

  it("--dry-run prints the delta and the gate reports and writes nothing (exit 0)", async () => {
    const env = await mockGitHub();
    const r = await runCli(["run", "octo/greeter#12", "--dry-run"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("trimmed");
    expect(r.stdout).toContain("Gate deterministic: PASS");
    const writes = fake.requests.filter((q) => q.method !== "GET");
    expect(writes).toEqual([]);
    expect(await gitAsync(repo.bare, "branch", "--list", "autofix/*")).toBe("");
  });

  it("opens the same PR the app would (exit 0), and a second run updates it instead of opening another", async () => {
    const env = await mockGitHub();
    const first = await runCli(["run", "https://ghe.test/octo/greeter/issues/12"], { env });
    expect(first.code).toBe(0);
    expect(fake.pullsOf("octo/greeter")).toHaveLength(1);
    expect(fake.pullsOf("octo/greeter")[0].body).toContain("Fixes #12");
    // The PR's branch holds the agent's change and nothing else.
    const diff = await gitAsync(repo.bare, "diff", "main...autofix/issue-12");
    expect(diff.match(/^diff --git/gm)).toHaveLength(1);
    expect(diff).toContain('+  return "Hello, " + trimmed + "!";');
    const second = await runCli(["run", "octo/greeter#12"], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("updated");
    expect(fake.pullsOf("octo/greeter")).toHaveLength(1);
  });

  it("exits 3 when the repository cannot be fetched", async () => {
    const env = await mockGitHub();
    fake.addRepo("octo", "greeter", { cloneUrl: "http://127.0.0.1:9/nowhere.git" });
    const r = await runCli(["run", "octo/greeter#12", "--dry-run"], { env });
    expect(r.code).toBe(3);
    expect(r.stderr.length).toBeGreaterThan(0);
    expect(r.stderr).not.toContain(token);
  });
});

void mkdirSync;

describe("autofix run --local without bubblewrap", () => {
  it("runs with a sandbox warning in the report when bubblewrap is unavailable", async () => {
    const repo = demoRepoCopy();
    const r = await runCli(["run", "--local", repo, "--issue-file", path.join(repoRoot, "examples", "demo-issue.md")], {
      env: { AUTOFIX_DATA_DIR: tempDir(), AUTOFIX_BWRAP_PATH: "/nonexistent/bwrap" },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("note: sandbox:");
    expect(r.stdout).toContain("Sandbox warning: repository commands ran without bubblewrap isolation");
  });

  it("refuses to run with AUTOFIX_SANDBOX=required and says how to enable bubblewrap (exit 2)", async () => {
    const repo = demoRepoCopy();
    const r = await runCli(["run", "--local", repo, "--issue-file", path.join(repoRoot, "examples", "demo-issue.md")], {
      env: { AUTOFIX_DATA_DIR: tempDir(), AUTOFIX_BWRAP_PATH: "/nonexistent/bwrap", AUTOFIX_SANDBOX: "required" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bubblewrap");
    expect(r.stderr).toMatch(/apt-get install|install .*bubblewrap/i);
    expect(git(repo, "branch", "--list", "autofix/*")).toBe("");
  });
});

describe("autofix doctor", () => {
  it("checks each setting and says what to fix, exiting 2 when the set-up blocks autofix (as `run` does)", async () => {
    const ok = await runCli(["doctor"], { env: { AUTOFIX_DATA_DIR: tempDir() } });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/✔ data directory: .* is writable/);
    // The real free space of the data directory, read and judged (a warning on a nearly full disk).
    expect(ok.stdout).toMatch(/(✔ disk: \d+\.\d GB free under .*; spare checkouts are on|! disk: only \d+\.\d GB free under)/);
    expect(ok.stdout).toContain("✔ job store");
    expect(ok.stdout).toMatch(/! GitHub App: APP_ID is not set/);
    expect(ok.stdout).toMatch(/! LLM \(judges\): not configured/);
    // A regular file where the data directory should be: nothing can be created below it.
    const file = path.join(tempDir(), "not-a-directory");
    writeFileSync(file, "x");
    const blocked = await runCli(["doctor"], { env: { AUTOFIX_DATA_DIR: path.join(file, "data") } });
    expect(blocked.code).toBe(2);
    expect(blocked.stdout).toMatch(/✖ data directory: .* is not writable/);
    expect(blocked.stdout).toContain("set AUTOFIX_DATA_DIR");
  });
});
