// run_command for the built-in agent, through the sandbox: an allow-listed environment (never the bot's
// secrets), a throw-away HOME and TMPDIR outside the spawn per command, and no network unless asked.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Sandbox } from "../../sandbox/index.js";
import { buildAgentEnv } from "../env.js";
import type { RunCommand } from "./tools.js";

export interface SandboxRunCommandOptions {
  /** Default "none", like the repository's own checks (gates.deterministic.network). */
  network?: "open" | "none";
  maxOutputBytes?: number;
  /** The repository's agent.passEnv and the operator's AUTOFIX_AGENT_PASS_ENV, as for CLI agents. */
  passEnv?: string[];
  operatorAllowed?: string[];
  /** Parent of the per-command scratch directories (default: the system temp dir). */
  scratchRoot?: string;
}

export function sandboxRunCommand(sandbox: Sandbox, options: SandboxRunCommandOptions = {}): RunCommand {
  return async (argv, cwd, timeoutMs, signal) => {
    const scratch = await mkdtemp(path.join(options.scratchRoot ?? tmpdir(), "autofix-cmd-"));
    try {
      const home = path.join(scratch, "home");
      const tmp = path.join(scratch, "tmp");
      await mkdir(home);
      await mkdir(tmp);
      const { env } = buildAgentEnv({ passEnv: options.passEnv ?? [], operatorAllowed: options.operatorAllowed ?? [], home, tmp });
      const result = await sandbox.run({
        argv,
        cwd,
        env,
        timeoutMs,
        network: options.network ?? "none",
        maxOutputBytes: options.maxOutputBytes ?? 16_384,
        signal,
        writablePaths: [home, tmp],
      });
      const note = result.timedOut ? `\n[stopped: it ran longer than ${Math.round(timeoutMs / 1000)} s]` : "";
      return { exitCode: result.timedOut ? null : result.exitCode, outputTail: `${result.outputTail}${note}` };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  };
}
