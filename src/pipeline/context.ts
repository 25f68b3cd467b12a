// Types the job's steps share, so no step imports another step's module for a type (no circles).
import type { Agent, AgentRun } from "../agents/index.js";
import type { AutofixConfig } from "../config/index.js";
import type { Baseline, Delta, Engine, RecordedChange, RepoSource, SpareRegistry, Spawn } from "../engine/index.js";
import type { Forge, Issue, RepoInfo } from "../forge/index.js";
import type { BaselineResultCache, GateResult } from "../gates/index.js";
import type { JobOutcome } from "../jobs/index.js";
import type { LlmClient, SpendMeter } from "../llm/index.js";
import type { Sandbox } from "../sandbox/index.js";
import type { Log } from "./status.js";

export interface PipelineEnv {
  forge: Forge;
  config: AutofixConfig;
  sandbox: Sandbox;
  /** The agent for one attempt; `meter` is the job's spend meter (a built-in agent records every call there). */
  createAgent(config: AutofixConfig, meter?: SpendMeter): Agent;
  /** The LLM the judges use; undefined when the operator configured none. */
  judge?: LlmClient;
  /** The agent's model, so reports can say when the judges use the same one. */
  agentModel?: string;
  source(repo: RepoInfo): RepoSource;
  paths: { workRoot: string; cacheRoot: string; scratchRoot: string };
  /** A long-lived worker's spare checkouts: the job's spawn may start from one (never its baseline checkout). */
  spares?: SpareRegistry;
  /** The process's git engine (object readers, lstat helper), made by the runtime; the engine's default when left out. */
  engine?: Engine;
  baselineCache: BaselineResultCache;
  log: Log;
  /** No writes to the code host: stop after the gates and report. */
  dryRun?: boolean;
  author: { name: string; email: string };
  /** Extra instructions (CLI override, `/autofix revise`). */
  instructions?: string;
  onGate?(result: GateResult): void;
  /** The change the bot last published for this issue (spawn baseline + delta), for branch updates. */
  recordedChange?(): Promise<RecordedChange | undefined>;
  /** Why this run revises the open PR, when the caller decides it (a CI repair). */
  revisionReason?: string;
  /** Reports the first attempt must fix (a red CI's failing checks and logs: data, not instructions). */
  repairReports?: string[];
  /** false inside a CI repair: its caller follows the CI (gates.ci.wait). */
  ciFollow?: boolean;
}

export interface ResolvedTarget {
  repo: RepoInfo;
  issue: Issue;
  baseBranch: string;
  branch: string;
  /**
   * fresh: spawn from the base branch, force-push the bot's branch. revision: spawn from the open
   * PR's head, add a commit on top (never a force push), judge the PR's whole change again.
   */
  mode: "fresh" | "revision";
  pr?: { number: number; htmlUrl: string };
  /** Why this run is a revision (a command, a review, or a human's commits on the branch). */
  revisionReason?: string;
}

export interface SpawnRecord {
  spawn: Spawn;
  baseline: Baseline;
}

export interface ViolationRecord {
  code: string;
  message: string;
  paths?: string[];
}

export interface AttemptRecord {
  attempt: number;
  agent: AgentRun;
  delta: Delta;
  violations: ViolationRecord[];
  prompt: { trimmed: string[] };
}

export interface PublishResult {
  outcome: JobOutcome;
}
