// The fallback runner: no OS isolation, only an exact environment, its own process group and the limits.
// Used when bubblewrap is unusable (mode auto) or switched off (mode off).
import type { Sandbox, SandboxRequest, SandboxResult } from "./types.js";
import { supervise } from "./supervise.js";
import { type ResourceLimits, withLimits } from "./limits.js";
import type { CgroupPids } from "./cgroup.js";

export interface RunnerOptions {
  limits: ResourceLimits;
  prlimitPath: string | undefined;
  killGraceMs: number;
  /** Per-run pids cgroups when the host allows them (process cap, complete kill); undefined otherwise. */
  cgroups?: CgroupPids;
}

export function createProcessSandbox(fallbackReason: string, opts: RunnerOptions): Sandbox {
  return {
    isolation: "process",
    fallbackReason,
    async run(request: SandboxRequest): Promise<SandboxResult> {
      const [file, ...args] = withLimits(request.argv, opts.limits, opts.prlimitPath);
      return supervise(request, {
        file: file!,
        args,
        env: { ...request.env },
        cwd: request.cwd,
        isolation: "process",
        killGraceMs: opts.killGraceMs,
        cgroups: opts.cgroups,
        maxProcesses: opts.limits.maxProcesses,
      });
    },
  };
}
