// CLI outcomes as documented exit codes (docs/cli.md): 0 PR opened or dry run passed, 1 gates
// failed, 2 usage or config error, 3 infrastructure error.
import { AutofixError } from "../errors.js";
import type { OutcomeKind } from "../jobs/index.js";

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

const usageCodes = new Set(["CLI_USAGE", "CONFIG_INVALID", "NOT_A_GIT_REPOSITORY", "FILE_UNREADABLE", "SETTINGS_INVALID", "AGENT_LLM_MISSING", "AGENT_NOT_INSTALLED", "AGENT_COMMAND_MISSING", "SANDBOX_UNAVAILABLE", "PRIVATE_KEY_MISSING", "PRIVATE_KEY_UNREADABLE", "PRIVATE_KEY_INVALID"]);

export function exitCodeForError(err: unknown): number {
  if (err instanceof AutofixError && usageCodes.has(err.code)) return ExitCode.usage;
  return ExitCode.infrastructure;
}
