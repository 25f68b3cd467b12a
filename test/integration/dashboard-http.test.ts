// The dashboard over HTTP, served by Probot's server from a real SQLite job store with a real worker:
// who gets in, what a job's page shows, and that hostile job text stays text.
import { rmSync } from "node:fs";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobQueue } from "../../src/jobs/index.js";
import type { JobQueue, JobRecord, JobSpec, Worker } from "../../src/jobs/types.js";
import { dashboardStartupMessage } from "../../src/observability/index.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { loadSettings, type Settings } from "../../src/settings.js";
import { tempDir } from "../support/repoBuilder.js";
import { agentOutput, gateResults, scriptedHandler, startDashboardServer, waitUntil, type DashboardServer, type ScriptedRun } from "../support/browser.js";

const token = "test-dashboard-token-0123456789";
const hostile = "<script>alert(1)</script>";

function spec(issueNumber: number, extra: Partial<JobSpec> = {}): JobSpec {
  return {
    repo: { owner: "acme", repo: "private-widgets" },
    issueNumber,
    trigger: "label",
    requestedBy: "maintainer-mia",
    issueTitle: `Greeting is wrong (${issueNumber})`,
    ...extra,
  };
}

/** POSTs a form with node:http: nock's fetch interceptor refuses a manual-redirect fetch with a body. */
function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; setCookie?: string; body: string }> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, setCookie: res.headers["set-cookie"]?.join("\n"), body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

const runs: Record<number, ScriptedRun> = {
  1: {
    steps: [
      { name: "spawn", output: { baseSha: "a".repeat(40) } },
      { name: "agent-1", output: agentOutput(`done </pre><img src=x onerror=alert(2)> ${hostile}`) },
      { name: "gates-1", output: { results: gateResults("pass") } },
      { name: "publish", output: { prUrl: "https://github.com/acme/private-widgets/pull/41", prNumber: 41 } },
    ],
    outcome: { kind: "pr-opened", message: "Opened PR #41.", prUrl: "https://github.com/acme/private-widgets/pull/41", prNumber: 41 },
    progress: { tokens: 9_000, costUsd: 0.08 },
  },
  2: {
    steps: [
      { name: "spawn", output: {} },
      { name: "agent-1", output: { agent: "not an agent run" } },
      { name: "gates-1", output: { results: [{ gate: "deterministic", status: "maybe" }] } },
      { name: "publish", output: { prUrl: "javascript:alert(3)", prNumber: "x" } },
    ],
    outcome: { kind: "pr-opened", message: "Opened.", prUrl: "javascript:alert(3)" },
  },
};

