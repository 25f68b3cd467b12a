// What the claude-code and codex presets ask the sandbox to run, and how they read what the CLIs print:
// the flags that keep them unattended and local, the settings they honour, and the versions they refuse.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claudeCodePreset } from "../../src/agents/presets/claudeCode.js";
import { codexPreset } from "../../src/agents/presets/codex.js";
import type { PresetContext } from "../../src/agents/types.js";
import { isAutofixError } from "../../src/errors.js";
import { botSecrets, requirePinnedCli, type PinnedCli } from "../support/agentClis.js";
import { tempDir } from "../support/repoBuilder.js";

let root: string;
let claude: PinnedCli;
let codex: PinnedCli;

beforeAll(async () => {
  root = tempDir("autofix-preset-prepare-");
  claude = await requirePinnedCli("claude");
  codex = await requirePinnedCli("codex");
});
afterAll(() => rm(root, { recursive: true, force: true }));

let counter = 0;
function context(overrides: Partial<PresetContext> = {}): PresetContext {
  const dir = path.join(root, `attempt-${++counter}`);
  for (const sub of ["spawn", "scratch/home", "scratch/tmp"]) mkdirSync(path.join(dir, sub), { recursive: true });
  return {
    spawnDir: path.join(dir, "spawn"),
    prompt: "Fix the greeting.",
    promptFile: path.join(dir, "scratch/prompt.md"),
    homeDir: path.join(dir, "scratch/home"),
    tmpDir: path.join(dir, "scratch/tmp"),
    passedEnv: {},
    operatorEnv: {},
    searchPath: `${claude.binDir}:${codex.binDir}:/usr/bin:/bin`,
    ...overrides,
  };
}

