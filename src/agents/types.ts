// What edits the spawn. The pipeline never trusts an agent's account of what it changed: the delta
// is computed from the spawn. AgentRun is only for reports.
import type { Usage } from "../llm/index.js";

export interface AgentRunRequest {
  spawnDir: string;
  prompt: string;
  /** A per-attempt scratch directory outside the spawn (prompt file, throw-away HOME, TMPDIR). */
  scratchDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface AgentRun {
  agent: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  outputTail: string;
  /** The agent's closing summary, when it gives one (shown to reviewers, never to the judges). */
  summary?: string;
  usage?: Usage;
  /** Edits the agent was refused (e.g. Claude Code's permission_denials). */
  permissionDenials?: string[];
  /** Why the agent stopped when it was not a normal finish (bound hit, not installed, ...). */
  stopReason?: string;
  /** Set when the agent could not do its work (as opposed to working and producing a poor change). */
  failure?: AgentFailure;
  /** True when `usage` was already recorded on the job's spend meter by the LLM layer (built-in agent). */
  usageMetered?: boolean;
  /** Network `allow`: "host:port" of each connection the egress proxy refused. */
  refusedConnections?: string[];
  isolation: "bubblewrap" | "process" | "in-process";
}

/**
 * Why an agent could not work. None of these is repaired by another attempt with a gate report:
 * auth (its endpoint refused the credentials), provider (the endpoint failed or was unreachable),
 * not-installed (its program is missing: exit 127), timeout (it ran out of time), crashed (it exited
 * with an error of its own), spend (the job's token or cost cap was used up).
 */
export type AgentFailureKind = "auth" | "provider" | "not-installed" | "timeout" | "crashed" | "spend";

export interface AgentFailure {
  kind: AgentFailureKind;
  /** What the agent or its provider said, verbatim (trimmed), for the reviewer and the operator. */
  message: string;
}

export interface Agent {
  readonly name: string;
  run(request: AgentRunRequest): Promise<AgentRun>;
}

/** What a preset asks the sandbox to run. */
export interface PresetInvocation {
  argv: string[];
  /** Variables the preset needs (HOME, TMPDIR, endpoint, the agent's own key...), added to the allow-listed base. */
  env: Record<string, string>;
  /** Host paths the process may write besides the spawn (its throw-away HOME, TMPDIR). */
  writablePaths: string[];
  /** Host paths the process must see read-only (its install directory, when outside the system dirs). */
  readOnlyPaths: string[];
  stdin?: string;
  /** The LLM endpoint's `host:port`: what network `allow` lets through when the config lists nothing else. */
  endpointHosts?: string[];
}

export interface PresetContext {
  spawnDir: string;
  prompt: string;
  /** File holding the prompt, outside the spawn. */
  promptFile: string;
  /** Throw-away HOME for this attempt, outside the spawn. */
  homeDir: string;
  tmpDir: string;
  model?: string;
  /** The repository config's `agent.command` (command preset). */
  command?: string;
  /** Variables the operator passes to this agent (already filtered by both allow-lists). */
  passedEnv: Record<string, string>;
  /**
   * The bot's own environment, where a preset reads its operator settings (AUTOFIX_CLAUDE_*, AUTOFIX_CODEX_*:
   * endpoint, key variable name). A preset copies only the names it documents. Default: process.env.
   */
  operatorEnv?: Record<string, string | undefined>;
  /** The PATH the agent will run with, to locate `program`, its version and install directory. Default: process.env.PATH. */
  searchPath?: string;
}

/** A known agent CLI: how to invoke it unattended and how to read what it hides behind exit 0. */
export interface AgentPreset {
  name: "claude-code" | "codex" | "aider" | "command";
  /** Program looked up on PATH before running, for a clear "not installed" message. */
  program?: string;
  /** How an operator installs the tested version, e.g. "npm i -g @openai/codex@0.169.0". */
  installHint?: string;
  testedVersion?: string;
  prepare(ctx: PresetContext): Promise<PresetInvocation>;
  /** Turn the CLI's output into summary, denials, usage and a stop reason. */
  interpret(output: { exitCode: number | null; outputTail: string; stdout?: string }): Pick<AgentRun, "summary" | "permissionDenials" | "usage" | "stopReason">;
}