describe("dashboard over HTTP", () => {
  let dataDir: string;
  let settings: Settings;
  let queue: JobQueue;
  let worker: Worker;
  let server: DashboardServer;
  const finished: JobRecord[] = [];

  const get = (path: string, headers: Record<string, string> = {}) => fetch(server.url + path, { headers, redirect: "manual" });
  const bearer = { authorization: `Bearer ${token}` };

  beforeAll(async () => {
    dataDir = tempDir("autofix-dashboard-");
    settings = loadSettings({
      AUTOFIX_DATA_DIR: dataDir,
      AUTOFIX_DASHBOARD_TOKEN: token,
      AUTOFIX_DASHBOARD_USER: "ops",
      AUTOFIX_DASHBOARD_PASSWORD: "correct horse",
    });
    queue = await createJobQueue(settings);
    server = await startDashboardServer({ queue, settings, metrics: createMetrics() });
    worker = queue.startWorker({
      handler: scriptedHandler((s) => runs[s.issueNumber] ?? runs[1]!),
      concurrency: 2,
      perInstallation: 2,
      leaseMs: 10_000,
      maxFailures: 1,
    });
    const specs = [spec(1, { issueTitle: hostile }), spec(2)];
    for (const s of specs) {
      const { job } = await queue.enqueue(s);
      finished.push(
        await waitUntil(`job for issue ${s.issueNumber} to finish`, async () => {
          const j = await queue.get(job.id);
          return j && j.state !== "queued" && j.state !== "running" ? j : undefined;
        }),
      );
    }
  });

  afterAll(async () => {
    await worker?.stop(1_000);
    await server?.stop();
    await queue?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses a visitor without credentials and shows no repository name", async () => {
    const res = await get("/autofix");
    expect(res.status).toBe(401);
    const body = await res.text();
    expect(body).toContain("Sign in");
    expect(body).not.toContain("private-widgets");
    const jobPage = await get(`/autofix/jobs/${finished[0]!.id}`);
    expect(jobPage.status).toBe(401);
    expect(await jobPage.text()).not.toContain("private-widgets");
  });

  it("lets in the bearer token and basic auth, and refuses a wrong token or password", async () => {
    expect((await get("/autofix", bearer)).status).toBe(200);
    const basic = `Basic ${Buffer.from("ops:correct horse").toString("base64")}`;
    expect((await get("/autofix", { authorization: basic })).status).toBe(200);
    expect((await get("/autofix", { authorization: `Bearer ${token}x` })).status).toBe(401);
    const wrong = `Basic ${Buffer.from("ops:wrong horse").toString("base64")}`;
    expect((await get("/autofix", { authorization: wrong })).status).toBe(401);
  });

  it("signs in through the form with an HttpOnly SameSite=Strict cookie that does not hold the token", async () => {
    const refused = await postForm(`${server.url}/autofix/login`, { token: "not-the-token-at-all" });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain("Those credentials are not right");
    expect(refused.setCookie).toBeUndefined();

    const res = await postForm(`${server.url}/autofix/login`, { token });
    expect(res.status).toBe(303);
    const cookie = res.setCookie ?? "";
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(token);
    const session = cookie.split(";")[0]!;
    const page = await get("/autofix", { cookie: session });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("private-widgets");
    expect((await get("/autofix", { cookie: "autofix_session=forged" })).status).toBe(401);
  });

  it("returns to the page asked for after signing in, and never redirects off the dashboard", async () => {
    const jobPath = `/autofix/jobs/${finished[0]!.id}`;
    const form = await (await get(jobPath)).text();
    expect(form).toContain(`name="next" value="${jobPath}"`);
    const back = await postForm(`${server.url}/autofix/login`, { token, next: jobPath });
    expect(back.status).toBe(303);
    const location = async (next: string) =>
      new Promise<string | undefined>((resolve, reject) => {
        const req = request(`${server.url}/autofix/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } }, (res) => {
          res.resume();
          resolve(res.headers.location);
        });
        req.on("error", reject);
        req.end(new URLSearchParams({ token, next }).toString());
      });
    expect(await location(jobPath)).toBe(jobPath);
    for (const hostile of ["https://evil.example/", "//evil.example/autofix", "/autofix/../../evil", "/autofix/%2e%2E/evil", "/autofixed", "/autofix/login"]) {
      expect(await location(hostile)).toBe("/autofix");
    }
  });

  it("signs in with user and password through the form too", async () => {
    const res = await postForm(`${server.url}/autofix/login`, { user: "ops", password: "correct horse" });
    expect(res.status).toBe(303);
    expect((await get("/autofix", { cookie: res.setCookie!.split(";")[0]! })).status).toBe(200);
    const wrong = await postForm(`${server.url}/autofix/login`, { user: "ops", password: "correct horsE" });
    expect(wrong.status).toBe(401);
  });

  it("refuses a sign-in form posted from another site", async () => {
    const res = await postForm(`${server.url}/autofix/login`, { token }, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(res.setCookie).toBeUndefined();
  });

  it("lists finished jobs with repository, issue link, requester, gate results, tokens, cost and PR link", async () => {
    const body = await (await get("/autofix", bearer)).text();
    expect(body).toContain('href="https://github.com/acme/private-widgets/issues/1"');
    expect(body).toContain("maintainer-mia");
    expect(body).toContain("deterministic: pass");
    expect(body).toContain("semantic: pass");
    expect(body).toContain("review: pass");
    expect(body).toContain("9000 / $0.0800");
    expect(body).toContain('href="https://github.com/acme/private-widgets/pull/41"');
    expect(body).toMatch(/agent-1 \d/);
  });

  it("renders a hostile issue title and agent output as text, never as markup", async () => {
    const list = await (await get("/autofix", bearer)).text();
    expect(list).not.toContain(hostile);
    expect(list).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    const res = await get(`/autofix/jobs/${finished[0]!.id}`, bearer);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const page = await res.text();
    expect(page).not.toContain(hostile);
    expect(page).not.toContain("<img src=x");
    expect(page).toContain("&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;");
  });

  it("shows a job's steps, gate reports with commands and findings, and the agent's output tail", async () => {
    const page = await (await get(`/autofix/jobs/${finished[0]!.id}`, bearer)).text();
    for (const step of ["spawn", "agent-1", "gates-1", "publish"]) expect(page).toContain(`<td data-label="Step">${step}</td>`);
    expect(page).toContain("2 checks green on the delta; nothing regressed");
    expect(page).toContain("<code>npm test</code>");
    expect(page).toContain("# pass 12");
    expect(page).toContain("Prefer a template literal.");
    expect(page).toContain('class="output-tail"');
    expect(page).not.toContain('http-equiv="refresh"');
  });

  it("shows step outputs of an unexpected shape as unavailable and links no javascript: URL", async () => {
    const res = await get(`/autofix/jobs/${finished[1]!.id}`, bearer);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page.match(/badge unavailable">unavailable/g)?.length).toBe(3);
    expect(page).not.toContain('href="javascript:');
    const list = await (await get("/autofix", bearer)).text();
    expect(list).toContain("gates: unavailable");
    expect(list).not.toContain('href="javascript:');
  });

  it("only reads: a POST to a page answers 405, HEAD answers like GET without a body", async () => {
    const post = await postForm(`${server.url}/autofix`, {}, bearer);
    expect(post.status).toBe(405);
    const head = await fetch(`${server.url}/autofix`, { method: "HEAD", headers: bearer });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("answers 404 for a job id the store does not know", async () => {
    expect((await get("/autofix/jobs/no-such-job", bearer)).status).toBe(404);
    expect((await get("/autofix/jobs/%3Cscript%3E", bearer)).status).toBe(404);
  });

  it("answers the health check without credentials while the job store answers", async () => {
    const res = await get("/autofix/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", queue: "sqlite" });
  });

  it("leaves Probot's other routes alone", async () => {
    expect((await get("/ping")).status).toBe(200);
    expect((await get("/somewhere-else")).status).toBe(404);
  });
});

describe("dashboard without credentials configured", () => {
  it("is off with a message naming the variables, while the health check still answers", async () => {
    const dataDir = tempDir("autofix-dashboard-off-");
    const settings = loadSettings({ AUTOFIX_DATA_DIR: dataDir, AUTOFIX_DASHBOARD_USER: "ops" });
    const queue = await createJobQueue(settings);
    const server = await startDashboardServer({ queue, settings, metrics: createMetrics() });
    try {
      const res = await fetch(`${server.url}/autofix`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("AUTOFIX_DASHBOARD_USER is set but AUTOFIX_DASHBOARD_PASSWORD is not");
      expect(dashboardStartupMessage(settings)).toMatch(/Dashboard is off: AUTOFIX_DASHBOARD_USER is set but AUTOFIX_DASHBOARD_PASSWORD is not/);
      expect(dashboardStartupMessage(loadSettings({}))).toContain("Set AUTOFIX_DASHBOARD_TOKEN (16 characters or more)");
      expect(dashboardStartupMessage(loadSettings({ AUTOFIX_DASHBOARD_TOKEN: token }))).toContain("Dashboard is on at /autofix");
      expect((await fetch(`${server.url}/autofix/healthz`)).status).toBe(200);
      await queue.close();
      const down = await fetch(`${server.url}/autofix/healthz`);
      expect(down.status).toBe(503);
      const body = (await down.json()) as { status: string; reason: string };
      expect(body.status).toBe("unavailable");
      expect(body.reason.length).toBeGreaterThan(0);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
