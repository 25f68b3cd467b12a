// A real redis-server for tests: the one .ci/run started (AUTOFIX_TEST_REDIS_URL), else a private one on a
// free loopback port for this test file. Missing redis-server is a failure with the fix, never a skip.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${seen}`));
    });
  });
}

/** `private: true` always starts an own server, for tests that stop it on purpose. */
export async function startTestRedis(options: { private?: boolean } = {}): Promise<TestRedis> {
  const shared = process.env.AUTOFIX_TEST_REDIS_URL;
  if (shared && !options.private) return { url: shared, stop: async () => {} };
  const found = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (found.error || found.status !== 0) {
    throw new Error(
      "redis-server is not installed, and the BullMQ driver's tests need a real one. " +
        "Install it (Debian/Ubuntu: `apt-get install -y redis-server`) or set AUTOFIX_TEST_REDIS_URL to a running server.",
    );
  }
  const port = await freePort();
  const child = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--loglevel", "notice"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  await waitForLine(child, /Ready to accept connections/, 10_000);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** A key prefix no other test uses, so queues on one shared Redis never see each other's jobs. */
export function uniquePrefix(label = "t"): string {
  return `autofix-test-${label}-${randomBytes(5).toString("hex")}`;
}
