// A pids cgroup per run, where the host lets autofix create one: it caps how many processes a run may have
// (RLIMIT_NPROC does not bind root) and lists every process of the run, so the kill at the end reaches even
// those that left the process group with setsid.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface RunCgroup {
  /** The cgroup.procs file a starting process writes its pid into. */
  readonly procsFile: string;
  killAll(): Promise<void>;
  remove(): Promise<void>;
}

export interface CgroupPids {
  create(maxProcesses: number): Promise<RunCgroup | undefined>;
}

/** The pids-controller directory of autofix's own cgroup: cgroup v1 (`N:pids:/path`) or v2 (`0::/path`). */
function ownPidsCgroupDir(): string | undefined {
  let lines: string[];
  try {
    lines = readFileSync("/proc/self/cgroup", "utf8").trim().split("\n");
  } catch {
    return undefined;
  }
  for (const line of lines) {
    const [, controllers, cgroupPath] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers?.split(",").includes("pids")) return path.join("/sys/fs/cgroup/pids", cgroupPath!);
  }
  const unified = lines.find((line) => line.startsWith("0::"));
  if (unified && existsSync("/sys/fs/cgroup/cgroup.controllers")) return path.join("/sys/fs/cgroup", unified.slice(3));
  return undefined;
}

/** rmdir fails with EBUSY until the kernel has released the killed processes: retry with backoff, ~2 s in all. */
const removeAttempts = 30;
const removeRetryMaxMs = 100;
let sequence = 0;

async function pidsIn(procsFile: string): Promise<number[]> {
  try {
    return (await readFile(procsFile, "utf8")).split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function runCgroup(dir: string): RunCgroup {
  const procsFile = path.join(dir, "cgroup.procs");
  return {
    procsFile,
    async killAll() {
      // Bounded: a process forking as fast as it is killed cannot keep this loop alive (pids.max caps it).
      for (let round = 0; round < 12; round++) {
        const pids = await pidsIn(procsFile);
        if (pids.length === 0) return;
        for (const pid of pids) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        // Usually the last process of a finished run is already dying: look again soon, then less often.
        await sleep(Math.min(50, 2 ** round));
      }
    },
    async remove() {
      for (let attempt = 0; attempt < removeAttempts; attempt++) {
        try {
          await rmdir(dir);
          return;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === "ENOENT") return;
          // EBUSY: killed processes are still being reaped.
          await sleep(Math.min(removeRetryMaxMs, 2 ** attempt));
        }
      }
    },
  };
}

async function createIn(base: string, maxProcesses: number): Promise<RunCgroup | undefined> {
  const dir = path.join(base, `autofix-${process.pid}-${++sequence}`);
  try {
    await mkdir(dir);
  } catch {
    return undefined;
  }
  const cgroup = runCgroup(dir);
  try {
    await writeFile(path.join(dir, "pids.max"), String(maxProcesses));
    return cgroup;
  } catch {
    // No pids controller here (cgroup v2 without it delegated): give the directory back.
    await cgroup.remove();
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs of an autofix process that died mid-run (crash, OOM kill) leave their cgroup behind, and under the
 * process runner maybe live processes in it: kill those and remove the directories. Cgroups of live autofix
 * processes (another worker on the same host) are left alone.
 */
async function reapOrphans(base: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(base);
  } catch {
    return [];
  }
  const orphans = entries.filter((name) => {
    const owner = /^autofix-(\d+)-\d+$/.exec(name)?.[1];
    return owner !== undefined && Number(owner) !== process.pid && !isAlive(Number(owner));
  });
  for (const name of orphans) {
    const cgroup = runCgroup(path.join(base, name));
    await cgroup.killAll();
    await cgroup.remove();
  }
  return orphans;
}

/** A factory of per-run pids cgroups, or undefined when this host does not let autofix create them. */
export async function probeCgroupPids(): Promise<(CgroupPids & { reaped: string[] }) | undefined> {
  const base = ownPidsCgroupDir();
  if (!base) return undefined;
  const probe = await createIn(base, 1);
  if (!probe) return undefined;
  await probe.remove();
  const reaped = await reapOrphans(base);
  return { create: (maxProcesses) => createIn(base, maxProcesses), reaped };
}

/** argv that joins the cgroup, then becomes the real program (same pid, so the process group is unchanged). */
export function joinCgroupArgv(cgroup: RunCgroup, file: string, args: string[]): { file: string; args: string[] } {
  return { file: "/bin/sh", args: ["-c", 'echo $$ > "$0" && exec "$@"', cgroup.procsFile, file, ...args] };
}
