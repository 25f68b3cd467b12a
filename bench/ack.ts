// Webhook acknowledgement under a burst: 200 concurrent signed `issues.labeled` deliveries to autofix's real
// server (bootAutofix, worker off, SQLite, GitHub answered by an in-process FakeGitHub) and to a bare Probot app
// doing nothing, interleaved round by round in one process. A third of the deliveries start a job; two thirds
// are refused (the sender lacks permission, a bot, an invalid config, a paused issue), each refused issue
// delivered twice (a redelivery). With GitHub's client-side write pacing on (the product's default), the bench
// also times how long until every explanation is on its issue, and checks each is there exactly once.
// Standalone: `npx tsx bench/ack.ts`.
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
  /** p99 of each round, in order. */
  roundP99Ms: number[];
  /** HTTP statuses seen, e.g. { 200: 1000 }. */
  statuses: Record<string, number>;
  /** autofix only: per round, seconds from the round's first delivery until its last explanation was posted. */
  explainedWithinS?: number[];
  /** autofix only: explanations expected and posted per round, and issues explained more than once. */
  explanations?: { expected: number; posted: number; duplicates: number }[];
}

const DELIVERIES = Number(process.env.AUTOFIX_BENCH_ACK_DELIVERIES ?? 200);
const ROUNDS = Number(process.env.AUTOFIX_BENCH_ACK_ROUNDS ?? 3);
/** Deliveries are spread over this many installations (one repository with a valid config and one without each). */
const INSTALLATIONS = Number(process.env.AUTOFIX_BENCH_ACK_INSTALLATIONS ?? 20);
const secret = "bench-webhook-secret";
const owner = "octo-org";
/** `off`: drop GitHub's client-side write pacing (1 write/s, 3 s between comments per installation). */
const PACING = process.env.AUTOFIX_BENCH_ACK_PACING !== "off";

/** What each delivery is: a third start a job, the rest are refused for one of four reasons. */
type Kind = "enqueue" | "permission" | "bot" | "invalid-config" | "paused";
const KINDS: Kind[] = ["enqueue", "enqueue", "permission", "bot", "invalid-config", "paused"];
const EXPLAINED: Partial<Record<Kind, string>> = {
  permission: "it needs someone with at least **write** permission",
  "invalid-config": "`.github/autofix.yml` is invalid",
  paused: "autofix is paused for this issue",
};

interface Delivery {
  kind: Kind;
  repo: string;
  issue: number;
  installation: number;
}

/** Delivery i of a round: refused issues get two deliveries each (i and i + 6 of a block of 12). */
function plan(firstIssue: number): Delivery[] {
  return Array.from({ length: DELIVERIES }, (_, i) => {
    const kind = KINDS[i % KINDS.length];
    const block = Math.floor(i / 12);
    const installation = 1 + (block % INSTALLATIONS);
    const repo = kind === "invalid-config" ? `broken-${installation}` : `widget-${installation}`;
    const issue = kind === "enqueue" ? firstIssue + i : firstIssue + 1_000 + block * 6 + (i % 6);
    return { kind, repo, issue, installation };
  });
}

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

