// Installation tokens as an organisation's security reviewer would check them: one per job, for the
// job's repository and the permissions a job uses, re-minted before expiry, and never written to a
// log line, a PR, a comment or a check run.
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { installationId, installationToken, labeledPayload, startAppHarness, webhookSecret, type AppHarness, jobFinished } from "../support/appHarness.js";
import { agentLlm, agentLlmEnv, judgeEnv, startFakeJudge } from "../support/fakeJudge.js";
import { scriptConversation } from "../fixtures/llm/scripted.js";
import { JobTokenSource, jobTokenPermissions, refreshMarginMs } from "../../src/app/tokens.js";
import type { OctokitLike } from "../../src/forge/octokitLike.js";

const full = "octo-org/widget";
const key = `${full}#7`;
const jobToken = (n: number) => `ghs_jobScopedToken${n}_abcdefghijklmnopqrstuvwxyz`;

const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module" }, null, 2),
  "src/math.js": "export const add = (a, b) => a - b;\n",
  "README.md": "# widget\n",
};

interface Mint {
  body: any;
  token: string;
}

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

/**
 * The harness with an access-token route that records each request body and hands out a distinct
 * token to every repository-scoped mint (`expiresInMs` chooses each one's lifetime).
 */
async function start(opts: { expiresInMs?: (mint: number) => number } = {}) {
  h = await startAppHarness({ files, config: "limits:\n  attempts: 1\n", env: { ...judgeEnv, ...agentLlmEnv }, gitPasswords: [1, 2, 3, 4].map(jobToken) });
  h.fake.addIssue(full, { number: 7, title: "add() subtracts", body: "`add(2, 3)` returns -1; it should return 5.", author: "reporter" });
  h.fake.setPermission(full, "maintainer", "write");
  const mints: Mint[] = [];
  const on = (h.fake as unknown as { on(m: string, p: RegExp, f: (m: RegExpMatchArray, body: any) => object): void }).on.bind(h.fake);
  on("POST", /^\/app\/installations\/(\d+)\/access_tokens$/, (_m, body) => {
    const scoped = Array.isArray(body?.repositories);
    const n = mints.filter((x) => x.body?.repositories).length + 1;
    const token = scoped ? jobToken(n) : installationToken;
    mints.push({ body, token });
    const expiresInMs = scoped ? (opts.expiresInMs?.(n) ?? 3_600_000) : 3_600_000;
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(Date.now() + expiresInMs).toISOString(),
        permissions: body?.permissions ?? {},
        repository_selection: scoped ? "selected" : "all",
      },
    };
  });
  // The job's first read of the repository: which token did it carry?
  const repoReads: string[] = [];
  (h.fake as unknown as { on(m: string, p: RegExp, f: (m: RegExpMatchArray, b: unknown, u: URL, headers: Headers) => object): void }).on(
    "GET",
    /^\/repos\/octo-org\/widget$/,
    (_m, _b, _u, headers) => (repoReads.push(headers.get("authorization") ?? ""), { status: 200, body: h!.fake.repos.get(full) }),
  );
  return { harness: h, mints, repoReads };
}

function scriptFix() {
  return scriptConversation(
    "openai",
    [
      { text: "add() subtracts.", calls: [{ name: "edit_file", arguments: { path: "src/math.js", old_text: "a - b", new_text: "a + b" } }] },
      { calls: [{ name: "finish", arguments: { summary: "add() now adds." } }] },
    ],
    agentLlm,
  );
}

const finished = jobFinished;

function gitPasswords(harness: AppHarness): string[] {
  // isomorphic-git asks without credentials first and sends them after the 401.
  return [...new Set(harness.git.requests.filter((r) => r.password !== undefined).map((r) => r.password!))];
}

