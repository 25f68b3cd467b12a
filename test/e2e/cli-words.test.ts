// What the CLI says about itself: validate-config names the file it read, warns about passEnv names
// the agent will never get, and `autofix help` and docs/cli.md show the same commands and flags.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runCli } from "../support/cliRunner.js";
import { git, tempDir } from "../support/repoBuilder.js";

describe("autofix validate-config FILE", () => {
  it("names FILE (not .github/autofix.yml) in every problem line", async () => {
    const file = path.join(tempDir("autofix-validate-"), "team-autofix.yml");
    writeFileSync(file, "label: autofix\nlimits:\n  attempts: 0\n");
    const r = await runCli(["validate-config", file]);
    expect(r.code).toBe(2);
    const problems = r.stdout.split("\n").filter((l) => l.includes("limits.attempts"));
    expect(problems.length).toBeGreaterThan(0);
    for (const line of problems) expect(line).toContain(`${file}:3`);
    expect(r.stdout).not.toContain(".github/autofix.yml");
  });

  it("warns, naming FILE, when agent.passEnv names a variable the agent will always be denied", async () => {
    const file = path.join(tempDir("autofix-validate-"), "autofix.yml");
    writeFileSync(file, "agent:\n  passEnv: [ANTHROPIC_API_KEY, GITHUB_CLIENT_SECRET, WEBHOOK_PROXY_URL, PATH]\n");
    const r = await runCli(["validate-config", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`warning: ${file}: agent.passEnv names GITHUB_CLIENT_SECRET, which is always withheld from the agent`);
    expect(r.stdout).toContain(`warning: ${file}: agent.passEnv names WEBHOOK_PROXY_URL, which is always withheld from the agent`);
    expect(r.stdout).toContain(`warning: ${file}: agent.passEnv names PATH, which the agent always gets from autofix itself`);
    expect(r.stdout).not.toContain("names ANTHROPIC_API_KEY");
  });
});

describe("autofix help and docs/cli.md", () => {
  it("show the same usage line for every command", async () => {
    const help = await runCli(["help"]);
    const docs = readFileSync(path.join(repoRoot, "docs", "cli.md"), "utf8");
    const usageLines = help.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("autofix ") && !l.startsWith("autofix:"));
    expect(usageLines.length).toBeGreaterThan(5);
    for (const line of usageLines) {
      const [, command] = line.split(" ");
      // `autofix validate-config [file]` and `autofix doctor` appear as headings; the rest in code blocks.
      expect(docs.includes(line) || docs.includes(`## \`${line}\``), `${command}: "${line}" in docs/cli.md`).toBe(true);
    }
  });
});

describe("one exit code per kind of set-up error", () => {
  it("an unwritable data directory exits 2 from `run` and from `doctor`", async () => {
    const file = path.join(tempDir("autofix-exit-"), "not-a-directory");
    writeFileSync(file, "x");
    const env = { AUTOFIX_DATA_DIR: path.join(file, "data") };
    const repo = path.join(tempDir("autofix-exit-repo-"), "r");
    cpSync(path.join(repoRoot, "examples", "demo-repo"), repo, { recursive: true });
    git(repo, "init", "-q", "-b", "main");
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "first");
    const run = await runCli(["run", "--local", repo, "--issue-file", path.join(repoRoot, "examples", "demo-issue.md")], { env });
    const doctor = await runCli(["doctor"], { env });
    expect(run.stderr).toContain("DATA_DIR_UNWRITABLE");
    expect(run.code).toBe(2);
    expect(doctor.code).toBe(2);
  });
});
