// The real Claude Code CLI, run by the claude-code preset in the sandbox, runs read-only git in a real spawn:
// `git status`, `git diff` and `git log` succeed because the sandbox shows the object cache the spawn's
// alternates point to, and acceptEdits lets read-only git through without a permission prompt. With network
// `allow` it reaches its LLM endpoint through the egress proxy and nothing else.
import path from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCommandAgent } from "../../src/agents/command.js";
import { claudeCodePreset } from "../../src/agents/presets/claudeCode.js";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { startFakeAnthropic, toolResults } from "../support/fakeAnthropic.js";
import { makeSpawn, requirePinnedCli, type PinnedCli } from "../support/agentClis.js";

let cli: PinnedCli;
let sandbox: Sandbox;
const savedEnv = { ...process.env };

beforeAll(async () => {
  cli = await requirePinnedCli("claude");
  process.env.PATH = `${cli.binDir}:${process.env.PATH}`;
});
afterAll(() => {
  process.env = savedEnv;
});

it("runs git status, git diff and git log in the spawn successfully", async () => {
  const spawn = await makeSpawn({ "src/greet.ts": "export const greet = 'helo';\n", "README.md": "# greet\n" });
  // The engine's object store for this spawn lives beside it, as the data directory's cache does.
  const root = path.dirname(path.dirname(spawn.dir));
  sandbox = await createSandbox({ mode: "required", gitObjectRoots: [root] });
  writeFileSync(path.join(spawn.dir, "src/greet.ts"), "export const greet = 'hello';\n");
  const fake = await startFakeAnthropic({
    kind: "bash",
    commands: ["git status --porcelain", "git diff --stat", "git log --oneline -1"],
    finalText: "Looked around.",
  });
  process.env.AUTOFIX_CLAUDE_BASE_URL = fake.baseUrl;
  try {
    const agent = createCommandAgent({
      preset: claudeCodePreset,
      sandbox,
      env: {
        passEnv: ["ANTHROPIC_API_KEY"],
        operatorAllowed: ["ANTHROPIC_API_KEY"],
        source: { ANTHROPIC_API_KEY: "sk-ant-agent-own-key-42" },
        extraPathDirs: [cli.binDir],
      },
      model: "claude-sonnet-4-5",
      network: "open",
    });
    const run = await agent.run({ spawnDir: spawn.dir, prompt: "Look at the repository's state.", scratchDir: spawn.scratchDir, timeoutMs: 60_000 });
    expect(run.permissionDenials ?? []).toEqual([]);
    const results = toolResults(fake.requests);
    expect(results.toolu_fake_bash_0).toContain("M src/greet.ts");
    expect(results.toolu_fake_bash_1).toContain("src/greet.ts | 2 +-");
    expect(results.toolu_fake_bash_2).toMatch(/^[0-9a-f]{7,} /);
    for (const text of Object.values(results)) expect(text).not.toMatch(/fatal|not a git repository|\[error\]/);
  } finally {
    await fake.close();
    await spawn.remove();
  }
});

it("reaches its endpoint with network allow (nothing else listed), through the egress proxy", async () => {
  const spawn = await makeSpawn({ "src/greet.ts": "export const greet = 'helo';\n" });
  const sandbox = await createSandbox({ mode: "required" });
  const fake = await startFakeAnthropic({ kind: "edit", edit: { file: "src/greet.ts", oldString: "'helo'", newString: "'hello'" } });
  process.env.AUTOFIX_CLAUDE_BASE_URL = fake.baseUrl;
  try {
    const agent = createCommandAgent({
      preset: claudeCodePreset,
      sandbox,
      env: {
        passEnv: ["ANTHROPIC_API_KEY"],
        operatorAllowed: ["ANTHROPIC_API_KEY"],
        source: { ANTHROPIC_API_KEY: "sk-ant-agent-own-key-42" },
        extraPathDirs: [cli.binDir],
      },
      model: "claude-sonnet-4-5",
      network: "allow",
    });
    const run = await agent.run({ spawnDir: spawn.dir, prompt: "Fix the typo.", scratchDir: spawn.scratchDir, timeoutMs: 60_000 });
    expect(run.exitCode).toBe(0);
    expect(await spawn.delta()).toEqual([{ path: "src/greet.ts", kind: "modify", content: "export const greet = 'hello';\n" }]);
    expect(run.refusedConnections).toBeUndefined();
  } finally {
    await fake.close();
    await spawn.remove();
  }
});
