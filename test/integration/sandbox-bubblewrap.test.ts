// A canary command inside the bubblewrap sandbox tries to reach what a hostile agent would want: the bot's
// environment, its key file, its data directory, another job's spawn, the host's files, the network.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { createServer, type Server } from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createSandbox, type Sandbox, type SandboxRequest } from "../../src/sandbox/index.js";
import { tempDir } from "../support/repoBuilder.js";

const fakeSecret = "canary-secret-5f1d2c9e";
const keyMaterial = "-----BEGIN RSA PRIVATE KEY----- canary-key-7a3b";

let root: string;
let spawnDir: string;
let keyFile: string;
let dataDir: string;
let otherSpawn: string;
let server: Server;
let port: number;
let connections = 0;
let isolated: Sandbox;
let unisolated: Sandbox;
/**
 * A host process started with the secret in its initial environment, as the bot is started with its key:
 * /proc/<pid>/environ shows only a process's initial environment, so setting process.env alone would prove nothing.
 */
let secretHolder: ChildProcess;

beforeAll(async () => {
  process.env.AUTOFIX_CANARY_SECRET = fakeSecret;
  root = tempDir("autofix-sandbox-canary-");
  spawnDir = path.join(root, "jobs", "job-1", "spawn");
  otherSpawn = path.join(root, "jobs", "job-2", "spawn");
  dataDir = path.join(root, "data");
  keyFile = path.join(root, "keys", "app.private-key.pem");
  for (const dir of [spawnDir, otherSpawn, dataDir, path.dirname(keyFile)]) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(spawnDir, "greeting.txt"), "helo\n");
  writeFileSync(path.join(otherSpawn, "their-work.txt"), "another job's change\n");
  writeFileSync(path.join(dataDir, "jobs.sqlite"), "job store");
  writeFileSync(keyFile, keyMaterial, { mode: 0o600 });

  server = createServer((socket) => {
    connections += 1;
    socket.on("error", () => {
      // The canary hangs up without reading: not the test's concern.
    });
    socket.end("hello from the host\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;

  secretHolder = spawn("sleep", ["120"], { env: { AUTOFIX_CANARY_SECRET: fakeSecret, PRIVATE_KEY: keyMaterial }, stdio: "ignore" });

  isolated = await createSandbox({ mode: "required" });
  unisolated = await createSandbox({ mode: "off" });
});

afterAll(async () => {
  delete process.env.AUTOFIX_CANARY_SECRET;
  secretHolder.kill("SIGKILL");
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

/** Each attempt prints `label=reached` or `label=blocked`, then what it saw (so a leak shows in the output). */
function canaryScript(only?: string[]): string {
  const connect = `node -e "require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"`;
  const attempts: Array<[string, string]> = [
    ["parent-environ", `cat /proc/${process.pid}/environ /proc/$PPID/environ`],
    ["test-process-environ", `cat /proc/${process.pid}/environ`],
    ["secret-holder-environ", `cat /proc/${secretHolder.pid}/environ`],
    ["key-file", `cat ${keyFile}`],
    ["data-dir", `ls ${dataDir}`],
    ["other-spawn", `ls ${otherSpawn}`],
    // Lands, at most, in the sandbox's own throw-away /tmp: the host file must stay absent (asserted below).
    ["write-outside", `echo pwned > ${path.join(root, "outside.txt")}`],
    ["write-other-spawn", `echo pwned > ${path.join(otherSpawn, "their-work.txt")}`],
    ["write-root", "echo pwned > /pwned.txt"],
    ["write-system", "echo pwned > /usr/pwned.txt"],
    ["write-dev", "echo pwned > /dev/pwned"],
    ["home-dirs", "ls /root /home /work"],
    ["loopback-tcp", connect],
    ["edit-in-spawn", "echo hello > greeting.txt"],
  ];
  // Every process's environment the sandbox can see, dumped whole: none may hold the test's secret.
  // (First, so the verdicts stay in the output tail even where the dump is large.)
  const chosen = only ? attempts.filter(([label]) => only.includes(label)) : attempts;
  const lines = ["cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'", "echo processes=$(ls -d /proc/[0-9]* | wc -l)", "seen=$(mktemp)"];
  lines.push(...chosen.map(([label, cmd]) => `if ( ${cmd} ) > "$seen" 2>&1; then v=reached; else v=blocked; fi; printf '\\n${label}=%s\\n' "$v"; cat "$seen"`));
  lines.push('rm -f "$seen"');
  return lines.join("\n");
}

function canaryRequest(network: SandboxRequest["network"], only?: string[]): SandboxRequest {
  return {
    argv: ["/bin/sh", "-c", canaryScript(only)],
    cwd: spawnDir,
    env: { PATH: "/usr/local/bin:/usr/bin:/bin" },
    timeoutMs: 30_000,
    network,
    maxOutputBytes: 1024 * 1024,
  };
}

function verdicts(output: string): Record<string, string> {
  return Object.fromEntries([...output.matchAll(/^([a-z-]+)=(reached|blocked)$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe("the bubblewrap sandbox", () => {
  it("reports bubblewrap isolation when the host supports it", () => {
    expect(isolated.isolation).toBe("bubblewrap");
    expect(isolated.fallbackReason).toBeUndefined();
  });

  it("lets a canary edit the spawn but reach nothing else: no environment, key, data, other spawn, host file or loopback server", async () => {
    writeFileSync(path.join(spawnDir, "greeting.txt"), "helo\n");
    const result = await isolated.run(canaryRequest("none"));

    expect(result.isolation).toBe("bubblewrap");
    const { "write-outside": _landsInSandboxTmp, ...seen } = verdicts(result.outputTail);
    expect(seen).toEqual({
      "parent-environ": "blocked",
      "test-process-environ": "blocked",
      "secret-holder-environ": "blocked",
      "key-file": "blocked",
      "data-dir": "blocked",
      "other-spawn": "blocked",
      "write-other-spawn": "blocked",
      "write-root": "blocked",
      "write-system": "blocked",
      "write-dev": "blocked",
      "home-dirs": "blocked",
      "loopback-tcp": "blocked",
      "edit-in-spawn": "reached",
    });
    expect(result.outputTail).not.toContain(fakeSecret);
    expect(result.outputTail).not.toContain("canary-key-7a3b");
    expect(result.outputTail).not.toContain("another job's change");
    expect(result.outputTail).not.toContain("jobs.sqlite");
    // Only the sandbox's own few processes are visible in its /proc.
    const processes = Number(/processes=(\d+)/.exec(result.outputTail)?.[1]);
    expect(processes).toBeGreaterThan(0);
    expect(processes).toBeLessThan(10);

    expect(connections).toBe(0);
    expect(existsSync(path.join(root, "outside.txt"))).toBe(false);
    expect(readFileSync(path.join(otherSpawn, "their-work.txt"), "utf8")).toBe("another job's change\n");
    expect(readFileSync(path.join(spawnDir, "greeting.txt"), "utf8")).toBe("hello\n");
  });

  it("reaches the loopback server only when the request opens the network", async () => {
    const before = connections;
    const result = await isolated.run(canaryRequest("open"));
    expect(verdicts(result.outputTail)["loopback-tcp"]).toBe("reached");
    expect(connections).toBe(before + 1);
    // An open network opens nothing else.
    expect(verdicts(result.outputTail)["key-file"]).toBe("blocked");
  });

  it("the same canary without bubblewrap reads the key, the other spawn and a host process's environment (why process isolation is only a fallback)", async () => {
    // Only read attempts here: without isolation the writes would land on the host for real.
    const result = await unisolated.run(canaryRequest("none", ["key-file", "other-spawn", "secret-holder-environ"]));
    expect(result.isolation).toBe("process");
    const seen = verdicts(result.outputTail);
    expect(seen["key-file"]).toBe("reached");
    expect(seen["other-spawn"]).toBe("reached");
    expect(seen["secret-holder-environ"]).toBe("reached");
    expect(result.outputTail).toContain("canary-key-7a3b");
    expect(result.outputTail).toContain(fakeSecret);
  });

  it("keeps /dev/null, /dev/urandom and a small /dev/shm usable", async () => {
    const result = await isolated.run({
      argv: ["/bin/sh", "-c", "echo x > /dev/null && head -c 4 /dev/urandom | wc -c && echo y > /dev/shm/s && df -k /dev/shm | tail -1"],
      cwd: spawnDir,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 30_000,
      network: "none",
    });
    expect(result.exitCode).toBe(0);
    const shmKiB = Number(result.outputTail.trim().split("\n").at(-1)!.split(/\s+/)[1]);
    expect(shmKiB).toBeLessThanOrEqual(64 * 1024);
  });

  it("runs programs written in Node inside the sandbox", async () => {
    const result = await isolated.run({
      argv: ["node", "-e", "require('fs').writeFileSync('from-node.txt', process.version)"],
      cwd: spawnDir,
      env: { PATH: "/usr/local/bin:/usr/bin:/bin" },
      timeoutMs: 30_000,
      network: "none",
    });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path.join(spawnDir, "from-node.txt"), "utf8")).toBe(process.version);
  });

  it("gives the command exactly the requested environment (plus PWD, the spawn's path, which bwrap sets)", async () => {
    // A bot whose PATH holds only system directories: no toolchain variables (PYENV_ROOT...) are added.
    const plain = await createSandbox({ mode: "required", hostPath: "/usr/bin:/bin" });
    const result = await plain.run({
      argv: ["/usr/bin/env"],
      cwd: spawnDir,
      env: { PATH: "/usr/bin:/bin", GREETING: "hello world" },
      timeoutMs: 30_000,
      network: "none",
    });
    const names = result.outputTail
      .trim()
      .split("\n")
      .map((line) => line.split("=")[0])
      .sort();
    expect(names).toEqual(["GREETING", "PATH", "PWD"]);
  });

  it("shows requested read-only paths without letting the command change them, and requested writable paths writable", async () => {
    const toolDir = path.join(root, "tool");
    const homeDir = path.join(root, "scratch", "home");
    mkdirSync(toolDir, { recursive: true });
    mkdirSync(homeDir, { recursive: true });
    writeFileSync(path.join(toolDir, "tool.txt"), "tool data");
    const result = await isolated.run({
      argv: ["/bin/sh", "-c", `cat ${toolDir}/tool.txt; echo; echo x > ${toolDir}/tool.txt || echo read-only; echo note > ${homeDir}/note`],
      cwd: spawnDir,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 30_000,
      network: "none",
      readOnlyPaths: [toolDir],
      writablePaths: [homeDir],
    });
    expect(result.outputTail).toContain("tool data");
    expect(result.outputTail).toContain("read-only");
    expect(readFileSync(path.join(toolDir, "tool.txt"), "utf8")).toBe("tool data");
    expect(readFileSync(path.join(homeDir, "note"), "utf8")).toBe("note\n");
  });

  it("stops a process from writing a file larger than the configured limit", async () => {
    const limited = await createSandbox({ mode: "required", limits: { maxFileBytes: 4096 } });
    const result = await limited.run({
      argv: ["/bin/sh", "-c", "head -c 100000 /dev/zero > big.bin"],
      cwd: spawnDir,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 30_000,
      network: "none",
    });
    expect(result.exitCode).not.toBe(0);
    expect(readFileSync(path.join(spawnDir, "big.bin")).length).toBeLessThanOrEqual(4096);
  });

  it("keeps the command's environment out of the host's process list, which every host user can read", async () => {
    const marker = "agent-own-api-key-3e9f";
    const running = isolated.run({
      argv: ["/bin/sh", "-c", "touch started; sleep 2"],
      cwd: spawnDir,
      env: { PATH: "/usr/bin:/bin", AGENT_API_KEY: marker },
      timeoutMs: 30_000,
      network: "none",
    });
    for (let i = 0; i < 100 && !existsSync(path.join(spawnDir, "started")); i++) await sleep(50);
    const commandLines = readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        } catch {
          return "";
        }
      });
    expect(commandLines.some((line) => line.includes("--args 3") && line.includes("sleep 2"))).toBe(true);
    expect(commandLines.filter((line) => line.includes(marker))).toEqual([]);
    expect((await running).exitCode).toBe(0);
    rmSync(path.join(spawnDir, "started"));
  });
});
