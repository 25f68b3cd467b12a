// A burst of labels asks GitHub once per repository and sender, and is acknowledged after it is answered.
import { describe, expect, it } from "vitest";
import { burstCache, serialRunner } from "../../src/app/burst.js";

describe("burstCache", () => {
  it("shares one load among concurrent and later callers until it expires", async () => {
    let clock = 0;
    let loads = 0;
    const cache = burstCache<string>(10_000, () => true, () => clock);
    const load = async () => `config #${++loads}`;
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get("octo-org/widget", load)));
    expect(new Set(answers)).toEqual(new Set(["config #1"]));
    clock = 9_999;
    expect(await cache.get("octo-org/widget", load)).toBe("config #1");
    clock = 10_000;
    expect(await cache.get("octo-org/widget", load)).toBe("config #2");
    expect(await cache.get("octo-org/other", load)).toBe("config #3");
  });

  it("asks again after a failed load or a value it must not keep (an invalid config)", async () => {
    const cache = burstCache<{ ok: boolean }>(10_000, (v) => v.ok);
    let calls = 0;
    await expect(cache.get("k", async () => (calls++, Promise.reject(new Error("GitHub 502"))))).rejects.toThrow("GitHub 502");
    await new Promise((r) => setImmediate(r));
    expect(await cache.get("k", async () => (calls++, { ok: false }))).toEqual({ ok: false });
    await new Promise((r) => setImmediate(r));
    expect(await cache.get("k", async () => (calls++, { ok: true }))).toEqual({ ok: true });
    expect(await cache.get("k", async () => (calls++, { ok: false }))).toEqual({ ok: true });
    expect(calls).toBe(3);
  });
});

describe("serialRunner", () => {
  it("runs tasks one at a time, in order, only once deliveries pause, and survives a failing task", async () => {
    const errors: unknown[] = [];
    const run = serialRunner({ quietMs: 40, maxWaitMs: 5_000, onError: (e) => errors.push(e) });
    const events: string[] = [];
    let active = 0;
    let maxActive = 0;
    const task = (name: string, fail = false) => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      events.push(name);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      if (fail) throw new Error(`${name} failed`);
    };
    const queuedAt = Date.now();
    const done: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      done.push(run(task(`t${i}`, i === 1)));
      // Deliveries keep arriving every 10 ms: nothing may start meanwhile.
      await new Promise((r) => setTimeout(r, 10));
      expect(events).toEqual([]);
    }
    await Promise.all(done);
    expect(events).toEqual(["t0", "t1", "t2", "t3", "t4"]);
    expect(maxActive).toBe(1);
    expect(errors.map(String)).toEqual(["Error: t1 failed"]);
    expect(Date.now() - queuedAt).toBeGreaterThanOrEqual(50 + 40);
  });

  it("does not wait longer than maxWaitMs under a steady stream", async () => {
    const run = serialRunner({ quietMs: 1_000, maxWaitMs: 60 });
    let ran = false;
    const first = run(async () => void (ran = true));
    const keepBusy = setInterval(() => void run(async () => {}), 10);
    await first;
    clearInterval(keepBusy);
    expect(ran).toBe(true);
  });
});
