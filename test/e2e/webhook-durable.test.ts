// An accepted webhook is durable: `npm start` (dist/server.js) as a real process answers a signed label
// with 2xx, is SIGKILLed the moment that answer arrives, and the job is in the SQLite store afterwards.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobQueue } from "../../src/jobs/index.js";
import { FakeGitHub, testPrivateKey } from "../support/githubApi.js";
import { extendFakeGitHub } from "../support/fakeGitHubExtras.js";
import { startGitHubProxy, type GitHubProxy } from "../support/githubProxy.js";
import { cleanEnv, repoRoot } from "../support/cliRunner.js";
import { buildRepo, tempDir } from "../support/repoBuilder.js";
import { labeledPayload, post, sign, installationId } from "../support/appHarness.js";

const owner = "octo-org";
const name = "widget";
const full = `${owner}/${name}`;
const secret = "durable-webhook-secret";
let fake: FakeGitHub;
let proxy: GitHubProxy;

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
});

afterAll(async () => {
  await proxy?.close();
  fake?.stop();
  nock.cleanAll();
});

describe("an accepted webhook is durable", () => {
  it("the job answered with 2xx is in the store after the server is SIGKILLed at once", async () => {
    const dataDir = tempDir("autofix-durable-data-");
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(repoRoot, "dist", "server.js")], {
      cwd: repoRoot,
      env: cleanEnv({
        APP_ID: "1",
        PRIVATE_KEY: testPrivateKey(),
        WEBHOOK_SECRET: secret,
        AUTOFIX_DATA_DIR: dataDir,
        AUTOFIX_WORKER: "off",
        HOST: "127.0.0.1",
        PORT: String(port),
        ...proxy.env,
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<unknown>((resolve) => child.once("exit", resolve));
    try {
      const url = `http://127.0.0.1:${port}/api/github/webhooks`;
      const deadline = Date.now() + 30_000;
      // Bounded wait for the server to listen.
      for (;;) {
        const up = await post(`http://127.0.0.1:${port}/autofix/healthz`, "", {}).then(
          () => true,
          () => false,
        );
        if (up) break;
        if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const body = JSON.stringify({ ...labeledPayload({ issue: 5, title: "add() subtracts" }), installation: { id: installationId } });
      const answer = await post(url, body, {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": "durable-1",
        "x-hub-signature-256": sign(body, secret),
      });
      child.kill("SIGKILL");
      await exited;
      expect(answer.status, output).toBeGreaterThanOrEqual(200);
      expect(answer.status, output).toBeLessThan(300);

      const queue = await createJobQueue({ AUTOFIX_DATA_DIR: dataDir });
      try {
        const job = await queue.latest(`${full}#5`);
        expect(job?.state).toBe("queued");
        expect(job?.spec.deliveryId).toBe("durable-1");
        // The store commits with synchronous = FULL (2): a power loss cannot take an answered enqueue either.
        const db = (queue as unknown as { store: { db: { pragma(q: string, o: { simple: true }): unknown } } }).store.db;
        expect(db.pragma("synchronous", { simple: true })).toBe(2);
      } finally {
        await queue.close();
      }
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  }, 60_000);
});
