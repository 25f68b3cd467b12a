// The sandbox room's door: pick bubblewrap when it works, the process runner when allowed, refuse otherwise.
import { accessSync, constants } from "node:fs";
import path from "node:path";
import type { Sandbox } from "./types.js";
import { createBubblewrapSandbox } from "./bubblewrapRunner.js";
import { createProcessSandbox } from "./processRunner.js";
import { probeBubblewrap } from "./probe.js";
import { nodeInstallDir } from "./bubblewrapArgs.js";
import { defaultLimits, findPrlimit, type ResourceLimits } from "./limits.js";
import { SandboxUnavailable } from "./errors.js";
import { probeCgroupPids } from "./cgroup.js";

export type { Sandbox, SandboxRequest, SandboxResult } from "./types.js";
export { SandboxUnavailable, SandboxRequestRefused } from "./errors.js";
export { defaultLimits, type ResourceLimits } from "./limits.js";

/** The subset of a pino logger the sandbox uses. */
export interface SandboxLog {
  warn(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
}

export interface CreateSandboxOptions {
  /** AUTOFIX_SANDBOX: auto (bubblewrap, else the process runner with a warning), required, off. */
  mode: "auto" | "required" | "off";
  log?: SandboxLog;
  /**
   * bubblewrap binary; tests point it at a missing file to exercise the fallback. Defaults to
   * AUTOFIX_BWRAP_PATH (for end-to-end tests that start autofix whole), then `bwrap` on PATH.
   */
  bwrapPath?: string;
  limits?: Partial<ResourceLimits>;
  /** Time between SIGTERM and SIGKILL when a run times out or is cancelled. */
  killGraceMs?: number;
  /** Use a pids cgroup per run where the host allows it (default true; false shows what it adds). */
  processCgroups?: boolean;
}

export async function createSandbox(opts: CreateSandboxOptions): Promise<Sandbox> {
  const runnerOptions = {
    limits: { ...defaultLimits, ...opts.limits },
    prlimitPath: findPrlimit(),
    killGraceMs: opts.killGraceMs ?? 5_000,
    cgroups: opts.processCgroups === false ? undefined : await probeCgroupPids(),
  };
  if (runnerOptions.cgroups && runnerOptions.cgroups.reaped.length > 0) {
    opts.log?.warn({ sandbox: "limits", cgroups: runnerOptions.cgroups.reaped }, "killed what runs of a dead autofix process left behind");
  }
  if (!runnerOptions.cgroups) {
    opts.log?.info?.({ sandbox: "limits" }, "no pids cgroup can be created here: the process cap relies on RLIMIT_NPROC and the PID namespace");
  }
  if (!runnerOptions.prlimitPath) {
    opts.log?.warn({ sandbox: "limits" }, "prlimit (util-linux) not found: commands run without file-size, memory and process limits");
  }
  if (opts.mode === "off") {
    opts.log?.warn({ sandbox: "process" }, "AUTOFIX_SANDBOX=off: agents and repository commands run without OS isolation");
    return createProcessSandbox("the operator switched the sandbox off (AUTOFIX_SANDBOX=off)", runnerOptions);
  }

  const bwrapPath = resolveProgram(opts.bwrapPath ?? (process.env.AUTOFIX_BWRAP_PATH || "bwrap"));
  const nodeDir = nodeInstallDir();
  const baseReadOnlyPaths = nodeDir ? [nodeDir] : [];
  const probe = await probeBubblewrap(bwrapPath, baseReadOnlyPaths);
  if (probe.usable) {
    opts.log?.info?.({ sandbox: "bubblewrap" }, "agents and repository commands run under bubblewrap");
    return createBubblewrapSandbox({ ...runnerOptions, bwrapPath, baseReadOnlyPaths });
  }
  if (opts.mode === "required") throw new SandboxUnavailable(probe.reason);

  const fallbackReason = `bubblewrap is not usable: ${probe.reason}`;
  opts.log?.warn(
    { sandbox: "process", fallbackReason },
    "falling back to process isolation: agents run with an allow-listed environment but can read the host's files. Install bubblewrap and allow user namespaces, or set AUTOFIX_SANDBOX=required to refuse",
  );
  return createProcessSandbox(fallbackReason, runnerOptions);
}

/** An absolute path for a bare program name (bwrap starts with an empty environment, so no PATH lookup). */
function resolveProgram(program: string): string {
  if (program.includes("/")) return program;
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":").filter(Boolean)) {
    const candidate = path.join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return program;
}