describe("installation tokens", () => {
  it("a job acts with a token minted for its repository alone and the permissions a job uses, for the API and git alike", async () => {
    const { harness, mints, repoReads } = await start();
    startFakeJudge({});
    const { scope } = scriptFix();
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);
    scope.done();
    expect(job.outcome?.kind).toBe("pr-opened");

    const scoped = mints.filter((m) => m.body?.repositories);
    expect(scoped).toHaveLength(1);
    expect(scoped[0].body).toEqual({
      repositories: ["widget"],
      permissions: { contents: "write", pull_requests: "write", issues: "write", checks: "write", metadata: "read" },
    });
    expect(scoped[0].body.permissions).toEqual(jobTokenPermissions);
    expect(repoReads).toEqual([`token ${jobToken(1)}`]);
    // Fetch and push both carried the job's token, never the installation-wide one.
    expect(gitPasswords(harness)).toEqual([jobToken(1)]);
    expect(harness.git.requests.some((r) => r.service === "git-receive-pack")).toBe(true);
  });

  it("a token with less than ten minutes left is re-minted before the job's next request", async () => {
    const { harness, mints, repoReads } = await start({ expiresInMs: (n) => (n === 1 ? 2 * 60_000 : 3_600_000) });
    startFakeJudge({});
    const { scope } = scriptFix();
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);
    scope.done();
    expect(job.outcome?.kind).toBe("pr-opened");

    // The first token (2 minutes left) served the config read; the fresh one everything after.
    expect(mints.filter((m) => m.body?.repositories)).toHaveLength(2);
    expect(repoReads).toEqual([`token ${jobToken(2)}`]);
    expect(gitPasswords(harness)).toEqual([jobToken(2)]);
  });

  it("a long run keeps its token until ten minutes before expiry, then mints once more", async () => {
    const { harness, mints } = await start();
    const app = (await harness.booted.probot.auth()) as unknown as OctokitLike;
    let nowMs = Date.now();
    const log = { debug() {}, warn() {} };
    const tokens = new JobTokenSource(app, installationId, { owner: "octo-org", repo: "widget" }, log, () => nowMs);
    expect(await tokens.token()).toBe(jobToken(1));
    nowMs += 3_600_000 - refreshMarginMs - 60_000; // 11 minutes left
    expect(await tokens.token()).toBe(jobToken(1));
    nowMs += 2 * 60_000; // 9 minutes left
    expect(await Promise.all([tokens.token(), tokens.token(), tokens.token()])).toEqual([jobToken(2), jobToken(2), jobToken(2)]);
    expect(tokens.minted).toBe(2);
    expect(mints.map((m) => m.body?.repositories)).toEqual([["widget"], ["widget"]]);
  });

  it("an installation that did not grant one of the permissions still gets a token for the one repository", async () => {
    const { harness, mints } = await start();
    const on = (harness.fake as unknown as { on(m: string, p: RegExp, f: (m: RegExpMatchArray, body: any) => object): void }).on.bind(harness.fake);
    const asked: any[] = [];
    on("POST", /^\/app\/installations\/(\d+)\/access_tokens$/, (_m, body) => {
      asked.push(body);
      if (body?.permissions) return { status: 422, body: { message: "The permissions requested are not granted to this installation." } };
      return { status: 201, body: { token: jobToken(3), expires_at: new Date(Date.now() + 3_600_000).toISOString() } };
    });
    const app = (await harness.booted.probot.auth()) as unknown as OctokitLike;
    const warnings: string[] = [];
    const tokens = new JobTokenSource(app, installationId, { owner: "octo-org", repo: "widget" }, { debug() {}, warn: (_o, m) => void warnings.push(m) });
    expect(await tokens.token()).toBe(jobToken(3));
    expect(asked).toEqual([{ repositories: ["widget"], permissions: jobTokenPermissions }, { repositories: ["widget"] }]);
    expect(warnings.join("\n")).toContain("lacks a permission");
    expect(mints).toEqual([]);
  });
});

describe("secrets stay out of what autofix writes", () => {
  it("a full job at debug level logs no token, private key, webhook secret, JWT or LLM key, and puts none in its PR, comments or checks", async () => {
    const { harness } = await start();
    startFakeJudge({ semantic: { verdict: "yes", questions: ["Is subtraction used anywhere on purpose?"] } });
    const { scope } = scriptFix();
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
    const job = await harness.waitForJob(key, finished);
    scope.done();
    expect(job.outcome?.kind).toBe("pr-opened");

    const settings = harness.booted.runtime.settings;
    const privateKey = settings.PRIVATE_KEY!;
    const keyLines = privateKey.split("\n").filter((l) => l && !l.startsWith("-----"));
    const secrets = [installationToken, jobToken(1), webhookSecret, agentLlmEnv.AUTOFIX_LLM_API_KEY, judgeEnv.AUTOFIX_JUDGE_API_KEY, ...keyLines];
    const written = [
      ...harness.logLines,
      ...harness.fake.pulls.map((p) => `${p.title}\n${p.body}`),
      ...harness.fake.comments.map((c) => c.body),
      ...harness.fake.checkRuns.map((c) => JSON.stringify(c.output ?? {})),
      ...harness.fake.reviews.map((r) => JSON.stringify(r)),
    ];
    // The log is real: debug lines of GitHub requests are there to be scanned.
    expect(harness.logLines.length).toBeGreaterThan(20);
    expect(harness.logLines.some((l) => l.includes("access_tokens - 201") && l.includes('"repositories":["widget"]'))).toBe(true);
    expect(harness.logLines.some((l) => l.includes("minted a job installation token"))).toBe(true);
    for (const secret of secrets) {
      const leaks = written.filter((text) => text.includes(secret));
      expect(leaks, `${secret.slice(0, 12)}… appears in what autofix wrote`).toEqual([]);
    }
    expect(written.filter((t) => /PRIVATE KEY|eyJ[\w-]{8,}\.eyJ[\w-]{8,}/.test(t))).toEqual([]);
  });
});
