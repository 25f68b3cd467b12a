// The isolated runner: each request runs under bubblewrap in fresh namespaces (user, PID, IPC, UTS, cgroup,
// and network unless the request opens it). Killing bwrap's group ends the PID namespace, so every process
// the command started dies with it.
import type { Sandbox, SandboxRequest, SandboxResult } from "./types.js";
import { supervise } from "./supervise.js";
import { withLimits } from "./limits.js";
import { bubblewrapArgs } from "./bubblewrapArgs.js";
import type { RunnerOptions } from "./processRunner.js";

export interface BubblewrapRunnerOptions extends RunnerOptions {
  bwrapPath: string;
  baseReadOnlyPaths: string[];
}

export function createBubblewrapSandbox(opts: BubblewrapRunnerOptions): Sandbox {
  return {
    isolation: "bubblewrap",
    async run(request: SandboxRequest): Promise<SandboxResult> {
      const options = bubblewrapArgs(request, { baseReadOnlyPaths: opts.baseReadOnlyPaths });
      // The options travel through fd 3 (--args), not the command line: /proc/<pid>/cmdline is readable by
      // every user of the host, and the options hold the agent's environment (its own API key, the prompt).
      return supervise(request, {
        file: opts.bwrapPath,
        args: ["--args", "3", "--", ...withLimits(request.argv, opts.limits, opts.prlimitPath)],
        extraInput: `${options.join("\0")}\0`,
        // bwrap itself gets no environment at all: --clearenv/--setenv give the command exactly request.env.
        env: {},
        cwd: request.cwd,
        isolation: "bubblewrap",
        killGraceMs: opts.killGraceMs,
        cgroups: opts.cgroups,
        maxProcesses: opts.limits.maxProcesses,
      });
    },
  };
}
