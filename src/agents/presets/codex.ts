// The `codex` preset: `codex exec` with its workspace-write sandbox, a throw-away CODEX_HOME whose config
// names the operator's endpoint and switches off analytics and plugins, and its JSONL events read back.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { AgentPreset, PresetContext } from "../types.js";
import type { Usage } from "../../llm/index.js";
import { agentSearchPath, endpointSetting, hostPort, isTrue, isWithin, requireCli } from "./installedCli.js";

export const codexTestedVersion = "0.169.0";
const installHint = `npm i -g @openai/codex@${codexTestedVersion}`;

/** Operator settings this preset reads from the bot's environment (documented in docs/agents.md). */
export const codexSettings = {
  baseUrl: "AUTOFIX_CODEX_BASE_URL",
  keyEnv: "AUTOFIX_CODEX_KEY_ENV",
  allowUntested: "AUTOFIX_CODEX_ALLOW_UNTESTED",
} as const;

const defaultBaseUrl = "https://api.openai.com/v1";
const defaultKeyEnv = "OPENAI_API_KEY";
const maxPromptArgBytes = 100 * 1024;

/** TOML basic strings accept JSON's escapes for everything a URL or a variable name can hold. */
const tomlString = (value: string) => JSON.stringify(value);

export function codexConfig(opts: { baseUrl: string; keyEnv?: string }): string {
  return [
    "# Written by autofix for one agent attempt; removed with the attempt's scratch directory.",
    'model_provider = "autofix"',
    "",
    "[model_providers.autofix]",
    'name = "autofix endpoint"',
    `base_url = ${tomlString(opts.baseUrl)}`,
    'wire_api = "responses"',
    ...(opts.keyEnv ? [`env_key = ${tomlString(opts.keyEnv)}`] : []),
    "",
    // Without these it calls other hosts (analytics, plugin and app catalogues) besides the endpoint.
    "[analytics]",
    "enabled = false",
    "",
    "[features]",
    "plugins = false",
    "remote_plugin = false",
    "apps = false",
    "",
  ].join("\n");
}

/**
 * Codex confines its commands and patches with its own bubblewrap ("-s workspace-write"). That cannot nest
 * inside autofix's bubblewrap: the inner one cannot map user ids once the outer one dropped every capability,
 * and every patch then fails. Inside autofix's bubblewrap (PID 1 of the process's namespace is bwrap) the
 * outer sandbox already confines codex to the spawn and its scratch directory, so codex's own is switched
 * off; anywhere else (the process fallback) codex keeps its workspace-write sandbox.
 */
const chooseSandboxThenRun = [
  "mode=workspace-write",
  'if [ "$(cat /proc/1/comm 2>/dev/null)" = bwrap ]; then mode=danger-full-access; fi',
  'exec codex exec -s "$mode" "$@"',
].join("\n");

async function prepare(ctx: PresetContext) {
  const operatorEnv = ctx.operatorEnv ?? process.env;
  const cli = await requireCli({
    preset: "codex",
    program: "codex",
    packageName: "@openai/codex",
    testedVersion: codexTestedVersion,
    installHint,
    allowSetting: codexSettings.allowUntested,
    allowUntested: isTrue(operatorEnv[codexSettings.allowUntested]),
    searchPath: ctx.searchPath ?? agentSearchPath(),
  });
  const baseUrl = endpointSetting(operatorEnv, codexSettings.baseUrl) ?? defaultBaseUrl;
  const keyEnv = operatorEnv[codexSettings.keyEnv]?.trim() || defaultKeyEnv;
  const key = ctx.passedEnv[keyEnv];

  const codexHome = path.join(ctx.homeDir, ".codex");
  // Codex refuses to install its apply_patch helper when CODEX_HOME lies inside TMPDIR, and every patch
  // then fails under workspace-write: give it a TMPDIR that does not contain its home.
  const tmpDir = isWithin(codexHome, ctx.tmpDir) ? path.join(ctx.tmpDir, "codex-tmp") : ctx.tmpDir;
  await mkdir(codexHome, { recursive: true, mode: 0o700 });
  await mkdir(tmpDir, { recursive: true });
  await writeFile(path.join(codexHome, "config.toml"), codexConfig({ baseUrl, keyEnv: key ? keyEnv : undefined }), { mode: 0o600 });

  const env: Record<string, string> = { HOME: ctx.homeDir, TMPDIR: tmpDir, CODEX_HOME: codexHome };
  if (key) env[keyEnv] = key;
  const flags = ["--skip-git-repo-check", "--json", "--ephemeral"];
  if (ctx.model) flags.push("--model", ctx.model);
  const byArgument = Buffer.byteLength(ctx.prompt) <= maxPromptArgBytes;
  return {
    // "-" reads the prompt from stdin; "--" keeps a prompt starting with "-" from being read as a flag.
    argv: ["/bin/sh", "-c", chooseSandboxThenRun, "codex", ...flags, ...(byArgument ? ["--", ctx.prompt] : ["-"])],
    env,
    writablePaths: [ctx.homeDir, ctx.tmpDir],
    readOnlyPaths: cli.readOnlyPaths,
    endpointHosts: [hostPort(baseUrl)],
    ...(byArgument ? {} : { stdin: ctx.prompt }),
  };
}

