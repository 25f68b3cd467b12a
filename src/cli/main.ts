// `autofix <command>`: run | worker | poll | validate-config | doctor | help.
// Only what `--help` needs loads up front: the app's door pulls in Probot and the whole pipeline (~1 s).
import { exitCodeForError, UsageError } from "./errors.js";

const usage = `autofix: turn an issue into a gated pull request

Usage:
  autofix run owner/repo#12 [--dry-run] [--agent <preset>] [--agent-command <cmd>] [--config <file>] [--json]
  autofix run https://github.com/owner/repo/issues/12 [...]
  autofix run --local <path-to-repo> --issue-file <issue.md> [--agent-command <cmd>] [--out <dir>] [--json]
  autofix poll --label autofix owner/repo [--max-issues 10]
  autofix worker
  autofix validate-config [file]
  autofix doctor

Exit codes: 0 PR opened or dry run passed, 1 gates failed, 2 usage or config error, 3 infrastructure error.
Settings come from the environment (see .env.example): GITHUB_TOKEN for run/poll, AUTOFIX_LLM_* for the LLM.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return (await import("./run.js")).runCommand(rest);
    case "poll":
      return (await import("./poll.js")).pollCommand(rest);
    case "worker":
      return (await import("./worker.js")).workerCommand(rest);
    case "validate-config":
      return (await import("./validate.js")).validateCommand(rest);
    case "doctor":
      return (await import("./doctor.js")).doctorCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${usage}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`Unknown command \`${command}\`.`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (err) => {
    const { presentError } = await import("../app/index.js");
    process.stderr.write(`autofix: ${presentError(err).plain}\n`);
    process.exit(exitCodeForError(err));
  },
);
