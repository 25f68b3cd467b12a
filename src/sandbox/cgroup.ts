// Cgroups per run, where the host lets autofix create them: pids caps how many processes a run may have
// (RLIMIT_NPROC does not bind root) and lists every process of the run, so the kill at the end reaches even
// those that left the process group with setsid; memory caps what the run may hold resident (memory.max on
// cgroup v2, memory.limit_in_bytes on v1) and says afterwards whether the kernel stopped it for that.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface RunCgroup {
  /** The cgroup.procs files a starting process writes its pid into (one per hierarchy on cgroup v1). */
  readonly procsFiles: string[];
  killAll(): Promise<void>;
  remove(): Promise<void>;
  /** True when the kernel killed a process of the run for going over the memory cap. */
  memoryExceeded(): Promise<boolean>;
}

export interface CgroupPids {
  /** Whether runs get a memory cap from a cgroup (otherwise only RLIMIT_AS applies). */
  readonly memory: boolean;
  create(maxProcesses: number, maxMemoryBytes?: number): Promise<RunCgroup | undefined>;
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

/** The memory controller's directory of autofix's own cgroup, and which interface it speaks. */
function ownMemoryCgroupDir(): { dir: string; v2: boolean } | undefined {
  let lines: string[];
  try {
    lines = readFileSync("/proc/self/cgroup", "utf8").trim().split("\n");
  } catch {
    return undefined;
  }
  for (const line of lines) {
    const [, controllers, cgroupPath] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers?.split(",").includes("memory")) return { dir: path.join("/sys/fs/cgroup/memory", cgroupPath!), v2: false };
  }
  const unified = lines.find((line) => line.startsWith("0::"));
  if (unified && existsSync("/sys/fs/cgroup/cgroup.controllers")) return { dir: path.join("/sys/fs/cgroup", unified.slice(3)), v2: true };
  return undefined;
}

/** "oom_kill N" from memory.events (v2) or memory.oom_control (v1). */
async function oomKills(dir: string, v2: boolean): Promise<number> {
  try {
    const text = await readFile(path.join(dir, v2 ? "memory.events" : "memory.oom_control"), "utf8");
    return Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
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

function runCgroup(dir: string): RunCgroup & { procsFile: string } {
  const procsFile = path.join(dir, "cgroup.procs");
  return {
    procsFile,
    procsFiles: [procsFile],
    memoryExceeded: async () => false,
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

async function createIn(base: string, maxProcesses: number): Promise<(RunCgroup & { procsFile: string }) | undefined> {
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

/** A memory cgroup with the cap written, or undefined when the controller refuses (not delegated here). */
async function createMemoryIn(
  mem: { dir: string; v2: boolean },
  existing: (RunCgroup & { procsFile: string }) | undefined,
  maxMemoryBytes: number,
): Promise<RunCgroup | undefined> {
  // On v2 the pids and memory controllers share one directory.
  const own = mem.v2 && existing ? undefined : await createBare(mem.dir);
  const cgroup = own ?? existing;
  if (!cgroup) return undefined;
  const dir = path.dirname(cgroup.procsFile);
  try {
    await writeFile(path.join(dir, mem.v2 ? "memory.max" : "memory.limit_in_bytes"), String(maxMemoryBytes));
    // No swapping around the cap where the kernel accounts swap (v1: memsw, set after the memory limit).
    await writeFile(path.join(dir, mem.v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes"), mem.v2 ? "0" : String(maxMemoryBytes)).catch(() => undefined);
  } catch {
    if (own) await own.remove();
    return undefined;
  }
  return { ...cgroup, memoryExceeded: async () => (await oomKills(dir, mem.v2)) > 0 };
}

async function createBare(base: string): Promise<(RunCgroup & { procsFile: string }) | undefined> {
  const dir = path.join(base, `autofix-${process.pid}-${++sequence}`);
  try {
    await mkdir(dir);
    return runCgroup(dir);
  } catch {
    return undefined;
  }
}

/** One run's cgroups joined into one handle: processes join each, kills and removal reach each. */
function combined(parts: RunCgroup[]): RunCgroup {
  return {
    procsFiles: [...new Set(parts.flatMap((p) => p.procsFiles))],
    async killAll() {
      for (const part of parts) await part.killAll();
    },
    async remove() {
      for (const part of parts) await part.remove();
    },
    async memoryExceeded() {
      for (const part of parts) if (await part.memoryExceeded()) return true;
      return false;
    },
  };
}

/** A factory of per-run cgroups (pids, and memory where allowed), or undefined when this host allows none. */
export async function probeCgroupPids(): Promise<(CgroupPids & { reaped: string[] }) | undefined> {
  const base = ownPidsCgroupDir();
  const mem = ownMemoryCgroupDir();
  const probe = base ? await createIn(base, 1) : undefined;
  const pidsOk = probe !== undefined;
  const memProbe = mem ? await createMemoryIn(mem, mem.v2 ? probe : undefined, 1024 * 1024 * 1024) : undefined;
  await memProbe?.remove();
  await probe?.remove();
  const memoryOk = memProbe !== undefined;
  if (!pidsOk && !memoryOk) return undefined;
  const reaped = [...(base && pidsOk ? await reapOrphans(base) : []), ...(mem && memoryOk && !mem.v2 ? await reapOrphans(mem.dir) : [])];
  return {
    memory: memoryOk,
    reaped,
    async create(maxProcesses, maxMemoryBytes) {
      const pids = pidsOk ? await createIn(base!, maxProcesses) : undefined;
      const memory = memoryOk && maxMemoryBytes ? await createMemoryIn(mem!, pids, maxMemoryBytes) : undefined;
      if (memory && mem!.v2) return memory;
      const parts = [pids, memory].filter((p): p is RunCgroup => p !== undefined);
      return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : combined(parts);
    },
  };
}

/** argv that joins the cgroups, then becomes the real program (same pid, so the process group is unchanged). */
export function joinCgroupArgv(cgroup: RunCgroup, file: string, args: string[]): { file: string; args: string[] } {
  const files = cgroup.procsFiles;
  const joins = files.map((_, i) => `echo $$ > "$${i === 0 ? "0" : String(i)}"`).join(" && ");
  // $0 is the first procs file, $1.. the others; shift them off before exec.
  return { file: "/bin/sh", args: ["-c", `${joins} && shift ${files.length - 1} && exec "$@"`, ...files, file, ...args] };
}
