// Runs one child in its own process group and supervises it: wall-clock timeout, cancellation, output tail.
// Both runners share it; they differ only in the program they start (bwrap or the command itself).
import { spawn } from "node:child_process";
import type { Writable } from "node:stream";
import type { SandboxRequest, SandboxResult } from "./types.js";
import { OutputTail } from "./outputTail.js";

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
  /** Written to the child's fd 3 and closed (bwrap's --args 3). */
  extraInput?: string;
}

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

export function supervise(request: SandboxRequest, opts: SuperviseOptions): Promise<SandboxResult> {
  const startedAt = performance.now();
  const tail = new OutputTail(request.maxOutputBytes ?? defaultMaxOutputBytes);
  const stdoutTail = new OutputTail(request.maxOutputBytes ?? defaultMaxOutputBytes);
  const finish = (fields: Pick<SandboxResult, "exitCode" | "signal" | "timedOut" | "cancelled">): SandboxResult => ({
    ...fields,
    durationMs: Math.round(performance.now() - startedAt),
    outputTail: tail.text(),
    outputTruncated: tail.truncated,
    stdoutTail: stdoutTail.text(),
    isolation: opts.isolation,
  });

  if (request.signal?.aborted) {
    return Promise.resolve(finish({ exitCode: null, signal: null, timedOut: false, cancelled: true }));
  }

  return new Promise<SandboxResult>((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const child = spawn(opts.file, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: [request.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe", ...(opts.extraInput === undefined ? [] : ["pipe" as const])],
    });

    const terminate = (): void => {
      if (killTimer || exit) return;
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), opts.killGraceMs);
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

    const settle = (result: SandboxResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      request.signal?.removeEventListener("abort", onAbort);
      resolve(result);
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
    if (extra) {
      extra.on("error", () => {
        // The program exited before reading it: its exit status says why.
      });
      extra.end(opts.extraInput);
    }

    child.on("error", (err: NodeJS.ErrnoException) => {
      tail.push(Buffer.from(`${opts.file}: ${err.code === "ENOENT" ? "not found" : err.message}\n`));
      settle(finish({ exitCode: 127, signal: null, timedOut, cancelled }));
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      // Whatever the command left running in its group dies with it: nothing outlives a run.
      killGroup(child.pid, "SIGKILL");
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        settle(finish({ exitCode: code, signal, timedOut, cancelled }));
      }, drainAfterExitMs);
    });
    child.on("close", () => {
      const { code = null, signal = null } = exit ?? {};
      settle(finish({ exitCode: code, signal, timedOut, cancelled }));
    });
  });
}
