// Retry delays, error records of odd throws, and the signal handling that drives graceful shutdown.
import { describe, expect, it } from "vitest";
import { AutofixError } from "../../src/errors.js";
import { installSignalHandlers } from "../../src/jobs/index.js";
import { backoffMs, errorRecord, failedOutcome, newJobId, toError } from "../../src/jobs/records.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("retry backoff", () => {
  it("doubles after each failure and stops growing at the cap", () => {
    const backoff = { baseMs: 5_000, maxMs: 300_000 };
    expect([1, 2, 3, 4].map((n) => backoffMs(n, backoff))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(backoffMs(7, backoff)).toBe(300_000);
    expect(backoffMs(1_000, backoff)).toBe(300_000);
  });
});

describe("recording what a handler threw", () => {
  it("turns strings, objects and undefined into Errors a person can read", () => {
    expect(toError("disk full").message).toBe("disk full");
    expect(toError({ status: 502 }).message).toBe('non-Error value thrown: {"status":502}');
    expect(toError(undefined).message).toBe("non-Error value thrown: undefined");
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toError(circular).message).toContain("non-Error value thrown");
  });

  it("keeps an AutofixError's code and a plain error's own code", () => {
    const typed = new AutofixError("GATE_ERROR", { what: "a", why: "b", next: "c" });
    expect(errorRecord(typed)).toEqual({ code: "GATE_ERROR", message: "a b c" });
    expect(errorRecord(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })).code).toBe("ECONNREFUSED");
    expect(errorRecord(new Error("x")).code).toBe("UNEXPECTED_ERROR");
  });

  it("tells the reader how often a job was tried and what to do next", () => {
    expect(failedOutcome(new Error("timeout."), 3).message).toBe("The job failed: timeout. It was tried 3 times. Comment `/autofix retry` to try again.");
  });
});

describe("job ids", () => {
  it("sort by creation time and are usable as BullMQ ids", () => {
    const a = newJobId(1_700_000_000_000);
    const b = newJobId(1_700_000_000_001);
    expect(a < b).toBe(true);
    expect(a).not.toContain(":");
  });
});

describe("signal handlers", () => {
  it("stop the worker with the grace period on the first signal and exit 0 once it stopped", async () => {
    const stops: number[] = [];
    const exits: number[] = [];
    const uninstall = installSignalHandlers({ stop: async (ms) => void stops.push(ms) }, 2_500, quiet, {
      signals: ["SIGUSR2"],
      exit: (code) => void exits.push(code),
    });
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      await new Promise((r) => setTimeout(r, 10));
      expect(stops).toEqual([2_500]);
      expect(exits).toEqual([0]);
    } finally {
      uninstall();
    }
  });

  it("exit at once with 1 on a second signal while jobs are still being released", async () => {
    const exits: number[] = [];
    const uninstall = installSignalHandlers({ stop: () => new Promise(() => {}) }, 60_000, quiet, {
      signals: ["SIGUSR2"],
      exit: (code) => void exits.push(code),
    });
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      process.emit("SIGUSR2", "SIGUSR2");
      expect(exits).toEqual([1]);
    } finally {
      uninstall();
    }
  });
});