function payload(d: Delivery) {
  const labels = [{ name: "autofix" }, ...(d.kind === "paused" ? [{ name: "autofix: paused" }] : [])];
  const sender =
    d.kind === "permission"
      ? { login: "visitor", type: "User" }
      : d.kind === "bot"
        ? { login: "renovate[bot]", type: "Bot" }
        : { login: "maintainer", type: "User" };
  return {
    action: "labeled",
    issue: { number: d.issue, title: `bench issue ${d.issue}`, body: "Something is off.", state: "open", user: { login: "reporter", type: "User" }, labels },
    label: { name: "autofix", color: "ededed" },
    repository: { name: d.repo, full_name: `${owner}/${d.repo}`, owner: { login: owner, type: "Organization" }, default_branch: "main", private: false },
    sender,
    installation: { id: d.installation },
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

type Sample = { status: number; ms: number };

async function round(port: number, tag: string, deliveries: Delivery[]): Promise<Sample[]> {
  return Promise.all(deliveries.map((d, i) => deliver(port, JSON.stringify(payload(d)), `${tag}-${i}`)));
}

const r1 = (n: number) => Math.round(n * 10) / 10;

function summarize(app: string, rounds: Sample[][]): AckBenchResult {
  const samples = rounds.flat();
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const s of samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  const roundP99Ms = rounds.map((r) =>
    r1(
      percentile(
        r.map((s) => s.ms).sort((a, b) => a - b),
        99,
      ),
    ),
  );
  return {
    app,
    deliveries: DELIVERIES,
    rounds: rounds.length,
    p50Ms: r1(percentile(sorted, 50)),
    p99Ms: r1(percentile(sorted, 99)),
    maxMs: r1(sorted.at(-1) ?? 0),
    roundP99Ms,
    statuses,
  };
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

  const fake = new FakeGitHub({ token: "ghs_benchInstallationToken0123456789", appId: 1, appSlug: "autofix" });
  for (let i = 1; i <= INSTALLATIONS; i++) {
    fake.addRepo(owner, `widget-${i}`);
    fake.setFile(`${owner}/widget-${i}`, ".github/autofix.yml", "agent:\n  preset: command\n  command: node tools/agent.mjs\n");
    fake.setPermission(`${owner}/widget-${i}`, "maintainer", "write");
    fake.setPermission(`${owner}/widget-${i}`, "visitor", "read");
    fake.addRepo(owner, `broken-${i}`);
    fake.setFile(`${owner}/broken-${i}`, ".github/autofix.yml", "limits:\n  attempts: many\n");
  }
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
  const Octokit = PACING ? ProbotOctokit : ProbotOctokit.defaults((o: any) => ({ ...o, throttle: { ...o?.throttle, enabled: false } }));
  const autofixPort = await freePort();
  const booted = await bootAutofix({ settings, host: "127.0.0.1", port: autofixPort, log: silent, Octokit, startWorker: false });

  /** Waits (bounded) until every explanation of a round is posted; counts what was posted per issue. */
  const explained = async (deliveries: Delivery[], startedAt: number) => {
    const expected = new Map<string, string>();
    for (const d of deliveries) if (EXPLAINED[d.kind]) expected.set(`${owner}/${d.repo}#${d.issue}`, EXPLAINED[d.kind]!);
    const count = () => {
      const perIssue = new Map<string, number>();
      for (const c of fake.comments) {
        const key = `${c.repo}#${c.issueNumber}`;
        const text = expected.get(key);
        if (text && c.body.includes(text)) perIssue.set(key, (perIssue.get(key) ?? 0) + 1);
      }
      return perIssue;
    };
    let doneAt = Number.NaN;
    for (const deadline = Date.now() + 180_000; Date.now() < deadline;) {
      if (count().size >= expected.size) {
        doneAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await booted.idle();
    const perIssue = count();
    const bots = deliveries.filter((d) => d.kind === "bot").map((d) => `${d.repo}#${d.issue}`);
    const botComments = fake.comments.filter((c) => bots.includes(`${c.repo.split("/")[1]}#${c.issueNumber}`)).length;
    return {
      seconds: r1((doneAt - startedAt) / 1000),
      stats: { expected: expected.size, posted: perIssue.size, duplicates: [...perIssue.values()].filter((n) => n > 1).length + botComments },
    };
  };
  const samples = { bare: [] as Sample[][], autofix: [] as Sample[][] };
  const explainedWithinS: number[] = [];
  const explanations: { expected: number; posted: number; duplicates: number }[] = [];
  try {
    // One untimed round each warms the JIT, the installation tokens and the SQLite file.
    const warm = plan(1);
    await round(barePort, "warm-bare", warm);
    const warmAt = performance.now();
    await round(autofixPort, "warm-autofix", warm);
    const w = await explained(warm, warmAt);
    if (process.env.AUTOFIX_BENCH_VERBOSE) console.error("warm round", w);
    for (let r = 1; r <= ROUNDS; r++) {
      const deliveries = plan(1 + r * 10_000);
      samples.bare.push(await round(barePort, `bare-${r}`, deliveries));
      const startedAt = performance.now();
      samples.autofix.push(await round(autofixPort, `autofix-${r}`, deliveries));
      const { seconds, stats } = await explained(deliveries, startedAt);
      explainedWithinS.push(seconds);
      explanations.push(stats);
    }
  } finally {
    // The data dir goes whatever a stop throws: a bench leaves nothing in the temp dir.
    try {
      await booted.stop(1_000);
      await bare.stop();
      fake.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Other bench modules run next in this process (bench/run.ts): leave node's http and fetch unpatched.
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  }
  if (fake.unexpected.length) throw new Error(`FakeGitHub got requests it cannot answer: ${[...new Set(fake.unexpected)].join(", ")}`);
  const app = `autofix (bootAutofix, worker off, ${INSTALLATIONS} installations, write pacing ${PACING ? "on" : "off"})`;
  return [summarize("bare Probot app (no-op handler)", samples.bare), { ...summarize(app, samples.autofix), explainedWithinS, explanations }];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function toMarkdown(results: AckBenchResult[]): string {
  const [bare, autofix] = results;
  const lines = [
    "| app | deliveries × rounds | p50 ms | p99 ms (per round) | max ms | statuses |",
    "| --- | --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${r.app} | ${r.deliveries} × ${r.rounds} | ${r.p50Ms} | ${r.p99Ms} (${r.roundP99Ms.join(" / ")}) | ${r.maxMs} | ${Object.entries(r.statuses)
          .map(([s, n]) => `${s}: ${n}`)
          .join(", ")} |`,
    ),
  ];
  if (bare && autofix) {
    const ratios = autofix.roundP99Ms.map((p, i) => p / bare.roundP99Ms[i]);
    lines.push("", `p99 ratio autofix / bare per round: ${ratios.map((x) => x.toFixed(2)).join(" / ")}; median ${median(ratios).toFixed(2)}x (target ≤ 1.1x)`);
  }
  if (autofix?.explanations) {
    const rounds = autofix.explanations.map(
      (e, i) => `round ${i + 1}: ${e.posted}/${e.expected} issues explained, ${e.duplicates} duplicates, all within ${autofix.explainedWithinS?.[i]} s`,
    );
    lines.push(`refusal explanations (target: each exactly once, within 60 s): ${rounds.join("; ")}`);
  }
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const results = await run();
  console.log(toMarkdown(results));
  // Probot's throttling keeps timers of its own: do not wait for them.
  process.exit(0);
}
