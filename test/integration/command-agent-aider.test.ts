// The aider preset. Aider is a Python program and cannot be installed on this machine (only the npm and
// Debian registries are reachable), so these tests run a stand-in program named `aider`, placed first on the
// agent's PATH, that records the argv and environment it receives and prints Aider's usage lines.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { AgentNotInstalled, createCommandAgent, findPreset } from "../../src/agents/index.js";
import { parseAiderUsage } from "../../src/agents/presets/aider.js";
import { tempDir } from "../support/repoBuilder.js";

let root: string;
let toolsBin: string;
let sandbox: Sandbox;
const aider = findPreset("aider")!;
const botSecret = "sk-bot-llm-key-for-aider-test";

const standIn = `#!/bin/sh
# Stand-in for aider: records what it was given, edits like aider would, prints aider's usage lines.
{ for arg in "$@"; do printf 'ARG %s\\n' "$arg"; done; env | sed 's/^/ENV /'; } > "$PWD/.aider-record"
prompt_file=""
while [ $# -gt 0 ]; do [ "$1" = "--message-file" ] && prompt_file="$2"; shift; done
printf 'PROMPT %s\\n' "$(cat "$prompt_file")" >> "$PWD/.aider-record"
sed -i 's/helo/hello/' greeting.txt
echo "Applied edit to greeting.txt"
echo "Tokens: 2.4k sent, 312 received. Cost: \\$0.01 message, \\$0.01 session."
`;

beforeAll(async () => {
  process.env.AUTOFIX_LLM_API_KEY = botSecret;
  process.env.OPENAI_API_KEY = "sk-aider-own-key";
  root = tempDir("autofix-aider-");
  toolsBin = path.join(root, "tools", "bin");
  mkdirSync(toolsBin, { recursive: true });
  writeFileSync(path.join(toolsBin, "aider"), standIn);
  chmodSync(path.join(toolsBin, "aider"), 0o755);
  sandbox = await createSandbox({ mode: "required" });
});
afterAll(() => {
  delete process.env.AUTOFIX_LLM_API_KEY;
  delete process.env.OPENAI_API_KEY;
  rmSync(root, { recursive: true, force: true });
});

function freshJob(name: string): { spawnDir: string; scratchDir: string } {
  const spawnDir = path.join(root, name, "spawn");
  mkdirSync(spawnDir, { recursive: true });
  writeFileSync(path.join(spawnDir, "greeting.txt"), "helo\n");
  return { spawnDir, scratchDir: path.join(root, name, "scratch") };
}

describe("the aider preset (run against a stand-in `aider`, since Aider cannot be installed here)", () => {
  it("starts aider unattended on the prompt file, without git commits, with the configured model", async () => {
    const { spawnDir, scratchDir } = freshJob("flags");
    const agent = createCommandAgent({
      preset: aider,
      sandbox,
      env: { passEnv: ["OPENAI_API_KEY"], operatorAllowed: ["OPENAI_API_KEY"], extraPathDirs: [toolsBin] },
      model: "gpt-4.1",
      network: "none",
    });
    const run = await agent.run({ spawnDir, scratchDir, prompt: "Fix the greeting typo in greeting.txt.", timeoutMs: 30_000 });

    const record = readFileSync(path.join(spawnDir, ".aider-record"), "utf8");
    const args = [...record.matchAll(/^ARG (.*)$/gm)].map((m) => m[1]);
    expect(args).toEqual(
      expect.arrayContaining([
        "--yes-always",
        "--no-auto-commits",
        "--no-dirty-commits",
        "--no-git",
        "--no-gitignore",
        "--no-check-update",
        "--analytics-disable",
      ]),
    );
    const promptFile = path.join(scratchDir, "prompt.md");
    expect(args[args.indexOf("--message-file") + 1]).toBe(promptFile);
    expect(args[args.indexOf("--model") + 1]).toBe("gpt-4.1");
    expect(record).toContain("PROMPT Fix the greeting typo in greeting.txt.");

    expect(readFileSync(path.join(spawnDir, "greeting.txt"), "utf8")).toBe("hello\n");
    expect(run).toMatchObject({ agent: "aider", exitCode: 0, timedOut: false, isolation: "bubblewrap" });
    expect(run.usage).toEqual({ inputTokens: 2400, outputTokens: 312, costUsd: 0.01 });
    expect(run.summary).toContain("Applied edit to greeting.txt");
    expect(run.summary).not.toContain("Tokens:");
  });

  it("receives only the allow-listed environment: its own key, never the bot's", async () => {
    const { spawnDir, scratchDir } = freshJob("env");
    const agent = createCommandAgent({
      preset: aider,
      sandbox,
      env: { passEnv: ["OPENAI_API_KEY", "AUTOFIX_LLM_API_KEY"], operatorAllowed: ["OPENAI_API_KEY", "AUTOFIX_LLM_API_KEY"], extraPathDirs: [toolsBin] },
      network: "none",
    });
    await agent.run({ spawnDir, scratchDir, prompt: "p", timeoutMs: 30_000 });
    // Besides the toolchain variables the sandbox sets for the host's version managers (PYENV_ROOT...).
    const envNames = [...readFileSync(path.join(spawnDir, ".aider-record"), "utf8").matchAll(/^ENV ([A-Z_][A-Z0-9_]*)=/gm)]
      .map((m) => m[1]!)
      .filter((n) => !(n in sandbox.description.env))
      .sort();
    expect(envNames).toEqual(["AUTOFIX_PROMPT", "AUTOFIX_PROMPT_FILE", "CI", "HOME", "LANG", "LC_ALL", "OPENAI_API_KEY", "PATH", "PWD", "TERM", "TMPDIR"]);
    expect(readFileSync(path.join(spawnDir, ".aider-record"), "utf8")).not.toContain(botSecret);
  });

  it("says how to install aider when it is not on PATH", async () => {
    const { spawnDir, scratchDir } = freshJob("missing");
    // A name no machine has: an aider installed globally sits in a system directory the agent's PATH holds.
    const agent = createCommandAgent({
      preset: { ...aider, program: "aider-absent-for-this-test" },
      sandbox,
      env: { passEnv: [], operatorAllowed: [] },
      network: "none",
    });
    const error = await agent.run({ spawnDir, scratchDir, prompt: "p", timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentNotInstalled);
    expect((error as Error).message).toMatch(/^aider-absent-for-this-test not found on PATH: install it with .*aider-install/);
  });
});

describe("aider usage lines", () => {
  it("add up tokens and cost across replies, reading k and M suffixes", () => {
    const output = [
      "Tokens: 12k sent, 1.3k received. Cost: $0.02 message, $0.02 session.",
      "Applied edit to a.ts",
      "Tokens: 1.5M sent, 800 received. Cost: $0.50 message, $0.52 session.",
    ].join("\n");
    expect(parseAiderUsage(output)).toEqual({ inputTokens: 1_512_000, outputTokens: 2_100, costUsd: 0.52 });
  });

  it("report no usage when aider printed none", () => {
    expect(parseAiderUsage("Applied edit to a.ts")).toBeUndefined();
  });
});
