// Resource limits applied inside the sandbox with prlimit(1): file size, address space, process count.
import { accessSync, constants } from "node:fs";

export interface ResourceLimits {
  /** RLIMIT_FSIZE: largest file a process may write. */
  maxFileBytes: number;
  /**
   * The memory cap of one run (an agent run, one command): the cgroup's memory.max where autofix may create
   * cgroups; otherwise RLIMIT_AS per process, which counts reserved address space too (see docs/security.md).
   */
  maxMemoryBytes: number;
  /**
   * RLIMIT_NPROC: processes of the user. The kernel does not enforce it for real uid 0, so a bot running as
   * root relies on the PID namespace and the group kill instead (see docs/security.md).
   */
  maxProcesses: number;
}

export const defaultLimits: ResourceLimits = {
  maxFileBytes: 1024 * 1024 * 1024,
  maxMemoryBytes: 8 * 1024 * 1024 * 1024,
  maxProcesses: 1024,
};

/**
 * RLIMIT_AS when a memory cgroup holds the real cap: address space, not resident memory. V8 reserves ~10 GiB
 * per WebAssembly memory (vitest 4, esbuild), so a tight address-space cap would make such suites red on both sides.
 */
export const addressSpaceBytesUnderCgroup = 64 * 1024 * 1024 * 1024;

/** "4 GiB", "512 MiB": how a cap is said to users. */
export function formatMemory(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  return gib >= 1 ? `${Number(gib.toFixed(1))} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

const prlimitCandidates = ["/usr/bin/prlimit", "/bin/prlimit"];

/** Where prlimit lives (under /usr, so it is visible inside the sandbox), or undefined when absent. */
export function findPrlimit(): string | undefined {
  for (const candidate of prlimitCandidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** argv prefixed with prlimit when available; without it the command runs unlimited (the caller logs that once). */
export function withLimits(argv: string[], limits: ResourceLimits, prlimitPath: string | undefined, memoryByCgroup = false): string[] {
  if (!prlimitPath) return argv;
  return [
    prlimitPath,
    `--fsize=${limits.maxFileBytes}`,
    `--as=${memoryByCgroup ? Math.max(addressSpaceBytesUnderCgroup, limits.maxMemoryBytes) : limits.maxMemoryBytes}`,
    `--nproc=${limits.maxProcesses}`,
    "--",
    ...argv,
  ];
}
