// The claude-code preset end to end: the real pinned Claude Code CLI, run by the command agent in the
// sandbox, against a loopback Anthropic endpoint that scripts Read → Edit → done.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCommandAgent } from "../../src/agents/command.js";
import { claudeCodePreset } from "../../src/agents/presets/claudeCode.js";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { startFakeAnthropic, type AnthropicBehaviour, type FakeEndpoint } from "../support/fakeAnthropic.js";
import {
  botSecrets,
  bwrapAvailable,
  makeSpawn,
  processesMentioning,
  requirePinnedCli,
  startTrapProxy,
  type PinnedCli,
  type TestSpawn,
  type TrapProxy,
} from "../support/agentClis.js";

const agentKey = "sk-ant-agent-own-key-42";
const original = "export function greet(name: string): string {\n  return `Helo, ${name}!`;\n}\n";
const edit = { file: "src/greet.ts", oldString: "`Helo, ${name}!`", newString: "`Hello, ${name}!`" };

let cli: PinnedCli;
let sandbox: Sandbox;
let trap: TrapProxy;
const savedEnv = { ...process.env };

beforeAll(async () => {
  cli = await requirePinnedCli("claude");
  // The bot's own secrets live in its environment: none may reach the agent or its endpoint.
  Object.assign(process.env, botSecrets);
  // The operator's PATH holds the CLI too: the preset finds its version and install directory there.
  process.env.PATH = `${cli.binDir}:${process.env.PATH}`;
  sandbox = await createSandbox({ mode: "auto" });
  trap = await startTrapProxy();
});

afterAll(async () => {
  await trap.close();
  process.env = savedEnv;
});

async function runClaude(behaviour: AnthropicBehaviour, opts: { timeoutMs?: number; prompt?: string; extraPathDirs?: string[]; program?: string } = {}) {
  const fake = await startFakeAnthropic(behaviour);
  const spawn = await makeSpawn({ "src/greet.ts": original, "README.md": "# greet\n" });
  process.env.AUTOFIX_CLAUDE_BASE_URL = fake.baseUrl;
  const agent = createCommandAgent({
    preset: opts.program ? { ...claudeCodePreset, program: opts.program } : claudeCodePreset,
    sandbox,
    env: {
      passEnv: ["ANTHROPIC_API_KEY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"],
      operatorAllowed: ["ANTHROPIC_API_KEY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"],
      source: { ...process.env, ANTHROPIC_API_KEY: agentKey, HTTPS_PROXY: trap.url, HTTP_PROXY: trap.url, NO_PROXY: "127.0.0.1,localhost" },
      extraPathDirs: opts.extraPathDirs ?? [cli.binDir],
    },
    model: "claude-sonnet-4-5",
    network: "open",
  });
  const run = agent.run({
    spawnDir: spawn.dir,
    prompt: opts.prompt ?? "Fix the typo in the greeting (issue #7).",
    scratchDir: spawn.scratchDir,
    timeoutMs: opts.timeoutMs ?? 45_000,
  });
  return { run, fake, spawn };
}

function assertOnlyLoopbackAndOwnKey(fake: FakeEndpoint): void {
  expect(fake.requests.length).toBeGreaterThan(0);
  expect(trap.attempts).toEqual([]);
  for (const request of fake.requests) {
    const seen = JSON.stringify(request.headers) + request.bodyText;
    for (const secret of Object.values(botSecrets)) expect(seen).not.toContain(secret);
    if (request.method === "POST") expect(request.headers["x-api-key"]).toBe(agentKey);
  }
}

