// The fallback runner: no OS isolation, only an exact environment, its own process group and the limits.
// Used when bubblewrap is unusable (mode auto) or switched off (mode off).
import type { Sandbox, SandboxDescription, SandboxRequest, SandboxResult } from "./types.js";
import { supervise } from "./supervise.js";
import { type ResourceLimits, withLimits } from "./limits.js";
import type { CgroupPids } from "./cgroup.js";
import { prepareRequest, type RunContext } from "./prepare.js";

export interface RunnerOptions {
  limits: ResourceLimits;
  prlimitPath: string | undefined;
  killGraceMs: number;
  /** Per-run cgroups when the host allows them (process and memory caps, complete kill); undefined otherwise. */
  cgroups?: CgroupPids;
}

export function createProcessSandbox(fallbackReason: string, opts: RunnerOptions, context: RunContext, description: SandboxDescription): Sandbox {
  return {
    isolation: "process",
    fallbackReason,
    description,
    async run(asked: SandboxRequest): Promise<SandboxResult> {
      // No overlay here (commandView is "copy"): a view request runs in the directory it names.
      const { request, refusedMounts } = await prepareRequest({ ...asked, view: undefined }, context);
      const [file, ...args] = withLimits(request.argv, opts.limits, opts.prlimitPath, opts.cgroups?.memory);
      const result = await supervise(request, {
        file: file!,
        args,
        env: { ...request.env },
        cwd: request.cwd,
        isolation: "process",
        killGraceMs: opts.killGraceMs,
        cgroups: opts.cgroups,
        maxProcesses: opts.limits.maxProcesses,
        maxMemoryBytes: opts.limits.maxMemoryBytes,
      });
      return refusedMounts.length > 0 ? { ...result, refusedMounts } : result;
    },
  };
}
