// Webhook acknowledgement: 200 concurrent signed `issues.labeled` deliveries to autofix's real server
// (bootAutofix, worker off, SQLite, GitHub answered by an in-process FakeGitHub) and to a bare Probot app
// doing nothing, interleaved round by round in one process. Standalone: `npx tsx bench/ack.ts`.
import { createHmac } from "node:crypto";
import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

export interface AckBenchResult {
  app: string;
  deliveries: number;
  rounds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** HTTP statuses seen, e.g. { 200: 1000 }. */
  statuses: Record<string, number>;
}

const DELIVERIES = Number(process.env.AUTOFIX_BENCH_ACK_DELIVERIES ?? 200);
const ROUNDS = Number(process.env.AUTOFIX_BENCH_ACK_ROUNDS ?? 5);
const secret = "bench-webhook-secret";
const owner = "octo-org";
const name = "widget";
const installationId = 4242;
/** `on`: keep GitHub's client-side write pacing (the product's default); the process then exits with writes pending. */
const PACING = process.env.AUTOFIX_BENCH_ACK_PACING === "on";

// nock (the FakeGitHub) needs this on Node 20; it must run before nock loads.
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
P.withResolvers ??= <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function payload(issue: number) {
  return {
    action: "labeled",
    issue: { number: issue, title: `bench issue ${issue}`, body: "Something is off.", state: "open", user: { login: "reporter", type: "User" }, labels: [{ name: "autofix" }] },
    label: { name: "autofix", color: "ededed" },
    repository: { name, full_name: `${owner}/${name}`, owner: { login: owner, type: "Organization" }, default_branch: "main", private: false },
    sender: { login: "maintainer", type: "User" },
    installation: { id: installationId },
  };
}

/**
 * One signed delivery over a raw socket, timed from connect to the end of the answer. A raw socket keeps
 * the load generator out of nock's request interception, which would add its own cost to both sides.
 */
