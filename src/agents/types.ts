// What edits the spawn. The pipeline never trusts an agent's account of what it changed: the delta
// is computed from the spawn. AgentRun is only for reports.
import type { Usage } from "../llm/types.js";

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
  isolation: "bubblewrap" | "process" | "in-process";
}

export interface Agent {
  readonly name: string;
  run(request: AgentRunRequest): Promise<AgentRun>;
}
