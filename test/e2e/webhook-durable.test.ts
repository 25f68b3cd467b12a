// An accepted webhook is durable: `npm start` (dist/server.js) as a real process answers a signed label with
// 2xx and is SIGKILLed while it decides (GitHub's config read held open); the delivery is in the SQLite inbox,
// and the next process started on the same data directory decides it: the job is enqueued once.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobQueue } from "../../src/jobs/index.js";
import { FakeGitHub, testPrivateKey } from "../support/githubApi.js";
import { extendFakeGitHub } from "../support/fakeGitHubExtras.js";
import { startGitHubProxy, type GitHubProxy } from "../support/githubProxy.js";
import { startDelayFront, type DelayFront } from "../support/delayFront.js";
import { cleanEnv, repoRoot } from "../support/cliRunner.js";
import { buildRepo, tempDir } from "../support/repoBuilder.js";
import { labeledPayload, post, sign, installationId } from "../support/appHarness.js";

const owner = "octo-org";
const name = "widget";
const full = `${owner}/${name}`;
const secret = "durable-webhook-secret";
let fake: FakeGitHub;
let proxy: GitHubProxy;
let front: DelayFront;
/** While set, config reads through the front wait here (the first process dies with its read held). */
let configHeld: Promise<void> | undefined;
let configReads = 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

beforeAll(async () => {
  const repo = buildRepo(tempDir("autofix-durable-git-"), name, { "README.md": "# widget\n" });
  fake = new FakeGitHub({ token: "ghs_durableToken0123456789", appId: 1, appSlug: "autofix" });
  fake.addRepo(owner, name, { cloneUrl: "http://127.0.0.1:9/unused.git" });
  fake.setBranch(full, "main", repo.head());
  fake.setPermission(full, "maintainer", "write");
  extendFakeGitHub(fake, { owner, name, bare: repo.bare, config: () => "label: autofix\n" });
  fake.addIssue(full, { number: 5, title: "add() subtracts", author: "reporter", labels: ["autofix"] });
  fake.start();
  proxy = await startGitHubProxy(fake);
  front = await startDelayFront(`http://${proxy.env.GHE_HOST}`, (req) => {
    if (!req.url.includes("autofix.yml")) return undefined;
    configReads++;
    return configHeld ? { until: configHeld } : undefined;
  });
});

afterAll(async () => {
  await front?.close();
  await proxy?.close();
  fake?.stop();
  nock.cleanAll();
});

interface Server {
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<unknown>;
}

/** `npm start`'s entry as a child process on a free port, its GitHub behind the delay front; resolves once it listens. */
async function startServer(dataDir: string, port: number): Promise<Server> {
  const child = spawn(process.execPath, [path.join(repoRoot, "dist", "server.js")], {
    cwd: repoRoot,
    env: cleanEnv({
      APP_ID: "1",
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: secret,
      AUTOFIX_DATA_DIR: dataDir,
      AUTOFIX_WORKER: "off",
      // A dead process's deliveries are taken over after this lease (and at the next process's start).
      AUTOFIX_INBOX_LEASE_MS: "500",
      HOST: "127.0.0.1",
      PORT: String(port),
      GHE_HOST: front.host,
      GHE_PROTOCOL: "http",
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<unknown>((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 30_000;
  // Bounded wait for the server to listen.
  for (;;) {
    const up = await post(`http://127.0.0.1:${port}/autofix/healthz`, "", {}).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}`, child, output: () => output, exited };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("an accepted webhook is durable", () => {
  it("a label answered with 2xx by a process killed while deciding it is decided by the next process: one job", async () => {
    const dataDir = tempDir("autofix-durable-data-");
    let releaseConfig!: () => void;
    configHeld = new Promise<void>((r) => (releaseConfig = r));
    const first = await startServer(dataDir, await freePort());
    let second: Server | undefined;
    try {
      const body = JSON.stringify({ ...labeledPayload({ issue: 5, title: "add() subtracts" }), installation: { id: installationId } });
      const answer = await post(`${first.url}/api/github/webhooks`, body, {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": "durable-1",
        "x-hub-signature-256": sign(body, secret),
      });
      expect(answer.status, first.output()).toBeGreaterThanOrEqual(200);
      expect(answer.status, first.output()).toBeLessThan(300);
      // Killed mid-decision: its config read has begun and is held.
      await until("the first process to read the config", () => configReads > 0);
      first.child.kill("SIGKILL");
      await first.exited;
      configHeld = undefined;
      releaseConfig();

      const queue = await createJobQueue({ AUTOFIX_DATA_DIR: dataDir });
      try {
        // Answered means recorded: the delivery is in the inbox, undecided.
        expect(await queue.latest(`${full}#5`)).toBeUndefined();
        expect((await queue.inbox!.pending()).count).toBe(1);
        // The store commits with synchronous = FULL (2): a power loss cannot take an answered delivery either.
        const db = (queue as unknown as { store: { db: { pragma(q: string, o: { simple: true }): unknown } } }).store.db;
        expect(db.pragma("synchronous", { simple: true })).toBe(2);

        second = await startServer(dataDir, await freePort());
        const job = await until("the next process to decide the delivery", () => queue.latest(`${full}#5`));
        expect(job.state).toBe("queued");
        expect(job.spec.deliveryId).toBe("durable-1");
        await until("the inbox to empty", async () => ((await queue.inbox!.pending()).count === 0 ? true : undefined));
        expect((await queue.list({ limit: 10 })).filter((j) => j.key === `${full}#5`)).toHaveLength(1);
        expect(second.output()).toContain("deciding a webhook delivery left undecided");
      } finally {
        await queue.close();
      }
    } finally {
      releaseConfig();
      first.child.kill("SIGKILL");
      second?.child.kill("SIGKILL");
      await Promise.all([first.exited, second?.exited]);
    }
  }, 90_000);
});
