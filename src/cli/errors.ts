// CLI outcomes as documented exit codes (docs/cli.md): 0 PR opened or dry run passed, 1 gates
// failed, 2 usage or config error, 3 infrastructure error.
import { AutofixError } from "../errors.js";
import type { OutcomeKind } from "../jobs/index.js";
import type { AgentFailureKind } from "../agents/index.js";

export const ExitCode = { ok: 0, gatesFailed: 1, usage: 2, infrastructure: 3 } as const;

export class UsageError extends AutofixError {
  constructor(what: string, next = "Run `autofix help` for usage.") {
    super("CLI_USAGE", { what, why: "The command line could not be understood.", next });
  }
}

export function exitCodeFor(kind: OutcomeKind): number {
  switch (kind) {
    case "pr-opened":
    case "pr-updated":
    case "dry-run-passed":
      return ExitCode.ok;
    case "config-invalid":
      return ExitCode.usage;
    case "error":
      return ExitCode.infrastructure;
    default:
      return ExitCode.gatesFailed;
  }
}

// Set-up problems (what the person running autofix must fix before anything can work): exit 2 everywhere.
const usageCodes = new Set([
  "CLI_USAGE",
  "CONFIG_INVALID",
  "NOT_A_GIT_REPOSITORY",
  "FILE_UNREADABLE",
  "SETTINGS_INVALID",
  "LLM_SETTINGS_INVALID",
  "DATA_DIR_UNWRITABLE",
  "AGENT_LLM_MISSING",
  "AGENT_NOT_INSTALLED",
  "AGENT_COMMAND_MISSING",
  "AGENT_PRESET_UNAVAILABLE",
  "SANDBOX_UNAVAILABLE",
  "PRIVATE_KEY_MISSING",
  "PRIVATE_KEY_UNREADABLE",
  "PRIVATE_KEY_INVALID",
]);

/**
 * The exit code of a finished run, the agent's failure included: a missing agent program or refused
 * credentials is the same set-up error (2) whether autofix found it before starting the agent or after;
 * a provider failure is infrastructure (3); an agent that timed out with nothing written changed nothing (1).
 */
export function exitCodeForRun(kind: OutcomeKind, agentFailure?: AgentFailureKind): number {
  if (kind === "error" && agentFailure) {
    if (agentFailure === "auth" || agentFailure === "not-installed") return ExitCode.usage;
    if (agentFailure === "timeout" || agentFailure === "spend") return ExitCode.gatesFailed;
  }
  return exitCodeFor(kind);
}

export function exitCodeForError(err: unknown): number {
  if (err instanceof AutofixError && usageCodes.has(err.code)) return ExitCode.usage;
  return ExitCode.infrastructure;
}
