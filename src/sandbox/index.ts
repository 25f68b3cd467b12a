// The sandbox room's door: pick bubblewrap when it works, the process runner when allowed, refuse otherwise.
import path from "node:path";
import type { Sandbox } from "./types.js";
import { createBubblewrapSandbox } from "./bubblewrapRunner.js";
import { createProcessSandbox } from "./processRunner.js";
import { probeBubblewrap, probeOverlayView } from "./probe.js";
import { nodeInstallDir } from "./bubblewrapArgs.js";
import { defaultLimits, findPrlimit, type ResourceLimits } from "./limits.js";
import { SandboxUnavailable } from "./errors.js";
import { probeCgroupPids } from "./cgroup.js";
import { discoverHostTools, HostToolsPolicy } from "./hostTools.js";
import type { RunContext } from "./prepare.js";
import type { SandboxDescription } from "./types.js";
import { findOnPath } from "./programs.js";

export type { Sandbox, SandboxDescription, SandboxRequest, SandboxResult } from "./types.js";
export { SandboxUnavailable, SandboxRequestRefused } from "./errors.js";
export { defaultLimits, formatMemory, type ResourceLimits } from "./limits.js";
export { readSpawnFile } from "./safeRead.js";
export { discoverHostTools, type HostTools } from "./hostTools.js";
export { makeWhiteouts } from "./commandView.js";

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
  /** The bot's PATH whose toolchain directories runs see (default process.env.PATH). */
  hostPath?: string;
  /** AUTOFIX_SANDBOX_MOUNTS: more host directories runs see read-only. */
  mounts?: string[];
  /** Never shown to a run, nor any directory holding them: the data directory, the key file. */
  forbiddenPaths?: string[];
  /** Where spawns' object caches live (the data directory's cache): alternates there are mounted for git. */
  gitObjectRoots?: string[];
  /** Home directories never shown whole (default: the host's, from /etc/passwd and /home). */
  homes?: string[];
  /** Force the copy fallback for commands even where overlays work (benchmarks, tests of the fallback). */
  commandView?: "auto" | "copy";
}

/** The sandbox an operator's settings ask for: toolchain mounts, memory cap, and what must never be shown. */
export function sandboxOptionsFrom(
  settings: {
    AUTOFIX_SANDBOX: CreateSandboxOptions["mode"];
    AUTOFIX_SANDBOX_MOUNTS: string[];
    AUTOFIX_SANDBOX_MEMORY_MB: number;
    AUTOFIX_DATA_DIR: string;
    PRIVATE_KEY_PATH?: string;
    AUTOFIX_AGENT_PATH?: string;
  },
  log?: SandboxLog,
): CreateSandboxOptions {
  const dataDir = path.resolve(settings.AUTOFIX_DATA_DIR);
  return {
    mode: settings.AUTOFIX_SANDBOX,
    log,
    mounts: settings.AUTOFIX_SANDBOX_MOUNTS,
    // The operator's agent directories first, then the bot's own PATH: what runs see and where CLIs are found.
    hostPath: [settings.AUTOFIX_AGENT_PATH, process.env.PATH].filter(Boolean).join(":"),
    limits: { maxMemoryBytes: settings.AUTOFIX_SANDBOX_MEMORY_MB * 1024 * 1024 },
    forbiddenPaths: [dataDir, ...(settings.PRIVATE_KEY_PATH ? [path.resolve(settings.PRIVATE_KEY_PATH)] : [])],
    gitObjectRoots: [path.join(dataDir, "cache")],
  };
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
  const policy = new HostToolsPolicy({ forbidden: opts.forbiddenPaths, homes: opts.homes });
  const hostTools = discoverHostTools({ pathEnv: opts.hostPath, operatorMounts: opts.mounts, forbidden: opts.forbiddenPaths, homes: opts.homes });
  if (hostTools.refused.length > 0)
    opts.log?.info?.(
      { sandbox: "mounts", refused: hostTools.refused },
      "some directories of PATH or AUTOFIX_SANDBOX_MOUNTS are not shown to agents and commands",
    );
  const context: RunContext = { hostTools, policy, gitObjectRoots: (opts.gitObjectRoots ?? []).map((p) => path.resolve(p)) };
  const nodeDir = nodeInstallDir();
  const baseReadOnlyPaths = nodeDir ? [nodeDir] : [];
  const describe = (commandView: SandboxDescription["commandView"]): SandboxDescription => ({
    readOnlyPaths: [...baseReadOnlyPaths, ...hostTools.readOnlyPaths],
    pathDirs: hostTools.pathDirs,
    env: hostTools.env,
    refused: hostTools.refused,
    memory: {
      maxBytes: runnerOptions.limits.maxMemoryBytes,
      enforcedBy: runnerOptions.cgroups?.memory ? "cgroup" : runnerOptions.prlimitPath ? "rlimit-as" : "none",
    },
    commandView,
  });
  if (opts.mode === "off") {
    opts.log?.warn({ sandbox: "process" }, "AUTOFIX_SANDBOX=off: agents and repository commands run without OS isolation");
    return createProcessSandbox("the operator switched the sandbox off (AUTOFIX_SANDBOX=off)", runnerOptions, context, describe("copy"));
  }

  const bwrapName = opts.bwrapPath ?? (process.env.AUTOFIX_BWRAP_PATH || "bwrap");
  // bwrap starts with an empty environment: hand it an absolute path.
  const bwrapPath = findOnPath(bwrapName, process.env.PATH ?? "/usr/bin:/bin") ?? bwrapName;
  const probe = await probeBubblewrap(bwrapPath, baseReadOnlyPaths);
  if (probe.usable) {
    opts.log?.info?.({ sandbox: "bubblewrap" }, "agents and repository commands run under bubblewrap");
    const bwrapOptions = { ...runnerOptions, bwrapPath, baseReadOnlyPaths };
    const probing = createBubblewrapSandbox(bwrapOptions, context, describe("overlay"));
    const overlay = opts.commandView !== "copy" && (await probeOverlayView(bwrapPath, (r) => probing.run(r)));
    if (!overlay && opts.commandView !== "copy") {
      opts.log?.warn({ sandbox: "commandView" }, "overlay mounts are refused here: each side of the deterministic gate copies the spawn (cp -a) instead");
    }
    return overlay ? probing : createBubblewrapSandbox(bwrapOptions, context, describe("copy"));
  }
  if (opts.mode === "required") throw new SandboxUnavailable(probe.reason);

  const fallbackReason = `bubblewrap is not usable: ${probe.reason}`;
  opts.log?.warn(
    { sandbox: "process", fallbackReason },
    "falling back to process isolation: agents run with an allow-listed environment but can read the host's files. Install bubblewrap and allow user namespaces, or set AUTOFIX_SANDBOX=required to refuse",
  );
  return createProcessSandbox(fallbackReason, runnerOptions, context, describe("copy"));
}
export { findOnPath, isWithin } from "./programs.js";
