// One repository on a GitHub that product processes reach over loopback: the real bare repository behind
// the smart-HTTP git server, FakeGitHub (nock, in the test process) served on a real port through
// githubProxy (GHE_HOST/GHE_PROTOCOL), and the settings a server or worker process needs to act as the App.
import { randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import nock from "nock";
import { installationToken, labeledPayload, post, sign, webhookSecret } from "./appHarness.js";
import { FakeGitHub, testPrivateKey } from "./githubApi.js";
import { extendFakeGitHub } from "./fakeGitHubExtras.js";
import { startGitHubProxy, type GitHubProxy } from "./githubProxy.js";
import { startGitServer, type GitServer } from "./gitServer.js";
import { buildRepo, tempDir, type BuiltRepo, type FileSpec } from "./repoBuilder.js";

export interface LoopbackGitHub {
  owner: string;
  name: string;
  full: string;
  fake: FakeGitHub;
  git: GitServer;
  proxy: GitHubProxy;
  repo: BuiltRepo;
  /** APP_ID, PRIVATE_KEY_PATH (a fresh RSA key on disk), WEBHOOK_SECRET, GHE_HOST, GHE_PROTOCOL. */
  appEnv: Record<string, string>;
  /** A signed `issues.labeled` delivery to a running server, over real HTTP. */
  label(serverUrl: string, issue: { number: number; title: string; body?: string }, deliveryId?: string): Promise<{ status: number; body: string }>;
  /** The branch's sha in the bare repository, or undefined. */
  branchSha(branch: string): string | undefined;
  close(): Promise<void>;
}

export async function startLoopbackGitHub(opts: {
  files: Record<string, FileSpec | null>;
  config: string;
  owner?: string;
  name?: string;
  token?: string;
}): Promise<LoopbackGitHub> {
  const owner = opts.owner ?? "octo-org";
  const name = opts.name ?? "widget";
  const full = `${owner}/${name}`;
  const token = opts.token ?? installationToken;
  const root = tempDir("autofix-process-git-");
  const repo = buildRepo(root, name, opts.files);
  const git = await startGitServer({ root, passwords: [token] });
  const fake = new FakeGitHub({ token, appId: 1, appSlug: "autofix" });
  fake.addRepo(owner, name, { cloneUrl: git.repoUrl(name) });
  fake.setBranch(full, "main", repo.head());
  fake.setPermission(full, "maintainer", "write");
  extendFakeGitHub(fake, { owner, name, bare: repo.bare, config: () => opts.config });
  fake.start();
  const proxy = await startGitHubProxy(fake);
  const keyPath = path.join(tempDir("autofix-process-key-"), "app.private-key.pem");
  writeFileSync(keyPath, testPrivateKey(), { mode: 0o600 });
  return {
    owner,
    name,
    full,
    fake,
    git,
    proxy,
    repo,
    appEnv: { APP_ID: "1", PRIVATE_KEY_PATH: keyPath, WEBHOOK_SECRET: webhookSecret, ...proxy.env },
    label(serverUrl, issue, deliveryId = randomUUID()) {
      fake.addIssue(full, { ...issue, author: "reporter", labels: ["autofix"] });
      const body = JSON.stringify(labeledPayload({ owner, name, issue: issue.number, title: issue.title, body: issue.body }));
      return post(`${serverUrl}/api/github/webhooks`, body, {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": deliveryId,
        "x-hub-signature-256": sign(body),
      });
    },
    branchSha(branch) {
      try {
        return execFileSync("git", ["rev-parse", "--verify", "-q", `refs/heads/${branch}`], { cwd: repo.bare, encoding: "utf8" }).trim() || undefined;
      } catch {
        return undefined;
      }
    },
    async close() {
      await proxy.close();
      fake.stop();
      nock.cleanAll();
      await git.close();
    },
  };
}
