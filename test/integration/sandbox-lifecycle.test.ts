// How both runners end a run: timeouts and cancellation take the whole process tree, output keeps its tail,
// exit codes, signals and stdin behave as a caller expects.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createSandbox, type Sandbox, type SandboxRequest } from "../../src/sandbox/index.js";
import { tempDir } from "../support/repoBuilder.js";

let root: string;

beforeAll(() => {
  root = tempDir("autofix-sandbox-lifecycle-");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function freshSpawn(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A grandchild that ignores SIGTERM and touches `beat` every 100 ms, started in the background so its parent
 * shell can be killed alone. Returns the script; the heartbeat's mtime tells whether it still lives.
 */
const heartbeatLoop = `trap '' TERM; i=0; while [ $i -lt 600 ]; do : > beat; sleep 0.1; i=$((i+1)); done`;
const heartbeatGrandchild = `(${heartbeatLoop}) &`;
/** The same heartbeat in a new session: it leaves the process group, so only the per-run cgroup can find it. */
const escapingGrandchild = `setsid sh -c 'echo $$ > escaped.pid; ${heartbeatLoop.replaceAll("'", "'\\''")}' &`;

/** Per-run cgroups this test process created and did not remove. */
function leftoverCgroups(): string[] {
  const base = "/sys/fs/cgroup/pids";
  return existsSync(base) ? readdirSync(base).filter((name) => name.startsWith(`autofix-${process.pid}-`)) : [];
}

async function stillBeating(dir: string): Promise<boolean> {
  const beat = path.join(dir, "beat");
  if (!existsSync(beat)) return false;
  const before = statSync(beat).mtimeMs;
  await sleep(600);
  return statSync(beat).mtimeMs !== before;
}

function request(cwd: string, overrides: Partial<SandboxRequest>): SandboxRequest {
  return { argv: ["true"], cwd, env: { PATH: "/usr/bin:/bin" }, timeoutMs: 30_000, network: "none", ...overrides };
}

it("a grandchild in the background survives when only its parent is killed (the premise of the group kill)", async () => {
  const dir = freshSpawn("premise");
  const child = spawn("/bin/sh", ["-c", `${heartbeatGrandchild} sleep 60`], { cwd: dir, detached: true, stdio: "ignore" });
  for (let i = 0; i < 50 && !existsSync(path.join(dir, "beat")); i++) await sleep(50);
  child.kill("SIGKILL");
  try {
    expect(await stillBeating(dir)).toBe(true);
  } finally {
    process.kill(-child.pid!, "SIGKILL");
  }
});

it("a grandchild that starts its own session escapes a process-group kill (the premise of the per-run cgroup)", async () => {
  const dir = freshSpawn("premise-setsid");
  const withoutCgroups = await createSandbox({ mode: "off", processCgroups: false });
  const result = await withoutCgroups.run(request(dir, { argv: ["/bin/sh", "-c", `${escapingGrandchild} sleep 0.5`] }));
  expect(result.exitCode).toBe(0);
  try {
    expect(await stillBeating(dir)).toBe(true);
  } finally {
    process.kill(Number(readFileSync(path.join(dir, "escaped.pid"), "utf8")), "SIGKILL");
  }
});

it("kills what a crashed autofix left running in its per-run cgroup when the next sandbox starts", async () => {
  // A pid that no longer runs stands for the crashed autofix process.
  const gone = spawn("true");
  await new Promise((resolve) => gone.on("exit", resolve));
  const orphanCgroup = path.join("/sys/fs/cgroup/pids", `autofix-${gone.pid}-1`);
  const dir = freshSpawn("orphan");
  mkdirSync(orphanCgroup);
  const leftover = spawn("/bin/sh", ["-c", heartbeatLoop], { cwd: dir, detached: true, stdio: "ignore" });
  writeFileSync(path.join(orphanCgroup, "cgroup.procs"), String(leftover.pid));
  for (let i = 0; i < 50 && !existsSync(path.join(dir, "beat")); i++) await sleep(50);
  try {
    await createSandbox({ mode: "off" });
    expect(await stillBeating(dir)).toBe(false);
    expect(existsSync(orphanCgroup)).toBe(false);
  } finally {
    leftover.kill("SIGKILL");
    if (existsSync(orphanCgroup)) rmdirSync(orphanCgroup);
  }
});

describe.each([
  ["bubblewrap", () => createSandbox({ mode: "required", killGraceMs: 500 })],
  ["process", () => createSandbox({ mode: "off", killGraceMs: 500 })],
] as const)("the %s runner", (isolation, make) => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await make();
    expect(sandbox.isolation).toBe(isolation);
  });

  it("stops a run at its timeout and kills the grandchildren it started, even ones ignoring SIGTERM", async () => {
    const dir = freshSpawn(`${isolation}-timeout`);
    const result = await sandbox.run(request(dir, { argv: ["/bin/sh", "-c", `${heartbeatGrandchild} sleep 60`], timeoutMs: 1_000 }));
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(result.exitCode === null || result.exitCode !== 0).toBe(true);
    expect(result.durationMs).toBeGreaterThanOrEqual(1_000);
    expect(result.durationMs).toBeLessThan(20_000);
    expect(existsSync(path.join(dir, "beat"))).toBe(true);
    expect(await stillBeating(dir)).toBe(false);
  });

  it("cancels a run when its signal aborts, taking the whole process group", async () => {
    const dir = freshSpawn(`${isolation}-cancel`);
    const controller = new AbortController();
    const running = sandbox.run(request(dir, { argv: ["/bin/sh", "-c", `${heartbeatGrandchild} sleep 60`], signal: controller.signal }));
    for (let i = 0; i < 100 && !existsSync(path.join(dir, "beat")); i++) await sleep(50);
    controller.abort("issue closed");
    const result = await running;
    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(await stillBeating(dir)).toBe(false);
  });

  it("does not start a run whose signal is already aborted", async () => {
    const dir = freshSpawn(`${isolation}-preaborted`);
    const result = await sandbox.run(request(dir, { argv: ["/bin/sh", "-c", "touch started"], signal: AbortSignal.abort("stopped") }));
    expect(result.cancelled).toBe(true);
    expect(existsSync(path.join(dir, "started"))).toBe(false);
  });

  it("leaves nothing running after a normal exit: background processes die with the command", async () => {
    const dir = freshSpawn(`${isolation}-leftover`);
    const result = await sandbox.run(request(dir, { argv: ["/bin/sh", "-c", `${heartbeatGrandchild} sleep 0.3; exit 0`] }));
    expect(result.exitCode).toBe(0);
    expect(await stillBeating(dir)).toBe(false);
  });

  it("kills a grandchild that left the process group with setsid once the run ends", async () => {
    const dir = freshSpawn(`${isolation}-setsid`);
    const result = await sandbox.run(request(dir, { argv: ["/bin/sh", "-c", `${escapingGrandchild} sleep 0.5`] }));
    expect(result.exitCode).toBe(0);
    expect(existsSync(path.join(dir, "beat"))).toBe(true);
    expect(await stillBeating(dir)).toBe(false);
  });

  it("caps how many processes a run may have, even when autofix runs as root", async () => {
    const capped = await createSandbox({ mode: isolation === "bubblewrap" ? "required" : "off", limits: { maxProcesses: 20 } });
    const dir = freshSpawn(`${isolation}-fork-cap`);
    const script = "i=0; while [ $i -lt 60 ]; do sleep 5 & i=$((i+1)); done; echo all-started";
    const result = await capped.run(request(dir, { argv: ["/bin/sh", "-c", script] }));
    expect(result.outputTail).toMatch(/can(no|')t fork/i);
    expect(result.outputTail).not.toContain("all-started");
    expect(result.exitCode).not.toBe(0);
  });

  it("removes its per-run cgroups when runs end", async () => {
    const dir = freshSpawn(`${isolation}-cgroup-cleanup`);
    await Promise.all([1, 2, 3].map(() => sandbox.run(request(dir, { argv: ["/bin/sh", "-c", `${heartbeatGrandchild} sleep 0.2`] }))));
    expect(leftoverCgroups()).toEqual([]);
  });

  it("keeps the tail of interleaved stdout and stderr when the output exceeds the cap", async () => {
    const dir = freshSpawn(`${isolation}-tail`);
    const script =
      "echo from-stderr >&2; i=0; while [ $i -lt 3000 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); done; echo last-on-stderr >&2; echo THE-END";
    const result = await sandbox.run(request(dir, { argv: ["/bin/sh", "-c", script], maxOutputBytes: 1_000 }));
    expect(result.exitCode).toBe(0);
    expect(result.outputTruncated).toBe(true);
    expect(Buffer.byteLength(result.outputTail)).toBeLessThanOrEqual(1_000);
    expect(result.outputTail).toContain("last-on-stderr");
    // stdout and stderr are two pipes: their chunks interleave in arrival order, so only presence is certain.
    expect(result.outputTail).toContain("THE-END");
    expect(result.outputTail).toContain("line-2999-padding");
    expect(result.outputTail).not.toContain("from-stderr");
    expect(result.stdoutTail).not.toContain("last-on-stderr");
  });

  it("reports a short output whole, with the exit code", async () => {
    const dir = freshSpawn(`${isolation}-exit`);
    const result = await sandbox.run(request(dir, { argv: ["/bin/sh", "-c", "echo out; echo err >&2; exit 7"] }));
    expect(result).toMatchObject({ exitCode: 7, timedOut: false, cancelled: false, outputTruncated: false, isolation });
    expect(result.outputTail).toContain("out\n");
    expect(result.outputTail).toContain("err\n");
  });

  it("feeds stdin when given and closes it otherwise, so a reading program does not hang", async () => {
    const dir = freshSpawn(`${isolation}-stdin`);
    const fed = await sandbox.run(request(dir, { argv: ["cat"], stdin: "prompt via stdin\n" }));
    expect(fed.outputTail).toBe("prompt via stdin\n");
    const closed = await sandbox.run(request(dir, { argv: ["cat"], timeoutMs: 10_000 }));
    expect(closed).toMatchObject({ exitCode: 0, timedOut: false, outputTail: "" });
  });

  it("passes exactly the requested environment, nothing of the test process", async () => {
    process.env.AUTOFIX_LIFECYCLE_SECRET = "lifecycle-secret-91c";
    try {
      const dir = freshSpawn(`${isolation}-env`);
      const result = await sandbox.run(request(dir, { argv: ["env"], env: { PATH: "/usr/bin:/bin", ONLY_THIS: "yes" } }));
      expect(result.outputTail).toContain("ONLY_THIS=yes");
      expect(result.outputTail).not.toContain("lifecycle-secret-91c");
      expect(result.outputTail).not.toMatch(/^HOME=/m);
    } finally {
      delete process.env.AUTOFIX_LIFECYCLE_SECRET;
    }
  });

  it("reports a missing program as a failed run instead of throwing", async () => {
    const dir = freshSpawn(`${isolation}-missing`);
    const result = await sandbox.run(request(dir, { argv: ["no-such-program-autofix"] }));
    expect(result.exitCode).not.toBe(0);
    expect(result.outputTail).toMatch(/no-such-program-autofix/);
  });

  it("writes in the spawn as the command's working directory", async () => {
    const dir = freshSpawn(`${isolation}-cwd`);
    await sandbox.run(request(dir, { argv: ["/bin/sh", "-c", "pwd > where.txt"] }));
    expect(readFileSync(path.join(dir, "where.txt"), "utf8").trim()).toBe(dir);
  });
});