function deliver(port: number, body: string, deliveryId: string): Promise<{ status: number; ms: number }> {
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  const head = [
    "POST /api/github/webhooks HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    "Content-Type: application/json",
    "X-GitHub-Event: issues",
    `X-GitHub-Delivery: ${deliveryId}`,
    `X-Hub-Signature-256: ${signature}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "",
    "",
  ].join("\r\n");
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (answer += d));
    socket.on("error", reject);
    socket.on("close", () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0), ms: performance.now() - started }));
    // Not end(): a request half-closed before its answer is dropped by node:http. The server closes after answering.
    socket.write(head + body);
  });
}

async function round(port: number, tag: string, firstIssue: number): Promise<{ status: number; ms: number }[]> {
  return Promise.all(Array.from({ length: DELIVERIES }, (_, i) => deliver(port, JSON.stringify(payload(firstIssue + i)), `${tag}-${firstIssue + i}`)));
}

function summarize(app: string, samples: { status: number; ms: number }[]): AckBenchResult {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const s of samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  const r1 = (n: number) => Math.round(n * 10) / 10;
  return { app, deliveries: DELIVERIES, rounds: ROUNDS, p50Ms: r1(percentile(sorted, 50)), p99Ms: r1(percentile(sorted, 99)), maxMs: r1(sorted.at(-1) ?? 0), statuses };
}

export async function run(): Promise<AckBenchResult[]> {
  const { default: nock } = await import("nock");
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  const { Probot, ProbotOctokit, Server } = await import("probot");
  const { default: pino } = await import("pino");
  const { bootAutofix } = await import("../src/app/boot.js");
  const { loadSettings } = await import("../src/settings.js");
  const { FakeGitHub, testPrivateKey } = await import("../test/support/githubApi.js");

  const full = `${owner}/${name}`;
  const fake = new FakeGitHub({ token: "ghs_benchInstallationToken0123456789", appId: 1, appSlug: "autofix" });
  fake.addRepo(owner, name);
  fake.setFile(full, ".github/autofix.yml", "agent:\n  preset: command\n  command: node tools/agent.mjs\n");
  fake.setPermission(full, "maintainer", "write");
  fake.start();

  const privateKey = testPrivateKey();
  const silent = pino({ level: "silent" });
  const barePort = await freePort();
  const bare = new Server({ host: "127.0.0.1", port: barePort, log: silent, Probot: Probot.defaults({ appId: 1, privateKey, secret, log: silent }) });
  await bare.load((app) => {
    app.on("issues.labeled", async () => {});
  });
  await bare.start();

  const dataDir = mkdtempSync(path.join(tmpdir(), "autofix-bench-ack-"));
  const settings = loadSettings({ APP_ID: "1", PRIVATE_KEY: privateKey, WEBHOOK_SECRET: secret, AUTOFIX_DATA_DIR: dataDir });
  // GitHub's client-side pacing (1 write/s and 3 s between comments, shared by the whole process) is off here:
  // with it on, every write a handler awaits queues 200 deliveries behind it (see docs/benchmarks.md).
  const Octokit = PACING ? ProbotOctokit : ProbotOctokit.defaults((o: any) => ({ ...o, throttle: { ...o?.throttle, enabled: false } }));
  const autofixPort = await freePort();
  const booted = await bootAutofix({ settings, host: "127.0.0.1", port: autofixPort, log: silent, Octokit, startWorker: false });

  // What the handler does after its answer (reaction, queued note) lands before the next round starts.
  const settle = async (expected: number) => {
    const landed = () => fake.reactions.length >= expected && fake.comments.length >= expected;
    for (let waited = 0; !PACING && !landed() && waited < 60_000; waited += 20) await new Promise((res) => setTimeout(res, 20));
  };
  const samples = { bare: [] as { status: number; ms: number }[], autofix: [] as { status: number; ms: number }[] };
  try {
    // One untimed round each warms the JIT, the installation token and the SQLite file.
    await round(barePort, "warm-bare", 1);
    await round(autofixPort, "warm-autofix", 1);
    await settle(DELIVERIES);
    for (let r = 1; r <= ROUNDS; r++) {
      const first = 1 + r * 10_000;
      samples.bare.push(...(await round(barePort, `bare-${r}`, first)));
      samples.autofix.push(...(await round(autofixPort, `autofix-${r}`, first)));
      await settle((r + 1) * DELIVERIES);
    }
  } finally {
    await booted.stop(1_000);
    await bare.stop();
    fake.stop();
    rmSync(dataDir, { recursive: true, force: true });
    // Other bench modules run next in this process (bench/run.ts): leave node's http and fetch unpatched.
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  }
  if (fake.unexpected.length) throw new Error(`FakeGitHub got requests it cannot answer: ${[...new Set(fake.unexpected)].join(", ")}`);
  return [summarize("bare Probot app (no-op handler)", samples.bare), summarize(`autofix (bootAutofix, worker off${PACING ? ", write pacing on" : ""})`, samples.autofix)];
}

export function toMarkdown(results: AckBenchResult[]): string {
  const [bare, autofix] = results;
  const lines = [
    "| app | deliveries × rounds | p50 ms | p99 ms | max ms | statuses |",
    "| --- | --- | --- | --- | --- | --- |",
    ...results.map((r) => `| ${r.app} | ${r.deliveries} × ${r.rounds} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${Object.entries(r.statuses).map(([s, n]) => `${s}: ${n}`).join(", ")} |`),
  ];
  if (bare && autofix) lines.push("", `p99 ratio autofix / bare: ${(autofix.p99Ms / bare.p99Ms).toFixed(2)}x (target ≤ 1.2x); p50 ratio: ${(autofix.p50Ms / bare.p50Ms).toFixed(2)}x`);
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const results = await run();
  console.log(toMarkdown(results));
  // With pacing on, acknowledgements still wait in the client's queue (one write a second): do not wait for them.
  process.exit(0);
}
