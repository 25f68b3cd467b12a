// `autofix validate-config [file]`: the same messages the app posts on an issue, for a local file.
import { readFile } from "node:fs/promises";
import { parseConfig } from "../config/index.js";
import { renderConfigProblemsText } from "../config/index.js";
import { AutofixError } from "../errors.js";
import { ExitCode, UsageError } from "./errors.js";
import { isForbiddenAgentVariable } from "../agents/index.js";

/** The agent always gets its own PATH, HOME, TMPDIR, LANG, LC_ALL, TERM and CI; passEnv cannot replace them. */
const fixedAgentNames = new Set(["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TERM", "CI"]);

/** passEnv names the agent will never receive, whatever the operator allows, and why. */
export function passEnvWarnings(passEnv: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const name of passEnv) {
    if (isForbiddenAgentVariable(name))
      warnings.push(
        `agent.passEnv names ${name}, which is always withheld from the agent (it would hand the agent the bot's own credentials or settings). Remove it.`,
      );
    else if (fixedAgentNames.has(name))
      warnings.push(`agent.passEnv names ${name}, which the agent always gets from autofix itself (the repository cannot replace it). Remove it.`);
  }
  return warnings;
}

export async function validateCommand(argv: string[]): Promise<number> {
  if (argv.length > 1) throw new UsageError("`autofix validate-config` takes at most one file.");
  const file = argv[0] ?? ".github/autofix.yml";
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new AutofixError("FILE_UNREADABLE", {
      what: `${file} cannot be read.`,
      why: (err as Error).message,
      next: "Pass the path of your autofix.yml: `autofix validate-config path/to/autofix.yml`.",
    });
  }
  const parsed = parseConfig(text, file);
  if (parsed.ok) {
    process.stdout.write(`${file} is valid.\n`);
    for (const warning of passEnvWarnings(parsed.config.agent.passEnv)) process.stdout.write(`warning: ${file}: ${warning}\n`);
    return ExitCode.ok;
  }
  process.stdout.write(`${file} has ${parsed.problems.length} problem(s):\n${renderConfigProblemsText(parsed.problems, file)}\n`);
  return ExitCode.usage;
}
