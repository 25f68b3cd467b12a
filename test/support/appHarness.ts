// The whole app over real HTTP: Probot's server on a loopback port receiving signed webhooks,
// FakeGitHub (nock) standing in for the REST API, the loopback git server for git, a real SQLite
// job store and worker, and agents run through the real sandbox.
import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import { createServer } from "node:net";
import path from "node:path";
import { ProbotOctokit } from "probot";
import pino from "pino";
import { bootAutofix, type Booted } from "../../src/app/boot.js";
import type { JobRecord } from "../../src/jobs/types.js";
import { loadSettings } from "../../src/settings.js";
import { FakeGitHub, testPrivateKey } from "./githubApi.js";
import { extendFakeGitHub } from "./fakeGitHubExtras.js";
import { startGitServer, type GitServer } from "./gitServer.js";
import { buildRepo, tempDir, type BuiltRepo, type FileSpec } from "./repoBuilder.js";

export const installationId = 4242;
export const webhookSecret = "e2e-webhook-secret";
export const installationToken = "ghs_e2eInstallationToken0123456789";

export interface AppHarness {
  fake: FakeGitHub;
  git: GitServer;
  repo: BuiltRepo;
  booted: Booted;
  dataDir: string;
  logLines: string[];
  deliver(event: string, payload: object, opts?: { id?: string; secret?: string }): Promise<{ status: number; body: string }>;
  waitForJob(key: string, done?: (job: JobRecord) => boolean, timeoutMs?: number): Promise<JobRecord>;
  close(): Promise<void>;
}

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

/** A plain node:http POST: nock's fetch interceptor cannot pass a request body through to loopback. */
export function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

export function sign(body: string, secret = webhookSecret): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Probot's client without retries and throttling: tests must not wait 3 s between writes. */
export const TestOctokit = ProbotOctokit.defaults((o: any) => ({ ...o, retry: { enabled: false }, throttle: { ...o?.throttle, enabled: false } }));

export async function startAppHarness(opts: {
  files: Record<string, FileSpec | null>;
  /** .github/autofix.yml served through the contents API (Probot's config loader). */
  config?: string;
  env?: Record<string, string>;
  owner?: string;
  name?: string;
  /** The app's Octokit class (default TestOctokit: no retries, no pacing), e.g. one with retries on. */
  Octokit?: typeof ProbotOctokit;
  /** More passwords the git server accepts besides installationToken (tests minting other tokens). */
  gitPasswords?: string[];
  /** The app's slug GET /app answers (default autofix). */
  appSlug?: string;
}): Promise<AppHarness> {
  const owner = opts.owner ?? "octo-org";
  const name = opts.name ?? "widget";
  const gitRoot = tempDir("autofix-e2e-git-");
  const repo = buildRepo(gitRoot, name, opts.files);
  const git = await startGitServer({ root: gitRoot, passwords: [installationToken, ...(opts.gitPasswords ?? [])] });
  const fake = new FakeGitHub({ token: installationToken, appId: 1, appSlug: opts.appSlug ?? "autofix" });
  fake.addRepo(owner, name, { cloneUrl: git.repoUrl(name) });
  fake.setBranch(`${owner}/${name}`, "main", repo.head());
  extendFakeGitHub(fake, { owner, name, bare: repo.bare, config: () => opts.config });
  fake.start();

  const dataDir = tempDir("autofix-e2e-data-");
  const settings = loadSettings({
    APP_ID: "1",
    PRIVATE_KEY: testPrivateKey(),
    WEBHOOK_SECRET: webhookSecret,
    AUTOFIX_DATA_DIR: dataDir,
    AUTOFIX_LEASE_MS: "30000",
    AUTOFIX_CONCURRENCY: "2",
    AUTOFIX_MAX_FAILURES: "2",
    ...opts.env,
  });
  const logLines: string[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
  const port = await freePort();
  const booted = await bootAutofix({ settings, host: "127.0.0.1", port, log, Octokit: opts.Octokit ?? TestOctokit, startWorker: true });

  return {
    fake,
    git,
    repo,
    booted,
    dataDir,
    logLines,
    async deliver(event, payload, o = {}) {
      const body = JSON.stringify(payload);
      return post(`${booted.url}/api/github/webhooks`, body, {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": o.id ?? randomUUID(),
        "x-hub-signature-256": sign(body, o.secret),
      });
    },
    async waitForJob(key, done = (j) => ["succeeded", "failed", "cancelled"].includes(j.state), timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await booted.queue.latest(key);
        if (job && done(job)) return job;
        if (Date.now() > deadline) throw new Error(`job ${key} did not finish in ${timeoutMs} ms (last state ${job?.state}, step ${job?.progress.step})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await booted.stop(2_000);
      fake.stop();
      await git.close();
    },
  };
}

/** An `issues.labeled` payload shaped like GitHub's (from @octokit/webhooks-examples), for our repo. */
export function labeledPayload(input: {
  owner?: string;
  name?: string;
  issue: number;
  title: string;
  body?: string;
  label?: string;
  sender?: string;
  senderType?: string;
}) {
  const owner = input.owner ?? "octo-org";
  const name = input.name ?? "widget";
  return {
    action: "labeled",
    issue: {
      number: input.issue,
      title: input.title,
      body: input.body ?? "",
      state: "open",
      user: { login: "reporter", type: "User" },
      labels: [{ name: input.label ?? "autofix" }],
      html_url: `https://github.com/${owner}/${name}/issues/${input.issue}`,
    },
    label: { name: input.label ?? "autofix", color: "ededed" },
    repository: { name, full_name: `${owner}/${name}`, owner: { login: owner, type: "Organization" }, default_branch: "main", private: false },
    sender: { login: input.sender ?? "maintainer", type: input.senderType ?? "User", id: 4321 },
    installation: { id: installationId },
  };
}

export { path };

/** A job that will not run again on its own. */
export const jobFinished = (job: JobRecord): boolean => ["succeeded", "failed", "cancelled"].includes(job.state);

/** The bot's status comments on an issue (the one comment it keeps editing, when all is well). */
export function statusComments(harness: AppHarness, repo: string, issue: number): { body: string }[] {
  return harness.fake.commentsOn(repo, issue).filter((c) => c.body.includes("<!-- autofix:status:"));
}
