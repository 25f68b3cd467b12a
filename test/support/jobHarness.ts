// Shared helpers for job-queue tests: one definition per driver (so every behaviour is checked against
// SQLite and BullMQ alike), bounded waiting, and job specs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { createJobQueue, type JobLog } from "../../src/jobs/index.js";
import type { JobQueue, JobSpec, WorkerOptions } from "../../src/jobs/types.js";
import { startTestRedis, uniquePrefix, type TestRedis } from "./redis.js";

export type DriverName = "sqlite" | "bullmq";

/** Where a driver keeps its state: enough for another process to open the same queue. */
export interface QueueLocation {
  driver: DriverName;
  dataDir: string;
  redisUrl?: string;
  redisPrefix?: string;
  /** BullMQ only: stalls (dead workers) tolerated per job before BullMQ fails it. */
  maxStalledCount?: number;
}

export async function openQueue(location: QueueLocation, log?: JobLog): Promise<JobQueue> {
  if (location.driver === "bullmq" && location.maxStalledCount !== undefined) {
    const { BullJobQueue } = await import("../../src/jobs/bullmq/queue.js");
    return BullJobQueue.connect(location.redisUrl ?? "", {
      log,
      prefix: location.redisPrefix,
      dataDir: location.dataDir,
      worker: { maxStalledCount: location.maxStalledCount },
    });
  }
  return createJobQueue(
    { AUTOFIX_DATA_DIR: location.dataDir, REDIS_URL: location.driver === "bullmq" ? location.redisUrl : undefined },
    { redisPrefix: location.redisPrefix, log },
  );
}

/** Starts (once per test file) what a driver needs, and hands out a fresh location per test. */
export class DriverFixture {
  private redis?: TestRedis;
  private readonly dirs: string[] = [];
  private readonly queues: JobQueue[] = [];

  constructor(readonly driver: DriverName) {}

  async setup(): Promise<void> {
    if (this.driver === "bullmq") this.redis = await startTestRedis();
  }

  private readonly prefixes: string[] = [];

  location(): QueueLocation {
    const dataDir = mkdtempSync(path.join(tmpdir(), "autofix-jobs-"));
    this.dirs.push(dataDir);
    const redisPrefix = uniquePrefix(this.driver);
    this.prefixes.push(redisPrefix);
    return { driver: this.driver, dataDir, redisUrl: this.redis?.url, redisPrefix };
  }

  /** A shared Redis (AUTOFIX_TEST_REDIS_URL) outlives the test file: leave it as found. */
  private async dropKeys(): Promise<void> {
    if (!this.redis) return;
    const client = new Redis(this.redis.url, { maxRetriesPerRequest: 1 });
    try {
      for (const prefix of this.prefixes.splice(0)) {
        let cursor = "0";
        // Bounded: SCAN walks the keyspace once per prefix.
        do {
          const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
          if (keys.length > 0) await client.del(...keys);
          cursor = next;
        } while (cursor !== "0");
      }
    } finally {
      client.disconnect();
    }
  }

  /** A queue at `location` that is closed when the fixture is torn down. */
  async open(location: QueueLocation): Promise<JobQueue> {
    const queue = await openQueue(location);
    this.queues.push(queue);
    return queue;
  }

  async closeQueues(): Promise<void> {
    const queues = this.queues.splice(0);
    await Promise.all(queues.map((q) => q.close().catch(() => {})));
  }

  async teardown(): Promise<void> {
    await this.closeQueues();
    await this.dropKeys();
    await this.redis?.stop();
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** Polls `check` until it returns a truthy value; bounded by timeoutMs. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

export function issueSpec(issueNumber: number, overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    repo: { owner: "octo", repo: "widgets" },
    issueNumber,
    installationId: 1,
    trigger: "label",
    requestedBy: "maintainer",
    ...overrides,
  };
}

/** Worker options scaled for tests: short leases, fast polling, millisecond backoff. */
export function testWorkerOptions(handler: WorkerOptions["handler"], overrides: Partial<WorkerOptions> = {}): WorkerOptions {
  return {
    handler,
    concurrency: 4,
    perInstallation: 4,
    leaseMs: 1_500,
    maxFailures: 3,
    pollIntervalMs: 50,
    retryBackoffMs: { baseMs: 100, maxMs: 400 },
    ...overrides,
  };
}

/** A promise with its resolver, for handlers that wait until the test lets them finish. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

export function abortable(signal: AbortSignal, ms = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export interface WorkerProcess {
  pid: number;
  /** Resolves with the exit code (or the signal name) once the process ended. */
  exited: Promise<number | string>;
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
}

/** Starts test/support/jobWorkerProcess.ts in a child process; resolves once it is claiming jobs. */
export async function startWorkerProcess(config: import("./jobWorkerProcess.js").WorkerProcessConfig): Promise<WorkerProcess> {
  const { spawn } = await import("node:child_process");
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "jobWorkerProcess.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, AUTOFIX_TEST_WORKER: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process did not start within 30 s:\n${stderr}`)), 30_000);
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited (${code}) before it was ready:\n${stderr}`));
    });
  });
  return {
    pid: child.pid ?? -1,
    exited,
    stderr: () => stderr,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Damages a stored job the way a bad restore or a hand edit would: its steps stop being JSON. */
export async function corruptStoredSteps(queue: JobQueue, jobId: string): Promise<void> {
  const inner = queue as unknown as {
    store: {
      db?: { prepare(sql: string): { run(...a: unknown[]): unknown } };
      redis?: { hset(k: string, f: string, v: string): Promise<unknown> };
      prefix?: string;
    };
  };
  if (queue.driver === "sqlite" && inner.store.db) {
    inner.store.db.prepare("UPDATE jobs SET steps = '{not json' WHERE id = ?").run(jobId);
  } else if (queue.driver === "bullmq" && inner.store.redis) {
    await inner.store.redis.hset(`${inner.store.prefix}:job:${jobId}`, "steps", "{not json");
  } else {
    throw new Error(`cannot corrupt a job of driver ${queue.driver}`);
  }
}
