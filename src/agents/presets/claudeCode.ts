// The `claude-code` preset: Claude Code in print mode, allowed to edit files in the spawn and nothing more,
// with a throw-away HOME, no telemetry or update checks, and its JSON result read for what exit 0 hides.
import { z } from "zod";
import type { AgentPreset, PresetContext } from "../types.js";
import type { Usage } from "../../llm/index.js";
import { agentSearchPath, endpointSetting, hostPort, isTrue, requireCli } from "./installedCli.js";

export const claudeCodeTestedVersion = "2.1.328";
const installHint = `npm i -g @anthropic-ai/claude-code@${claudeCodeTestedVersion}`;

/** Operator settings this preset reads from the bot's environment (documented in docs/agents.md). */
export const claudeCodeSettings = {
  baseUrl: "AUTOFIX_CLAUDE_BASE_URL",
  allowUntested: "AUTOFIX_CLAUDE_ALLOW_UNTESTED",
} as const;

const claudeMaxRetries = 4;

/** The agent's own credentials, taken only from what both allow-lists passed. */
const keyNames = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"];

/**
 * Read-only git the agent may run without asking (acceptEdits refuses every other shell command): it looks at
 * history and its own diff constantly. The sandbox shows the object cache, so these work in the spawn.
 */
const readOnlyGitTools = ["Bash(git status:*)", "Bash(git diff:*)", "Bash(git log:*)", "Bash(git show:*)"].join(",");

/** Prompts up to this size go as an argument; longer ones on stdin (one argument holds at most 128 KiB). */
const maxPromptArgBytes = 100 * 1024;

async function prepare(ctx: PresetContext) {
  const operatorEnv = ctx.operatorEnv ?? process.env;
  const cli = await requireCli({
    preset: "claude-code",
    program: "claude",
    packageName: "@anthropic-ai/claude-code",
    testedVersion: claudeCodeTestedVersion,
    installHint,
    allowSetting: claudeCodeSettings.allowUntested,
    allowUntested: isTrue(operatorEnv[claudeCodeSettings.allowUntested]),
    searchPath: ctx.searchPath ?? agentSearchPath(),
  });
  const env: Record<string, string> = {
    HOME: ctx.homeDir,
    TMPDIR: ctx.tmpDir,
    // Without these four it calls its vendor's hosts (telemetry, error reports, updates) besides the endpoint.
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_ERROR_REPORTING: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    // Its default retries a rejected key (401) for minutes, so a wrong key would end at the job's timeout
    // as "ran too long"; four retries (about 15 s) still ride out a brief outage and name the real cause.
    CLAUDE_CODE_MAX_RETRIES: String(claudeMaxRetries),
  };
  const baseUrl = endpointSetting(operatorEnv, claudeCodeSettings.baseUrl);
  if (baseUrl) env.ANTHROPIC_BASE_URL = baseUrl;
  for (const name of keyNames) if (ctx.passedEnv[name]) env[name] = ctx.passedEnv[name];

  // acceptEdits: file edits inside the working directory are allowed, everything else (shell commands,
  // writes elsewhere) is refused and reported in permission_denials. Never bypassPermissions: see docs/agents.md.
  const flags = ["--output-format", "json", "--permission-mode", "acceptEdits", "--allowedTools", readOnlyGitTools, "--no-session-persistence"];
  if (ctx.model) flags.push("--model", ctx.model);
  const byArgument = Buffer.byteLength(ctx.prompt) <= maxPromptArgBytes;
  return {
    // "--" so a prompt starting with "-" is never read as a flag.
    argv: byArgument ? ["claude", "-p", ...flags, "--", ctx.prompt] : ["claude", "-p", ...flags],
    env,
    writablePaths: [ctx.homeDir, ctx.tmpDir],
    readOnlyPaths: cli.readOnlyPaths,
    endpointHosts: [hostPort(baseUrl ?? "https://api.anthropic.com")],
    // Without a prompt on stdin, stdin is /dev/null: print mode never waits for input.
    ...(byArgument ? {} : { stdin: ctx.prompt }),
  };
}

const denialSchema = z.object({
  tool_name: z.string(),
  tool_input: z.record(z.string(), z.unknown()).optional(),
});

