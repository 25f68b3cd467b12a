// The inbox's promises on both drivers: a delivery is recorded once however often it comes, a record held under a
// live lease stays with its process, a lapsed one is taken by another process (in receipt order, attempts counted),
// and a settled one is gone. Two queues on one location stand for two processes sharing the store.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Inbox, InboxEntry, JobQueue } from "../../src/jobs/types.js";
import { DriverFixture, type DriverName } from "../support/jobHarness.js";

const drivers: DriverName[] = ["sqlite", "bullmq"];

function entry(id: string, issue = 7, extra: object = {}): InboxEntry {
  return {
    id,
    name: "issues",
    key: `octo/widgets#${issue}`,
    payload: { action: "labeled", issue: { number: issue, title: "add() subtracts" }, ...extra },
    receivedAt: new Date().toISOString(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(drivers)("webhook inbox on %s", (driver) => {
  const fixture = new DriverFixture(driver);
  beforeAll(() => fixture.setup());
  afterEach(() => fixture.closeQueues());
  afterAll(() => fixture.teardown());

  /** Two handles on one store, as two processes would have. */
  async function twoProcesses(): Promise<[Inbox, Inbox, JobQueue[]]> {
    const location = fixture.location();
    const a = await fixture.open(location);
    const b = await fixture.open(location);
    return [a.inbox!, b.inbox!, [a, b]];
  }

  it("records a delivery once, however many times (and however concurrently) it is delivered", async () => {
    const [inbox] = await twoProcesses();
    const first = await Promise.all([
      inbox.record(entry("d-1"), "p1", 30_000),
      inbox.record(entry("d-1"), "p1", 30_000),
      inbox.record(entry("d-2"), "p1", 30_000),
    ]);
    expect(first).toEqual([true, false, true]);
    expect(await inbox.record(entry("d-1"), "p2", 30_000)).toBe(false);
    expect((await inbox.pending()).count).toBe(2);
  });

  it("keeps a record with its process while the lease lives; another process takes it once the lease lapses, and the payload comes back whole", async () => {
    const [mine, other] = await twoProcesses();
    const big = { body: "x".repeat(200_000), labels: [{ name: "autofix" }, { name: "bug" }] };
    await mine.record(entry("d-lease", 7, big), "p1", 400);
    expect(await other.claimExpired("p2", 30_000, 10)).toEqual([]);
    await sleep(500);
    const taken = await other.claimExpired("p2", 30_000, 10);
    expect(taken.map((r) => [r.id, r.attempts])).toEqual([["d-lease", 2]]);
    expect(taken[0].payload).toEqual(entry("d-lease", 7, big).payload);
    expect(taken[0].name).toBe("issues");
    expect(taken[0].key).toBe("octo/widgets#7");
    // Taken means held again: nobody else gets it while p2's lease lives.
    expect(await mine.claimExpired("p1", 30_000, 10)).toEqual([]);
  });

  it("renewing keeps a held record from being taken; releasing hands it over at once", async () => {
    const [mine, other] = await twoProcesses();
    await mine.record(entry("d-renew"), "p1", 300);
    await mine.renew("p1", ["d-renew"], 30_000);
    // Another holder's renewal changes nothing.
    await other.renew("p2", ["d-renew"], 0);
    await sleep(400);
    expect(await other.claimExpired("p2", 30_000, 10)).toEqual([]);
    await other.release("p2", ["d-renew"]);
    expect(await other.claimExpired("p2", 30_000, 10)).toEqual([]);
    await mine.release("p1", ["d-renew"]);
    expect((await other.claimExpired("p2", 30_000, 10)).map((r) => r.id)).toEqual(["d-renew"]);
  });

  it("hands lapsed records over in receipt order, whichever process recorded them", async () => {
    const [a, b] = await twoProcesses();
    // Recorded with no lease (a process that stopped): free for anyone at once.
    for (const [inbox, id, issue] of [
      [a, "label-7", 7],
      [b, "label-8", 8],
      [a, "unlabel-7", 7],
      [b, "comment-8", 8],
      [a, "close-7", 7],
    ] as const)
      await inbox.record(entry(id, issue), "gone", 0);
    const taken = await b.claimExpired("p2", 30_000, 3);
    expect(taken.map((r) => r.id)).toEqual(["label-7", "label-8", "unlabel-7"]);
    expect(taken.map((r) => r.seq)).toEqual([...taken.map((r) => r.seq)].sort((x, y) => x - y));
    expect((await a.claimExpired("p1", 30_000, 10)).map((r) => r.id)).toEqual(["comment-8", "close-7"]);
  });

  it("a settled record is gone for every process, and its delivery id may be recorded again", async () => {
    const [a, b] = await twoProcesses();
    await a.record(entry("d-settle"), "p1", 0);
    await a.record(entry("d-keep"), "p1", 30_000);
    const before = await b.pending();
    expect(before.count).toBe(2);
    expect(Date.parse(before.oldestReceivedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
    await a.settle("d-settle");
    expect(await b.claimExpired("p2", 30_000, 10)).toEqual([]);
    expect((await b.pending()).count).toBe(1);
    await b.settle("d-keep");
    expect(await b.pending()).toEqual({ count: 0 });
    expect(await a.record(entry("d-settle"), "p1", 30_000)).toBe(true);
  });

  it("a record outlives the process that made it: a store opened afresh still holds it", async () => {
    const location = fixture.location();
    const first = await fixture.open(location);
    await first.inbox!.record(entry("d-durable"), "p1", 0);
    await first.close();
    const second = await fixture.open(location);
    expect((await second.inbox!.claimExpired("p2", 30_000, 10)).map((r) => r.id)).toEqual(["d-durable"]);
  });
});
