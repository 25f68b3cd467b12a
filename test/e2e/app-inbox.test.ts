// Answer first, decide after: an issue event is recorded and answered before any GitHub read, then decided in
// receipt order per issue. GitHub's config read is held open here to show the answer does not wait for it.
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { labeledPayload, startAppHarness, statusComments, type AppHarness } from "../support/appHarness.js";

const full = "octo-org/widget";
const key = `${full}#7`;
const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module" }),
  "src/math.js": "export const add = (a, b) => a - b;\n",
  // The agent never finishes within these tests: what matters is whether a job starts, and whether it is stopped.
  "tools/agent.mjs": "await new Promise((r) => setTimeout(r, 60_000));\n",
};
const config = "agent:\n  preset: command\n  command: node tools/agent.mjs\n  timeoutMinutes: 2\ngates:\n  allowSkipWithoutLlm: true\n";
const configPath = `/repos/${full}/contents/.github/autofix.yml`;

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

/** Holds every config read until `release()`; counts the reads that began and ended. */
function holdConfigReads(harness: AppHarness) {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const reads = { begun: 0, ended: 0 };
  harness.fake.hold = (method, path) => {
    if (method !== "GET" || path !== configPath) return undefined;
    reads.begun++;
    return held.then(() => void reads.ended++);
  };
  return { release, reads };
}

const within = <T>(ms: number, what: string, work: Promise<T>): Promise<T> =>
  Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms))]);

async function start(): Promise<AppHarness> {
  h = await startAppHarness({ files, config });
  h.fake.addIssue(full, { number: 7, title: "add() subtracts", author: "reporter", labels: ["autofix"] });
  h.fake.setPermission(full, "maintainer", "write");
  return h;
}

describe("answer first, decide after", () => {
  it("answers a label while GitHub has not yet returned the config, then enqueues and acknowledges the job", async () => {
    const harness = await start();
    const { release, reads } = holdConfigReads(harness);
    const answer = await within(
      5_000,
      "answering while the config read is held",
      harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" })),
    );
    expect(answer.status).toBe(200);
    expect(reads.ended).toBe(0);
    expect(await harness.booted.queue.latest(key)).toBeUndefined();
    expect((await harness.booted.queue.inbox!.pending()).count).toBe(1);

    release();
    await harness.booted.idle();
    const job = await harness.booted.queue.latest(key);
    expect(job?.spec).toMatchObject({ trigger: "label", requestedBy: "maintainer" });
    expect(reads.ended).toBeGreaterThan(0);
    expect(harness.fake.reactions.filter((r) => r.target === "issue:7" && r.content === "eyes")).toHaveLength(1);
    expect((await harness.booted.queue.inbox!.pending()).count).toBe(0);
    expect(harness.fake.unexpected).toEqual([]);
  }, 60_000);

  it("a label then an unlabel in quick succession leaves the job cancelled, the unlabel decided after the label", async () => {
    const harness = await start();
    const { release } = holdConfigReads(harness);
    const label = labeledPayload({ issue: 7, title: "add() subtracts" });
    expect((await harness.deliver("issues", label)).status).toBe(200);
    expect((await harness.deliver("issues", { ...label, action: "unlabeled" })).status).toBe(200);
    // The unlabel arrived while the label's decision waited for GitHub: it must wait its turn, not find no job.
    release();
    await harness.booted.idle();
    const job = await harness.waitForJob(key, (j) => j.state === "cancelled", 30_000);
    expect(job.cancelReason).toContain("label was removed by @maintainer");
    expect(harness.fake.pullsOf(full)).toHaveLength(0);
  }, 60_000);

  it("a redelivery with the same delivery id, during or after the decision, creates nothing new", async () => {
    const harness = await start();
    const { release } = holdConfigReads(harness);
    const label = labeledPayload({ issue: 7, title: "add() subtracts" });
    const answers = await Promise.all([1, 2, 3].map(() => harness.deliver("issues", label, { id: "delivery-once" })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect((await harness.booted.queue.inbox!.pending()).count).toBe(1);
    release();
    await harness.booted.idle();
    // After the decision (the record is settled), GitHub's "Redeliver" button: the job store knows the delivery id.
    expect((await harness.deliver("issues", label, { id: "delivery-once" })).status).toBe(200);
    await harness.booted.idle();
    const jobs = (await harness.booted.queue.list({ limit: 20 })).filter((j) => j.key === key);
    expect(jobs).toHaveLength(1);
    expect(jobs[0].spec.deliveryId).toBe("delivery-once");
    expect(harness.fake.reactions.filter((r) => r.target === "issue:7" && r.content === "eyes")).toHaveLength(1);
    expect(statusComments(harness, full, 7).length).toBeLessThanOrEqual(1);
  }, 60_000);

  it("a decision GitHub keeps failing is tried three times, then given up with its delivery id in the log; a passing failure only delays it", async () => {
    const harness = await start();
    harness.fake.setPermission(full, "outage", "write");
    harness.fake.addIssue(full, { number: 8, title: "mul() adds", author: "reporter", labels: ["autofix"] });
    const permissionReads = new Map<string, number>();
    harness.fake.hold = (method, path) => {
      const user = /\/collaborators\/([^/]+)\/permission$/.exec(path)?.[1];
      if (!user) return undefined;
      const n = (permissionReads.get(user) ?? 0) + 1;
      permissionReads.set(user, n);
      // maintainer's read fails twice, then works; outage's never does.
      return user === "outage" || n <= 2 ? Promise.reject(new Error("GitHub is having a bad day")) : undefined;
    };
    await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }), { id: "delivery-flaky" });
    await harness.deliver("issues", labeledPayload({ issue: 8, title: "mul() adds", sender: "outage" }), { id: "delivery-down" });
    await harness.booted.idle();

    expect((await harness.booted.queue.latest(key))?.spec.deliveryId).toBe("delivery-flaky");
    expect(await harness.booted.queue.latest(`${full}#8`)).toBeUndefined();
    expect(permissionReads.get("outage")).toBe(3);
    expect((await harness.booted.queue.inbox!.pending()).count).toBe(0);
    const logged = harness.logLines.map((l) => JSON.parse(l) as { deliveryId?: string; msg: string; level: number });
    const about = (id: string) => logged.filter((l) => l.deliveryId === id).map((l) => l.msg);
    expect(about("delivery-flaky").filter((m) => m.includes("trying again"))).toHaveLength(2);
    expect(about("delivery-flaky").some((m) => m.includes("given up"))).toBe(false);
    expect(about("delivery-down").filter((m) => m.includes("trying again"))).toHaveLength(2);
    expect(about("delivery-down").filter((m) => m.includes("given up"))).toHaveLength(1);
  }, 60_000);
});
