// Agent CLIs where operators really install them: on the bot's own PATH (~/.local/bin) or in a directory the
// operator names (AUTOFIX_AGENT_PATH). And an agent that cannot start in the sandbox is said to be that,
// not "the agent made no changes".
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createCommandAgent, findPreset } from "../../src/agents/index.js";
import type { AgentPreset } from "../../src/agents/types.js";
import { createSandbox, sandboxOptionsFrom } from "../../src/sandbox/index.js";
import { tempDir } from "../support/repoBuilder.js";

const command = findPreset("command")!;
let root: string;
let home: string;
let jobs = 0;

/** A tiny agent CLI: fixes the typo in greeting.txt. */
function installCli(dir: string, name: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), "#!/bin/sh\nsed -i 's/helo/hello/' greeting.txt\necho fixed\n");
  chmodSync(path.join(dir, name), 0o755);
}

function freshJob(): { spawnDir: string; scratchDir: string } {
  jobs += 1;
  const spawnDir = path.join(root, `job-${jobs}`, "spawn");
  mkdirSync(spawnDir, { recursive: true });
  writeFileSync(path.join(spawnDir, "greeting.txt"), "helo\n");
  return { spawnDir, scratchDir: path.join(root, `job-${jobs}`, "scratch") };
}

const presetFor = (program: string): AgentPreset => ({
  ...command,
  name: "command",
  program,
  async prepare() {
    return { argv: [program], env: {}, writablePaths: [], readOnlyPaths: [] };
  },
});

beforeAll(() => {
  root = tempDir("sandbox-agent-cli-");
  home = path.join(root, "home", "op");
  installCli(path.join(home, ".local", "bin"), "fixer-cli");
  installCli(path.join(root, "opt", "agents", "bin"), "opt-fixer");
});

describe("finding agent CLIs", () => {
  it("finds a CLI on the bot's own PATH (~/.local/bin) and runs it in the sandbox", async () => {
    const sandbox = await createSandbox({ mode: "required", hostPath: `${home}/.local/bin:/usr/bin:/bin`, homes: [home] });
    expect(sandbox.description.readOnlyPaths).toContain(path.join(home, ".local", "bin"));
    expect(sandbox.description.readOnlyPaths).not.toContain(path.join(home, ".local"));
    const { spawnDir, scratchDir } = freshJob();
    const run = await createCommandAgent({ preset: presetFor("fixer-cli"), sandbox, env: { passEnv: [], operatorAllowed: [] } }).run({
      spawnDir,
      scratchDir,
      prompt: "fix",
      timeoutMs: 30_000,
    });
    expect(run.exitCode).toBe(0);
    expect(readFileSync(path.join(spawnDir, "greeting.txt"), "utf8")).toBe("hello\n");
  });

  it("finds a CLI in the operator's AUTOFIX_AGENT_PATH and shows its install prefix read-only", async () => {
    const dataDir = path.join(root, "data");
    const options = sandboxOptionsFrom({
      AUTOFIX_SANDBOX: "required",
      AUTOFIX_SANDBOX_MOUNTS: [],
      AUTOFIX_SANDBOX_MEMORY_MB: 1024,
      AUTOFIX_DATA_DIR: dataDir,
      AUTOFIX_AGENT_PATH: path.join(root, "opt", "agents", "bin"),
    });
    const sandbox = await createSandbox({ ...options, homes: [home] });
    expect(sandbox.description.readOnlyPaths).toContain(path.join(root, "opt", "agents"));
    const { spawnDir, scratchDir } = freshJob();
    const run = await createCommandAgent({ preset: presetFor("opt-fixer"), sandbox, env: { passEnv: [], operatorAllowed: [] } }).run({
      spawnDir,
      scratchDir,
      prompt: "fix",
      timeoutMs: 30_000,
    });
    expect(run.exitCode).toBe(0);
    expect(readFileSync(path.join(spawnDir, "greeting.txt"), "utf8")).toBe("hello\n");
  });
});

describe("an agent that cannot start", () => {
  it("reports that the agent could not start, naming the program, for a command agent outside what the sandbox shows", async () => {
    const outside = path.join(root, "elsewhere", "my-agent.sh");
    installCli(path.dirname(outside), "my-agent.sh");
    const sandbox = await createSandbox({ mode: "required", hostPath: "/usr/bin:/bin" });
    const { spawnDir, scratchDir } = freshJob();
    const agent = createCommandAgent({ preset: command, sandbox, env: { passEnv: [], operatorAllowed: [] }, command: outside });
    const run = await agent.run({ spawnDir, scratchDir, prompt: "fix", timeoutMs: 30_000 });
    expect(run.exitCode).toBe(127);
    expect(run.failure?.kind).toBe("not-installed");
    expect(run.failure?.message).toContain(`${outside}: not found`);
  });
});
