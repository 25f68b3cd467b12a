// The `command` preset: the repository's own agent.command, run with /bin/sh -c in the spawn.
import { AutofixError } from "../../errors.js";
import type { AgentPreset } from "../types.js";

export class AgentCommandMissing extends AutofixError {
  constructor() {
    super("AGENT_COMMAND_MISSING", {
      what: "The `command` agent has no command to run.",
      why: "`.github/autofix.yml` sets `agent.preset: command` but no `agent.command`.",
      next: "Add `agent.command` (run with /bin/sh -c in the spawn; the prompt is in $AUTOFIX_PROMPT and the file $AUTOFIX_PROMPT_FILE), or choose another preset.",
    });
  }
}

/** Lines of output shown as the agent's summary: its last words are usually what it did. */
const summaryLines = 5;

export function lastLines(text: string, count: number): string | undefined {
  const lines = text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "");
  return lines.length > 0 ? lines.slice(-count).join("\n") : undefined;
}

export const commandPreset: AgentPreset = {
  name: "command",
  async prepare(ctx) {
    if (!ctx.command) throw new AgentCommandMissing();
    return { argv: ["/bin/sh", "-c", ctx.command], env: {}, writablePaths: [], readOnlyPaths: [] };
  },
  interpret({ exitCode, outputTail }) {
    return {
      summary: lastLines(outputTail, summaryLines),
      ...(exitCode !== 0 && exitCode !== null ? { stopReason: `the agent command exited with code ${exitCode}` } : {}),
    };
  },
};