describe("claude-code preset with the real Claude Code CLI", () => {
  let fake: FakeEndpoint | undefined;
  let spawn: TestSpawn | undefined;
  afterAll(async () => {
    await fake?.close();
    await spawn?.remove();
  });

  it("makes exactly the scripted edit, with its own key, and nothing leaves loopback", async () => {
    const started = await runClaude({ kind: "edit", edit, finalText: "Fixed the greeting typo." });
    ({ fake, spawn } = started);
    const run = await started.run;

    expect(run.exitCode).toBe(0);
    expect(run.stopReason).toBeUndefined();
    expect(run.summary).toBe("Fixed the greeting typo.");
    expect(run.permissionDenials).toBeUndefined();
    expect(run.usage?.inputTokens).toBeGreaterThan(0);
    expect(run.usage?.outputTokens).toBeGreaterThan(0);
    if (bwrapAvailable()) expect(run.isolation).toBe("bubblewrap");

    const delta = await started.spawn.delta();
    expect(delta.map((c) => `${c.kind} ${c.path}`)).toEqual(["modify src/greet.ts"]);
    expect(delta[0]!.content).toBe(original.replace("Helo", "Hello"));
    // Its HOME (settings, backups, projects) is in the scratch directory, never in the spawn.
    expect(existsSync(path.join(started.spawn.scratchDir, "home", ".claude.json"))).toBe(true);
    expect(delta.some((c) => c.path.startsWith(".claude"))).toBe(false);
    // Nothing of the CLI's own landed in the spawn at all, not even a file the tool-file filter would drop.
    expect((await started.spawn.fullDelta()).excluded).toEqual([]);

    assertOnlyLoopbackAndOwnKey(started.fake);
    const agentTurns = started.fake.requests.filter((r) => (r.body as { tools?: unknown[] })?.tools?.length);
    expect(agentTurns).toHaveLength(3); // Read, Edit, final text
    await started.fake.close();
    await started.spawn.remove();
    fake = undefined;
    spawn = undefined;
  });

  it("reports a refused write as a permission denial and leaves the spawn unchanged", async () => {
    const started = await runClaude({ kind: "write-outside", absolutePath: "/etc/autofix-outside.txt", finalText: "I could not write the file." });
    const run = await started.run;

    expect(run.exitCode).toBe(0);
    expect(run.permissionDenials).toEqual(["the agent was refused permission to edit /etc/autofix-outside.txt"]);
    expect(run.stopReason).toMatch(/refused/);
    expect(run.summary).toBe("I could not write the file.");
    expect(await started.spawn.delta()).toEqual([]);
    expect(existsSync("/etc/autofix-outside.txt")).toBe(false);
    assertOnlyLoopbackAndOwnKey(started.fake);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("surfaces what the agent said when it finishes without editing anything", async () => {
    const started = await runClaude({ kind: "text-only", finalText: "The greeting already looks right to me." });
    const run = await started.run;

    expect(run.exitCode).toBe(0);
    expect(run.summary).toBe("The greeting already looks right to me.");
    expect(run.permissionDenials).toBeUndefined();
    expect(await started.spawn.delta()).toEqual([]);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("treats a prompt that starts with a dash as the prompt, never as a flag", async () => {
    const prompt = "--help is printed instead of a greeting: fix it";
    const started = await runClaude({ kind: "text-only", finalText: "Looked at it." }, { prompt });
    const run = await started.run;

    expect(run.summary).toBe("Looked at it.");
    expect(started.fake.requests.some((r) => r.bodyText.includes(prompt))).toBe(true);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("passes a prompt too large for one argument whole, through stdin", async () => {
    const marker = `end-of-prompt-${Date.now()}`;
    const prompt = `Fix the greeting.\n${"Context line for the agent.\n".repeat(6_000)}${marker}`;
    const started = await runClaude({ kind: "edit", edit }, { prompt });
    const run = await started.run;

    expect(run.stopReason).toBeUndefined();
    expect(Buffer.byteLength(prompt)).toBeGreaterThan(128 * 1024);
    expect(started.fake.requests.some((r) => r.bodyText.includes(marker))).toBe(true);
    expect((await started.spawn.delta()).map((c) => c.path)).toEqual(["src/greet.ts"]);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("stops a CLI whose endpoint never answers at the timeout, killing its whole process group", async () => {
    const marker = `hang-marker-${Date.now()}`;
    const started = await runClaude({ kind: "hang" }, { timeoutMs: 10_000, prompt: `Fix the typo (${marker}).` });
    const run = await started.run;

    expect(run.timedOut).toBe(true);
    expect(run.stopReason).toMatch(/ran longer than .* and was stopped/);
    expect(started.fake.agentTurns()).toBeGreaterThan(0); // it was waiting on the endpoint, not stuck elsewhere
    expect(processesMentioning(marker)).toEqual([]);
    expect(await started.spawn.delta()).toEqual([]);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("turns an error the endpoint answers into a stop reason instead of a silent exit", async () => {
    const message = "Your credit balance is too low to access the API.";
    const started = await runClaude({ kind: "api-error", status: 400, type: "invalid_request_error", message });
    const run = await started.run;

    // Claude Code words the API's message its own way; what matters is that it is not a silent success.
    expect(run.stopReason).toMatch(/^claude-code reported an error: .*credit balance is too low/i);
    expect(await started.spawn.delta()).toEqual([]);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("ends a run whose key the endpoint rejects with that reason, long before the timeout", async () => {
    const started = await runClaude({ kind: "api-error", status: 401, type: "authentication_error", message: "invalid x-api-key" });
    const run = await started.run;

    expect(run.timedOut).toBe(false);
    expect(run.stopReason).toMatch(/^claude-code reported an error: .*Invalid API key/i);
    // Its own retries are bounded: the first try and four more.
    expect(started.fake.agentTurns()).toBe(5);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("would notice a CLI calling a host other than its endpoint (the loopback check can fail)", async () => {
    const spawn = await makeSpawn({ "src/greet.ts": original });
    // Pointed at a non-loopback host, the CLI's request lands in the trap proxy (and goes no further).
    process.env.AUTOFIX_CLAUDE_BASE_URL = "http://api.example.test";
    const agent = createCommandAgent({
      preset: claudeCodePreset,
      sandbox,
      env: {
        passEnv: ["ANTHROPIC_API_KEY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"],
        operatorAllowed: ["ANTHROPIC_API_KEY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"],
        source: { ANTHROPIC_API_KEY: agentKey, HTTPS_PROXY: trap.url, HTTP_PROXY: trap.url, NO_PROXY: "127.0.0.1,localhost" },
        extraPathDirs: [cli.binDir],
      },
    });
    // Stop the CLI as soon as the trap saw it (a loaded machine can take many seconds to get there).
    const seen = () => trap.attempts.some((target) => target.includes("api.example.test"));
    const controller = new AbortController();
    const watch = setInterval(() => seen() && controller.abort("trap reached"), 100);
    await agent
      .run({ spawnDir: spawn.dir, prompt: "Fix it.", scratchDir: spawn.scratchDir, timeoutMs: 45_000, signal: controller.signal })
      .catch(() => undefined);
    clearInterval(watch);
    expect(seen()).toBe(true);
    trap.attempts.splice(0);
    await spawn.remove();
  });

  it("says how to install claude when it is not on the agent's PATH", async () => {
    // A name no machine has: `npm i -g` puts the real claude in a system directory the agent's PATH always holds.
    const started = await runClaude({ kind: "text-only", finalText: "unused" }, { extraPathDirs: [], program: "claude-absent-for-this-test" });
    await expect(started.run).rejects.toThrow(/claude-absent-for-this-test not found on PATH.*npm i -g @anthropic-ai\/claude-code@2\.1\.328/s);
    expect(started.fake.requests).toEqual([]);
    await started.fake.close();
    await started.spawn.remove();
  });
});