const eventSchema = z.object({
  type: z.string(),
  message: z.string().optional(),
  error: z.object({ message: z.string().optional() }).optional(),
  usage: z.object({ input_tokens: z.number().optional(), cached_input_tokens: z.number().optional(), output_tokens: z.number().optional() }).optional(),
  item: z
    .object({
      type: z.string(),
      text: z.string().optional(),
      message: z.string().optional(),
      status: z.string().optional(),
      changes: z.array(z.object({ path: z.string(), kind: z.string().optional() })).optional(),
    })
    .optional(),
});
type CodexEvent = z.infer<typeof eventSchema>;

export function parseCodexEvents(output: string): CodexEvent[] {
  const events: CodexEvent[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    if (!line.startsWith("{")) continue;
    try {
      const parsed = eventSchema.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // a log line, not an event
    }
  }
  return events;
}

export const codexPreset: AgentPreset = {
  name: "codex",
  program: "codex",
  installHint,
  testedVersion: codexTestedVersion,
  prepare,
  interpret({ exitCode, outputTail, stdout }) {
    const events = parseCodexEvents(stdout ?? outputTail);
    let summary: string | undefined;
    let usage: Usage | undefined;
    let failure: string | undefined;
    let lastError: string | undefined;
    const refused: string[] = [];
    for (const event of events) {
      const item = event.item;
      if (event.type === "item.completed" && item?.type === "agent_message" && item.text) summary = item.text;
      if (event.type === "item.completed" && item?.type === "file_change" && item.status === "failed") {
        for (const change of item.changes ?? []) refused.push(`the agent was refused permission to edit ${change.path} (codex could not apply its patch)`);
      }
      if (event.type === "turn.completed" && event.usage) {
        usage = {
          inputTokens: (usage?.inputTokens ?? 0) + (event.usage.input_tokens ?? 0),
          outputTokens: (usage?.outputTokens ?? 0) + (event.usage.output_tokens ?? 0),
        };
      }
      if (event.type === "turn.failed") failure = event.error?.message ?? "the turn failed";
      if (event.type === "error" && event.message) lastError = event.message;
    }
    // A patch codex's approval policy rejects (e.g. outside the workspace) shows only in its log on stderr.
    for (const match of outputTail.matchAll(/codex_core::tools::router: error=patch rejected: ([^\n]+)/g)) {
      refused.push(`the agent was refused permission to apply a patch: ${match[1]!.trim()}`);
    }
    let stopReason: string | undefined;
    if (failure) stopReason = `codex failed: ${failure}`;
    else if (exitCode === null && events.length === 0) stopReason = "codex was stopped before it reported anything";
    else if (exitCode !== 0 && exitCode !== null) {
      const said = lastError ?? outputTail.trim().split("\n").pop()?.slice(0, 300);
      stopReason = `codex exited with code ${exitCode}${said ? `: ${said}` : ""}`;
    } else if (refused.length > 0) stopReason = `codex finished after ${refused.length} refused edit${refused.length === 1 ? "" : "s"}: ${refused[0]}`;
    return {
      ...(summary ? { summary } : {}),
      ...(refused.length > 0 ? { permissionDenials: refused } : {}),
      ...(usage ? { usage } : {}),
      ...(stopReason ? { stopReason } : {}),
    };
  },
};