const resultSchema = z.object({
  type: z.literal("result"),
  subtype: z.string().optional(),
  is_error: z.boolean().optional(),
  result: z.string().optional(),
  permission_denials: z.array(denialSchema).optional(),
  usage: z
    .object({
      input_tokens: z.number().optional(),
      output_tokens: z.number().optional(),
      cache_creation_input_tokens: z.number().optional(),
      cache_read_input_tokens: z.number().optional(),
    })
    .optional(),
  api_error_status: z.union([z.number(), z.string()]).nullable().optional(),
  terminal_reason: z.string().optional(),
});
type ClaudeResult = z.infer<typeof resultSchema>;

/** The result object: the last stdout line that parses as one (stderr or banners may precede it). */
export function parseClaudeResult(output: string): ClaudeResult | undefined {
  const lines = output.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith("{")) continue;
    try {
      const parsed = resultSchema.safeParse(JSON.parse(line));
      if (parsed.success) return parsed.data;
    } catch {
      // not JSON: keep looking
    }
  }
  return undefined;
}

/** Result subtypes Claude Code ends with when it did not finish its task. */
const subtypeMeaning: Record<string, string> = {
  error_max_turns: "it reached its turn limit before finishing",
  error_during_execution: "it failed while running",
};

const editTools = new Set(["Edit", "MultiEdit", "Write", "NotebookEdit"]);

export function describeDenial(denial: z.infer<typeof denialSchema>): string {
  const input = denial.tool_input ?? {};
  const target = typeof input.file_path === "string" ? input.file_path : typeof input.notebook_path === "string" ? input.notebook_path : undefined;
  if (editTools.has(denial.tool_name) && target) return `the agent was refused permission to edit ${target}`;
  if (denial.tool_name === "Bash" && typeof input.command === "string") return `the agent was refused permission to run \`${input.command.slice(0, 200)}\``;
  return `the agent was refused permission to use ${denial.tool_name}${target ? ` on ${target}` : ""}`;
}

function usageOf(result: ClaudeResult): Usage | undefined {
  const u = result.usage;
  if (!u) return undefined;
  const cached = (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
  return { inputTokens: (u.input_tokens ?? 0) + cached, outputTokens: u.output_tokens ?? 0 };
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop()?.slice(0, 300) ?? "";
}

export const claudeCodePreset: AgentPreset = {
  name: "claude-code",
  program: "claude",
  installHint,
  testedVersion: claudeCodeTestedVersion,
  prepare,
  interpret({ exitCode, outputTail, stdout }) {
    const result = parseClaudeResult(stdout ?? outputTail) ?? (stdout ? parseClaudeResult(outputTail) : undefined);
    if (!result) {
      if (exitCode === null) return { stopReason: "claude-code was stopped before it reported a result" };
      const said = lastLine(outputTail);
      return { stopReason: `claude-code exited with code ${exitCode} without a result${said ? `: ${said}` : ""}` };
    }
    const permissionDenials = (result.permission_denials ?? []).map(describeDenial);
    const usage = usageOf(result);
    let stopReason: string | undefined;
    if (result.is_error || (result.subtype && result.subtype !== "success")) {
      const detail =
        result.result ?? (result.api_error_status ? `API error ${result.api_error_status}` : (subtypeMeaning[result.subtype ?? ""] ?? "no details given"));
      const kind = result.subtype && result.subtype !== "success" ? ` (${result.subtype})` : "";
      stopReason = `claude-code reported an error${kind}: ${detail}`;
    } else if (exitCode !== 0 && exitCode !== null) {
      stopReason = `claude-code exited with code ${exitCode}`;
    } else if (permissionDenials.length > 0) {
      stopReason = `claude-code finished after ${permissionDenials.length} refused action${permissionDenials.length === 1 ? "" : "s"}: ${permissionDenials[0]}`;
    }
    return {
      ...(result.result ? { summary: result.result } : {}),
      ...(permissionDenials.length > 0 ? { permissionDenials } : {}),
      ...(usage ? { usage } : {}),
      ...(stopReason ? { stopReason } : {}),
    };
  },
};
