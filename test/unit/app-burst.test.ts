// A burst of labels asks GitHub once per repository and sender, and is acknowledged after it is answered.
import { describe, expect, it } from "vitest";
import { burstCache, noticeBoard } from "../../src/app/burst.js";

describe("burstCache", () => {
  it("shares one load among concurrent and later callers until it expires", async () => {
    let clock = 0;
    let loads = 0;
    const cache = burstCache<string>(
      10_000,
      () => true,
      () => clock,
    );
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

describe("noticeBoard", () => {
  const deferred = () => {
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    return { promise, open };
  };

  it("posts one notice per key however many deliveries ask, and forgets a key once its memory expires", async () => {
    let clock = 0;
    const board = noticeBoard({ quietMs: 5, maxWaitMs: 100, rememberMs: 60_000, now: () => clock });
    const posted: string[] = [];
    const notice = (key: string) => ({ lane: "installation:1", key, post: async () => void posted.push(key) });
    const accepted = Array.from({ length: 20 }, () => board.submit(notice("octo/w#7:refused:permission:mallory")));
    expect(accepted.filter(Boolean)).toHaveLength(1);
    expect(board.submit(notice("octo/w#8:refused:permission:mallory"))).toBe(true);
    await board.idle();
    expect(posted).toEqual(["octo/w#7:refused:permission:mallory", "octo/w#8:refused:permission:mallory"]);
    expect(board.submit(notice("octo/w#7:refused:permission:mallory"))).toBe(false);
    clock = 60_000;
    expect(board.submit(notice("octo/w#7:refused:permission:mallory"))).toBe(true);
    await board.idle();
    expect(posted).toHaveLength(3);
  });

  it("a notice that failed is tried again by the next delivery asking for it", async () => {
    const errors: string[] = [];
    const board = noticeBoard({ quietMs: 1, maxWaitMs: 50, rememberMs: 60_000, onError: (e, n) => errors.push(`${n.key}: ${String(e)}`) });
    let attempts = 0;
    const flaky = { lane: "installation:1", key: "octo/w#1:paused", post: async () => void attempts++ };
    board.submit({
      ...flaky,
      post: async () => {
        attempts++;
        throw new Error("GitHub 502");
      },
    });
    await board.idle();
    expect(errors).toEqual(["octo/w#1:paused: Error: GitHub 502"]);
    expect(board.submit(flaky)).toBe(true);
    await board.idle();
    expect(attempts).toBe(2);
    expect(board.submit(flaky)).toBe(false);
  });

  it("one installation's slow notices do not hold back another's; within an installation they go one at a time", async () => {
    const board = noticeBoard({ quietMs: 1, maxWaitMs: 50, rememberMs: 60_000 });
    const slow = deferred();
    const events: string[] = [];
    let activeInNoisy = 0;
    let maxActiveInNoisy = 0;
    for (let i = 0; i < 5; i++) {
      board.submit({
        lane: "installation:noisy",
        key: `noisy#${i}`,
        post: async () => {
          activeInNoisy++;
          maxActiveInNoisy = Math.max(maxActiveInNoisy, activeInNoisy);
          if (i === 0) await slow.promise;
          events.push(`noisy#${i}`);
          activeInNoisy--;
        },
      });
    }
    const quiet = deferred();
    board.submit({ lane: "installation:quiet", key: "quiet#1", post: async () => (events.push("quiet#1"), quiet.open()) });
    await quiet.promise;
    expect(events).toEqual(["quiet#1"]);
    slow.open();
    await board.idle();
    expect(events).toEqual(["quiet#1", "noisy#0", "noisy#1", "noisy#2", "noisy#3", "noisy#4"]);
    expect(maxActiveInNoisy).toBe(1);
  });
});
