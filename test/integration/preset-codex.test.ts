// The codex preset end to end: the real pinned Codex CLI, run by the command agent in the sandbox,
// against a loopback Responses endpoint that scripts apply_patch → final message.
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCommandAgent } from "../../src/agents/command.js";
import { codexPreset } from "../../src/agents/presets/codex.js";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.js";
import type { FakeEndpoint } from "../support/fakeAnthropic.js";
import { startFakeOpenAIResponses, type ResponsesBehaviour } from "../support/fakeOpenAIResponses.js";
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

const agentKey = "sk-codex-agent-own-key-42";
const original = "export function greet(name: string): string {\n  return `Helo, ${name}!`;\n}\n";
const edit = { file: "src/greet.ts", oldString: "  return `Helo, ${name}!`;", newString: "  return `Hello, ${name}!`;" };

let cli: PinnedCli;
let sandbox: Sandbox;
let trap: TrapProxy;
const savedEnv = { ...process.env };

beforeAll(async () => {
  cli = await requirePinnedCli("codex");
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

async function runCodex(
  behaviour: ResponsesBehaviour,
  opts: { timeoutMs?: number; prompt?: string; extraPathDirs?: string[]; model?: string; sandbox?: Sandbox; program?: string } = {},
) {
  const fake = await startFakeOpenAIResponses(behaviour);
  const spawn = await makeSpawn({ "src/greet.ts": original, "README.md": "# greet\n" });
  process.env.AUTOFIX_CODEX_BASE_URL = `${fake.baseUrl}/v1`;
  const agent = createCommandAgent({
    preset: opts.program ? { ...codexPreset, program: opts.program } : codexPreset,
    sandbox: opts.sandbox ?? sandbox,
    env: {
      passEnv: ["OPENAI_API_KEY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"],
      operatorAllowed: ["OPENAI_API_KEY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"],
      source: { ...process.env, OPENAI_API_KEY: agentKey, HTTPS_PROXY: trap.url, HTTP_PROXY: trap.url, NO_PROXY: "127.0.0.1,localhost" },
      extraPathDirs: opts.extraPathDirs ?? [cli.binDir],
    },
    model: opts.model ?? "gpt-5.5",
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
    expect(request.headers.authorization).toBe(`Bearer ${agentKey}`);
  }
}

describe("codex preset with the real Codex CLI", () => {
  let fake: FakeEndpoint | undefined;
  let spawn: TestSpawn | undefined;
  afterAll(async () => {
    await fake?.close();
    await spawn?.remove();
  });

  it.each([
    ["the freeform apply_patch tool", "gpt-5.5"],
    ["exec_command running apply_patch, for a model codex does not know", "local-coder"],
  ])("makes exactly the scripted edit through %s, with its own key, and nothing leaves loopback", async (_how, model) => {
    const started = await runCodex({ kind: "edit", edit, finalText: "Fixed the greeting typo." }, { model });
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
    // Its CODEX_HOME (config, SQLite state, skills) is in the scratch directory, never in the spawn.
    expect(existsSync(path.join(started.spawn.scratchDir, "home", ".codex", "config.toml"))).toBe(true);
    expect(delta.some((c) => c.path.startsWith(".codex"))).toBe(false);
    // Nothing of the CLI's own landed in the spawn at all, not even a file the tool-file filter would drop.
    expect((await started.spawn.fullDelta()).excluded).toEqual([]);

    assertOnlyLoopbackAndOwnKey(started.fake);
    expect(started.fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["POST /v1/responses", "POST /v1/responses"]);
    await started.fake.close();
    await started.spawn.remove();
    fake = undefined;
    spawn = undefined;
  });

  it("reports a refused write as a permission denial and leaves the spawn unchanged", async () => {
    const started = await runCodex({ kind: "add-outside", absolutePath: "/etc/autofix-outside.txt", finalText: "I could not write the file." });
    const run = await started.run;

    expect(run.exitCode).toBe(0);
    expect(run.permissionDenials).toEqual(["the agent was refused permission to edit /etc/autofix-outside.txt (codex could not apply its patch)"]);
    expect(run.stopReason).toMatch(/refused/);
    expect(run.summary).toBe("I could not write the file.");
    expect(await started.spawn.delta()).toEqual([]);
    expect(existsSync("/etc/autofix-outside.txt")).toBe(false);
    assertOnlyLoopbackAndOwnKey(started.fake);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("surfaces what the agent said when it finishes without editing anything", async () => {
    const started = await runCodex({ kind: "text-only", finalText: "The greeting already looks right to me." });
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
    const started = await runCodex({ kind: "text-only", finalText: "Looked at it." }, { prompt });
    const run = await started.run;

    expect(run.summary).toBe("Looked at it.");
    expect(started.fake.requests.some((r) => r.bodyText.includes(prompt))).toBe(true);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("passes a prompt too large for one argument whole, through stdin", async () => {
    const marker = `end-of-prompt-${Date.now()}`;
    const prompt = `Fix the greeting.\n${"Context line for the agent.\n".repeat(6_000)}${marker}`;
    const started = await runCodex({ kind: "edit", edit }, { prompt });
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
    const started = await runCodex({ kind: "hang" }, { timeoutMs: 10_000, prompt: `Fix the typo (${marker}).` });
    const run = await started.run;

    expect(run.timedOut).toBe(true);
    expect(run.stopReason).toMatch(/ran longer than .* and was stopped/);
    expect(started.fake.agentTurns()).toBeGreaterThan(0); // it was waiting on the endpoint, not stuck elsewhere
    expect(processesMentioning(marker)).toEqual([]);
    expect(await started.spawn.delta()).toEqual([]);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("turns a provider failure into a stop reason carrying the provider's message", async () => {
    const started = await runCodex({ kind: "fail", message: "quota exceeded for this key" });
    const run = await started.run;

    expect(run.exitCode).not.toBe(0);
    expect(run.stopReason).toMatch(/^codex failed: .*quota exceeded for this key/);
    expect(await started.spawn.delta()).toEqual([]);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("ends a run whose key the endpoint rejects with that reason, long before the timeout", async () => {
    const started = await runCodex({ kind: "http-error", status: 401, message: "Incorrect API key provided" });
    const run = await started.run;

    expect(run.timedOut).toBe(false);
    expect(run.stopReason).toMatch(/^codex failed: unexpected status 401 Unauthorized: Incorrect API key provided/);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("says how to install codex when it is not on the agent's PATH", async () => {
    // A name no machine has: `npm i -g` puts the real codex in a system directory the agent's PATH always holds.
    const started = await runCodex({ kind: "text-only", finalText: "unused" }, { extraPathDirs: [], program: "codex-absent-for-this-test" });
    await expect(started.run).rejects.toThrow(/codex-absent-for-this-test not found on PATH.*npm i -g @openai\/codex@0\.169\.0/s);
    expect(started.fake.requests).toEqual([]);
    await started.fake.close();
    await started.spawn.remove();
  });
});

describe("codex preset under the process fallback (no bubblewrap)", () => {
  let processSandbox: Sandbox;
  beforeAll(async () => {
    processSandbox = await createSandbox({ mode: "off" });
  });

  it("keeps codex's own workspace-write sandbox, which still lets it edit the spawn", async () => {
    const started = await runCodex({ kind: "edit", edit, finalText: "Fixed." }, { sandbox: processSandbox });
    const run = await started.run;

    expect(run.isolation).toBe("process");
    expect(run.stopReason).toBeUndefined();
    const delta = await started.spawn.delta();
    expect(delta.map((c) => `${c.kind} ${c.path}`)).toEqual(["modify src/greet.ts"]);
    assertOnlyLoopbackAndOwnKey(started.fake);
    await started.fake.close();
    await started.spawn.remove();
  });

  it("has codex's own sandbox refuse a patch outside the spawn, even for a root process", async () => {
    const outside = `/etc/autofix-codex-outside-${Date.now()}.txt`;
    const started = await runCodex({ kind: "add-outside", absolutePath: outside, finalText: "Could not." }, { sandbox: processSandbox });
    const run = await started.run;
    const written = existsSync(outside);
    if (written) rmSync(outside);

    expect(written).toBe(false);
    expect(run.permissionDenials).toEqual([
      "the agent was refused permission to apply a patch: writing outside of the project; rejected by user approval settings",
    ]);
    expect(run.stopReason).toMatch(/refused/);
    expect(await started.spawn.delta()).toEqual([]);
    await started.fake.close();
    await started.spawn.remove();
  });
});
