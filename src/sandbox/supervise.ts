// Runs one child in its own process group and supervises it: wall-clock timeout, cancellation, output tail.
// Both runners share it; they differ only in the program they start (bwrap or the command itself).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { Writable } from "node:stream";
import type { SandboxRequest, SandboxResult } from "./types.js";
import { OutputTail } from "./outputTail.js";
import { type CgroupPids, joinCgroupArgv, type RunCgroup } from "./cgroup.js";

export const defaultMaxOutputBytes = 64 * 1024;

export interface SuperviseOptions {
  file: string;
  args: string[];
  /** Environment of the started program (bwrap gets an empty one: it sets the command's own). */
  env: Record<string, string>;
  cwd: string;
  isolation: SandboxResult["isolation"];
  /** Time between SIGTERM and SIGKILL once the run must end. */
  killGraceMs: number;
  /**
   * Written to the child's fd 3 and closed (bwrap's --args 3). bwrap reads it before it forks anything, so the
   * child joins its cgroup by pid before this is written, without a wrapper shell.
   */
  extraInput?: string;
  /** Per-run pids cgroups, when the host allows them: a process cap and a kill that reaches every process. */
  cgroups?: CgroupPids;
  maxProcesses: number;
  /** The run's memory cap; enforced by the cgroup when it has a memory controller, else by RLIMIT_AS. */
  maxMemoryBytes?: number;
}

/** What programs print when RLIMIT_AS refuses an allocation (no cgroup to ask). */
const allocationFailed = /MemoryError|Cannot allocate memory|out of memory|std::bad_alloc|memory allocation of \d+ bytes failed|allocation failed/i;

type Outcome = Pick<SandboxResult, "exitCode" | "signal" | "timedOut" | "cancelled" | "memoryExceeded">;

/** How long to wait for the output pipes after the child exited (a process that escaped the group may hold them). */
const drainAfterExitMs = 2_000;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // Negative pid: the whole process group, so children and grandchildren go too.
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

export async function supervise(request: SandboxRequest, opts: SuperviseOptions): Promise<SandboxResult> {
  const startedAt = performance.now();
  const tail = new OutputTail(request.maxOutputBytes ?? defaultMaxOutputBytes);
  const stdoutTail = new OutputTail(request.maxOutputBytes ?? defaultMaxOutputBytes);
  const finish = (outcome: Outcome): SandboxResult => ({
    ...outcome,
    durationMs: Math.round(performance.now() - startedAt),
    outputTail: tail.text(),
    outputTruncated: tail.truncated,
    stdoutTail: stdoutTail.text(),
    isolation: opts.isolation,
  });

  if (request.signal?.aborted) return finish({ exitCode: null, signal: null, timedOut: false, cancelled: true });

  const cgroup = await opts.cgroups?.create(opts.maxProcesses, opts.maxMemoryBytes);
  try {
    const outcome = await runChild(request, opts, cgroup, tail, stdoutTail);
    const byCgroup = opts.cgroups?.memory === true;
    const exceeded = byCgroup
      ? ((await cgroup?.memoryExceeded()) ?? false)
      : opts.maxMemoryBytes !== undefined && outcome.exitCode !== 0 && allocationFailed.test(tail.text());
    return finish({ ...outcome, ...(exceeded && !outcome.timedOut && !outcome.cancelled ? { memoryExceeded: true } : {}) });
  } finally {
    if (cgroup) {
      await cgroup.killAll();
      await cgroup.remove();
    }
  }
}

function runChild(request: SandboxRequest, opts: SuperviseOptions, cgroup: RunCgroup | undefined, tail: OutputTail, stdoutTail: OutputTail): Promise<Outcome> {
  // A child fed through fd 3 waits for it, so it joins the cgroup by pid; any other joins itself first.
  const joinsByPid = cgroup !== undefined && opts.extraInput !== undefined;
  const { file, args } = cgroup && !joinsByPid ? joinCgroupArgv(cgroup, opts.file, opts.args) : opts;
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: [request.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe", ...(opts.extraInput === undefined ? [] : ["pipe" as const])],
  });
  const killEverything = (): void => {
    killGroup(child.pid, "SIGKILL");
    void cgroup?.killAll();
  };

  return new Promise<Outcome>((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const terminate = (): void => {
      if (killTimer || exit) return;
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(killEverything, opts.killGraceMs);
    };
    const onAbort = (): void => {
      cancelled = true;
      terminate();
    };
    const timeoutTimer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, request.timeoutMs);
    request.signal?.addEventListener("abort", onAbort, { once: true });
    // A cancel that came while the cgroup was being made (after the check above) fired no event: stop now.
    if (request.signal?.aborted) onAbort();

    const settle = (outcome: Omit<Outcome, "timedOut" | "cancelled">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      request.signal?.removeEventListener("abort", onAbort);
      resolve({ ...outcome, timedOut, cancelled });
    };

    child.stdout!.on("data", (chunk: Buffer) => {
      tail.push(chunk);
      stdoutTail.push(chunk);
    });
    child.stderr!.on("data", (chunk: Buffer) => tail.push(chunk));
    if (child.stdin) {
      child.stdin.on("error", () => {
        // EPIPE: the program does not read its input; that is its business.
      });
      child.stdin.end(request.stdin);
    }
    const extra = opts.extraInput === undefined ? undefined : (child.stdio[3] as Writable | null);
    if (joinsByPid && child.pid !== undefined) {
      try {
        for (const file of cgroup!.procsFiles) writeFileSync(file, String(child.pid));
      } catch {
        // The child already died (its exit status says why) or the cgroup vanished: run without the cap.
      }
    }
    if (extra) {
      extra.on("error", () => {
        // The program exited before reading it: its exit status says why.
      });
      extra.end(opts.extraInput);
    }

    child.on("error", (err: NodeJS.ErrnoException) => {
      tail.push(Buffer.from(`${file}: ${err.code === "ENOENT" ? "not found" : err.message}\n`));
      settle({ exitCode: 127, signal: null });
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      // Whatever the command left running dies with it: nothing outlives a run.
      killEverything();
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        settle({ exitCode: code, signal });
      }, drainAfterExitMs);
    });
    child.on("close", () => settle({ exitCode: exit?.code ?? null, signal: exit?.signal ?? null }));
  });
}