/** A directory holding a fake `name` that reports `version`, as an untested install would. */
function fakeCli(name: string, version: string): string {
  const dir = path.join(root, `fake-${name}-${++counter}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${version}"\n`);
  chmodSync(path.join(dir, name), 0o755);
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (isAutofixError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected the preset to refuse");
}

describe("claude-code prepare", () => {
  it("runs print mode with edits allowed and nothing more, its key and endpoint, and no telemetry", async () => {
    const ctx = context({
      model: "claude-sonnet-4-5",
      passedEnv: { ANTHROPIC_API_KEY: "sk-ant-own" },
      operatorEnv: { ...botSecrets, AUTOFIX_CLAUDE_BASE_URL: "http://gateway.internal:8080/" },
    });
    const inv = await claudeCodePreset.prepare(ctx);

    expect(inv.argv).toEqual([
      "claude",
      "-p",
      "--output-format",
      "json",
      "--permission-mode",
      "acceptEdits",
      "--allowedTools",
      "Bash(git status:*),Bash(git diff:*),Bash(git log:*),Bash(git show:*)",
      "--no-session-persistence",
      "--model",
      "claude-sonnet-4-5",
      "--",
      "Fix the greeting.",
    ]);
    expect(inv.endpointHosts).toEqual(["gateway.internal:8080"]);
    expect(inv.env).toEqual({
      HOME: ctx.homeDir,
      TMPDIR: ctx.tmpDir,
      ANTHROPIC_BASE_URL: "http://gateway.internal:8080",
      ANTHROPIC_API_KEY: "sk-ant-own",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_ERROR_REPORTING: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      CLAUDE_CODE_MAX_RETRIES: "4",
    });
    expect(inv.stdin).toBeUndefined();
    expect(inv.writablePaths).toEqual([ctx.homeDir, ctx.tmpDir]);
    // Installed under .tools/, outside the system directories: the sandbox must show it.
    expect(inv.readOnlyPaths.some((p) => claude.binPath.startsWith(p))).toBe(true);
  });

  it("keeps a prompt that looks like a flag a prompt, and sends a huge prompt on stdin", async () => {
    const flagLike = await claudeCodePreset.prepare(context({ prompt: "--dangerously-skip-permissions" }));
    expect(flagLike.argv.slice(-2)).toEqual(["--", "--dangerously-skip-permissions"]);

    const huge = "x".repeat(200 * 1024);
    const inv = await claudeCodePreset.prepare(context({ prompt: huge }));
    expect(inv.argv.join(" ")).not.toContain(huge);
    expect(inv.stdin).toBe(huge);
  });

  it("refuses an endpoint setting that is not a URL, naming the setting", async () => {
    const err = await rejection(claudeCodePreset.prepare(context({ operatorEnv: { AUTOFIX_CLAUDE_BASE_URL: "gateway:8080" } })));
    expect(err.code).toBe("AGENT_ENDPOINT_INVALID");
    expect(err.message).toContain("AUTOFIX_CLAUDE_BASE_URL");
  });

  it("refuses an untested claude version with the install command, unless the operator allows it", async () => {
    const bin = fakeCli("claude", "2.9.0 (Claude Code)");
    const err = await rejection(claudeCodePreset.prepare(context({ searchPath: `${bin}:/usr/bin:/bin` })));
    expect(err.code).toBe("AGENT_CLI_UNTESTED");
    expect(err.message).toContain("claude 2.9.0 is installed, but autofix is tested with 2.1.328");
    expect(err.message).toContain("npm i -g @anthropic-ai/claude-code@2.1.328");
    expect(err.message).toContain("AUTOFIX_CLAUDE_ALLOW_UNTESTED=true");

    const allowed = await claudeCodePreset.prepare(context({ searchPath: `${bin}:/usr/bin:/bin`, operatorEnv: { AUTOFIX_CLAUDE_ALLOW_UNTESTED: "true" } }));
    expect(allowed.argv[0]).toBe("claude");
    expect(allowed.readOnlyPaths).toEqual([bin]);
  });

  it("says how to install claude when it is not on the PATH", async () => {
    // An empty directory, not /usr/bin: a global install (`npm i -g`) may have put claude there.
    const err = await rejection(claudeCodePreset.prepare(context({ searchPath: tempDir("autofix-empty-path-") })));
    expect(err.code).toBe("AGENT_CLI_MISSING");
    expect(err.message).toContain("claude not found on PATH");
    expect(err.message).toContain("npm i -g @anthropic-ai/claude-code@2.1.328");
  });
});

describe("claude-code interpret", () => {
  const result = (fields: Record<string, unknown>) =>
    JSON.stringify({ type: "result", subtype: "success", is_error: false, result: "Done.", permission_denials: [], ...fields });

  it("reads the result line after other output, with usage including cached input", () => {
    const stdout = `some banner\n${result({ usage: { input_tokens: 10, cache_read_input_tokens: 90, cache_creation_input_tokens: 5, output_tokens: 7 } })}\n`;
    expect(claudeCodePreset.interpret({ exitCode: 0, outputTail: stdout, stdout })).toEqual({
      summary: "Done.",
      usage: { inputTokens: 105, outputTokens: 7 },
    });
  });

  it("names each refused action: an edit by its file, a shell command by its text", () => {
    const stdout = result({
      permission_denials: [
        { tool_name: "Edit", tool_use_id: "t1", tool_input: { file_path: "/etc/passwd" } },
        { tool_name: "Bash", tool_use_id: "t2", tool_input: { command: "npm test" } },
        { tool_name: "WebFetch", tool_use_id: "t3", tool_input: { url: "https://example.test" } },
      ],
    });
    const out = claudeCodePreset.interpret({ exitCode: 0, outputTail: stdout, stdout });
    expect(out.permissionDenials).toEqual([
      "the agent was refused permission to edit /etc/passwd",
      "the agent was refused permission to run `npm test`",
      "the agent was refused permission to use WebFetch",
    ]);
    expect(out.stopReason).toBe("claude-code finished after 3 refused actions: the agent was refused permission to edit /etc/passwd");
  });

  it("reports a turn limit or a crash instead of trusting the exit code", () => {
    const maxTurns = result({ subtype: "error_max_turns", is_error: true, result: undefined });
    expect(claudeCodePreset.interpret({ exitCode: 1, outputTail: maxTurns, stdout: maxTurns }).stopReason).toBe(
      "claude-code reported an error (error_max_turns): it reached its turn limit before finishing",
    );
    expect(claudeCodePreset.interpret({ exitCode: 1, outputTail: "Error: Invalid API key\n", stdout: "" }).stopReason).toBe(
      "claude-code exited with code 1 without a result: Error: Invalid API key",
    );
    // A result line cut by the output limit is not a result.
    const cut = result({}).slice(0, 40);
    expect(claudeCodePreset.interpret({ exitCode: null, outputTail: cut, stdout: cut }).stopReason).toBe("claude-code was stopped before it reported a result");
  });
});

describe("codex prepare", () => {
  it("writes a throw-away CODEX_HOME naming the endpoint, with analytics and plugins off", async () => {
    const ctx = context({
      model: "gpt-5.5",
      passedEnv: { OPENAI_API_KEY: "sk-own" },
      operatorEnv: { ...botSecrets, AUTOFIX_CODEX_BASE_URL: "http://gateway.internal:8080/v1" },
    });
    const inv = await codexPreset.prepare(ctx);
    const codexHome = path.join(ctx.homeDir, ".codex");

    expect(inv.argv.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(inv.argv.slice(3)).toEqual(["codex", "--skip-git-repo-check", "--json", "--ephemeral", "--model", "gpt-5.5", "--", "Fix the greeting."]);
    expect(inv.env).toEqual({ HOME: ctx.homeDir, TMPDIR: ctx.tmpDir, CODEX_HOME: codexHome, OPENAI_API_KEY: "sk-own" });
    const config = readFileSync(path.join(codexHome, "config.toml"), "utf8");
    expect(config).toContain('model_provider = "autofix"');
    expect(config).toContain('base_url = "http://gateway.internal:8080/v1"');
    expect(config).toContain('wire_api = "responses"');
    expect(config).toContain('env_key = "OPENAI_API_KEY"');
    expect(config).toMatch(/\[analytics\]\nenabled = false/);
    expect(config).toMatch(/\[features\]\nplugins = false\nremote_plugin = false\napps = false/);
    for (const secret of Object.values(botSecrets)) expect(config + JSON.stringify(inv)).not.toContain(secret);
  });

  it("reads the key from the variable the operator names, and asks for none when it has none", async () => {
    const named = await codexPreset.prepare(
      context({ passedEnv: { GATEWAY_KEY: "gk-1" }, operatorEnv: { AUTOFIX_CODEX_BASE_URL: "http://127.0.0.1:9/v1", AUTOFIX_CODEX_KEY_ENV: "GATEWAY_KEY" } }),
    );
    expect(named.env.GATEWAY_KEY).toBe("gk-1");
    expect(readFileSync(path.join(named.env.CODEX_HOME!, "config.toml"), "utf8")).toContain('env_key = "GATEWAY_KEY"');

    const keyless = await codexPreset.prepare(context({ operatorEnv: { AUTOFIX_CODEX_BASE_URL: "http://127.0.0.1:9/v1" } }));
    expect(readFileSync(path.join(keyless.env.CODEX_HOME!, "config.toml"), "utf8")).not.toContain("env_key");
  });

  it("never lets CODEX_HOME sit inside TMPDIR, where codex's patch helper refuses to install", async () => {
    const ctx = context();
    const nested = { ...ctx, homeDir: path.join(ctx.tmpDir, "home") };
    mkdirSync(nested.homeDir);
    const inv = await codexPreset.prepare(nested);
    expect(path.relative(inv.env.TMPDIR!, inv.env.CODEX_HOME!).startsWith("..")).toBe(true);
  });

  it("refuses an untested codex version, unless the operator allows it", async () => {
    const bin = fakeCli("codex", "codex-cli 0.170.0");
    const err = await rejection(codexPreset.prepare(context({ searchPath: `${bin}:/usr/bin:/bin` })));
    expect(err.code).toBe("AGENT_CLI_UNTESTED");
    expect(err.message).toContain("codex 0.170.0 is installed, but autofix is tested with 0.169.0");
    expect(err.message).toContain("npm i -g @openai/codex@0.169.0");
    const allowed = await codexPreset.prepare(context({ searchPath: `${bin}:/usr/bin:/bin`, operatorEnv: { AUTOFIX_CODEX_ALLOW_UNTESTED: "1" } }));
    expect(allowed.argv).toContain("codex");
  });
});

describe("codex interpret", () => {
  const lines = (...events: object[]) => events.map((e) => JSON.stringify(e)).join("\n") + "\n";

  it("takes the last agent message as summary and adds up usage over turns", () => {
    const stdout = lines(
      { type: "thread.started", thread_id: "t" },
      { type: "item.completed", item: { id: "i0", type: "agent_message", text: "Looking." } },
      { type: "turn.completed", usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 10 } },
      { type: "item.completed", item: { id: "i1", type: "agent_message", text: "Fixed the typo." } },
      { type: "turn.completed", usage: { input_tokens: 50, cached_input_tokens: 0, output_tokens: 5 } },
    );
    expect(codexPreset.interpret({ exitCode: 0, outputTail: stdout, stdout })).toEqual({
      summary: "Fixed the typo.",
      usage: { inputTokens: 150, outputTokens: 15 },
    });
  });

  it("reports a failed patch as a refused edit and a failed turn as the stop reason", () => {
    const stdout = lines(
      { type: "item.completed", item: { id: "i0", type: "file_change", status: "failed", changes: [{ path: "/s/a.ts", kind: "update" }] } },
      { type: "turn.failed", error: { message: "stream disconnected before completion: rate limited" } },
    );
    const out = codexPreset.interpret({ exitCode: 1, outputTail: stdout, stdout });
    expect(out.permissionDenials).toEqual(["the agent was refused permission to edit /s/a.ts (codex could not apply its patch)"]);
    expect(out.stopReason).toBe("codex failed: stream disconnected before completion: rate limited");
  });

  it("says the CLI stopped before reporting anything when it printed no event", () => {
    expect(codexPreset.interpret({ exitCode: null, outputTail: "", stdout: "" }).stopReason).toBe("codex was stopped before it reported anything");
    expect(codexPreset.interpret({ exitCode: 2, outputTail: "error: unexpected argument '--full-auto'\n", stdout: "" }).stopReason).toBe(
      "codex exited with code 2: error: unexpected argument '--full-auto'",
    );
  });
});
