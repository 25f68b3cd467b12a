// The built-in agent inside the whole pipeline (`autofix run --local`, in process so nock serves the model):
// issue → prompt → scripted model fixes the off-by-one → delta → deterministic gate runs the repository's tests.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runCommand } from "../../src/cli/run.js";
import { git, tempDir } from "../support/repoBuilder.js";
import { scriptConversation, toolResultsIn } from "../fixtures/llm/scripted.js";

const fixtureRepo = fileURLToPath(new URL("../fixtures/builtin-repo", import.meta.url));
const savedEnv = { ...process.env };

beforeEach(() => {
  // A printed report is not what this test reads; keep the test output quiet.
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
  process.env = { ...savedEnv };
  nock.cleanAll();
});

describe("the built-in agent in the pipeline", () => {
  it("turns an issue into a branch holding exactly the model's fix, with the repository's tests green", async () => {
    const repo = path.join(tempDir("autofix-builtin-pipe-"), "list-utils");
    cpSync(fixtureRepo, repo, { recursive: true });
    git(repo, "init", "-q", "-b", "main");
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "first");
    const work = tempDir("autofix-builtin-pipe-work-");
    const issueFile = path.join(work, "issue.md");
    writeFileSync(issueFile, "# lastItems returns one item too few\n\n`lastItems([1, 2, 3, 4], 2)` gives `[4]`, expected `[3, 4]`.\n");
    const configFile = path.join(work, "autofix.yml");
    writeFileSync(
      configFile,
      [
        "agent:",
        "  preset: builtin",
        "  maxSteps: 10",
        "gates:",
        "  deterministic:",
        "    commands: ['node --test']",
        "  semantic:",
        "    enabled: false",
        "  review:",
        "    enabled: false",
        "",
      ].join("\n"),
    );
    Object.assign(process.env, {
      AUTOFIX_DATA_DIR: path.join(work, "data"),
      AUTOFIX_LLM_PROVIDER: "openai",
      AUTOFIX_LLM_BASE_URL: "https://llm.test/v1",
      AUTOFIX_LLM_API_KEY: "sk-pipeline-test-key",
      AUTOFIX_LLM_MODEL: "gpt-4.1",
      LOG_LEVEL: "silent",
    });

    const { scope, bodies } = scriptConversation(
      "openai",
      [
        { calls: [{ name: "search", arguments: { pattern: "export function lastItems" } }] },
        { calls: [{ name: "read_file", arguments: { path: "src/list.js", start_line: 1, end_line: 8 } }] },
        { calls: [{ name: "edit_file", arguments: { path: "src/list.js", old_text: "list.length - n + 1", new_text: "list.length - n" } }] },
        { calls: [{ name: "finish", arguments: { summary: "lastItems sliced from one past the start of the tail; it now slices from length - n." } }] },
      ],
      { origin: "https://llm.test", path: "/v1/chat/completions" },
    );

    const exitCode = await runCommand(["--local", repo, "--issue-file", issueFile, "--config", configFile, "--out", path.join(work, "out")]);
    scope.done();
    expect(exitCode).toBe(0);

    // the model saw the issue fenced as untrusted data, and the repository through its tools
    const prompt = bodies[0].messages[1].content as string;
    expect(prompt).toMatch(/<untrusted-issue number="1"[^>]*>\nTitle: lastItems returns one item too few/);
    expect(toolResultsIn("openai", bodies[1])[0]).toMatch(/^src\/list\.js:4: export function lastItems/);

    const diff = git(repo, "diff", "main", "autofix/issue-1");
    expect(diff.match(/^diff --git/gm)).toEqual(["diff --git"]);
    expect(diff).toContain("-  return list.slice(list.length - n + 1);");
    expect(diff).toContain("+  return list.slice(list.length - n);");
    expect(git(repo, "status", "--porcelain")).toBe("");
    // exit 0 means every gate passed; the report says the deterministic gate saw the failing test fixed
    const report = readFileSync(path.join(work, "out", "report.md"), "utf8");
    expect(report).toMatch(/deterministic.*pass/);
    expect(report).toMatch(/fixed: lastItems returns the last n items/);
  });
});
