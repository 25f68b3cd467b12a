// Resource limits applied inside the sandbox with prlimit(1): file size, address space, process count.
import { accessSync, constants } from "node:fs";

export interface ResourceLimits {
  /** RLIMIT_FSIZE: largest file a process may write. */
  maxFileBytes: number;
  /** RLIMIT_AS: address space per process (Node needs a few GiB of it reserved, keep this generous). */
  maxMemoryBytes: number;
  /**
   * RLIMIT_NPROC: processes of the user. The kernel does not enforce it for real uid 0, so a bot running as
   * root relies on the PID namespace and the group kill instead (see docs/security.md).
   */
  maxProcesses: number;
}

export const defaultLimits: ResourceLimits = {
  maxFileBytes: 1024 * 1024 * 1024,
  // Address space, not resident memory: V8 reserves ~10 GiB per WebAssembly memory (vitest 4, esbuild),
  // so a tighter cap makes every such test suite red on both sides and the gate blind.
  maxMemoryBytes: 64 * 1024 * 1024 * 1024,
  maxProcesses: 1024,
};

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
export function withLimits(argv: string[], limits: ResourceLimits, prlimitPath: string | undefined): string[] {
  if (!prlimitPath) return argv;
  return [
    prlimitPath,
    `--fsize=${limits.maxFileBytes}`,
    `--as=${limits.maxMemoryBytes}`,
    `--nproc=${limits.maxProcesses}`,
    "--",
    ...argv,
  ];
}
