// Regression semantics of one command: its result after the agent judged against the base commit's.
import { describe, expect, it } from "vitest";
import type { CommandOutcome } from "../../src/gates/baselineCache.js";
import { commandBlocks, judgeCommand } from "../../src/gates/commandStatus.js";

const spec = { name: "npm test", run: "npm test", timeoutMs: 60_000 };
const outcome = (exitCode: number | null, tests?: CommandOutcome["tests"], timedOut = false): CommandOutcome => ({
  exitCode,
  timedOut,
  durationMs: 10,
  outputTail: "",
  ...(tests ? { tests, testsNote: "per-test results read from tap" } : {}),
});

describe("a command judged against the base", () => {
  it.each([
    ["green on both sides", outcome(0), outcome(0), "pass", false],
    ["red on both sides", outcome(1), outcome(1), "already-red", false],
    ["turned red by the change", outcome(0), outcome(1), "regressed", true],
    ["turned green by the change", outcome(1), outcome(0), "fixed", false],
    ["timed out only after the change", outcome(0), outcome(null, undefined, true), "timeout", true],
  ] as const)("%s", (_name, base, after, status, blocks) => {
    const report = judgeCommand(spec, base, after);
    expect(report.status).toBe(status);
    expect(commandBlocks(report)).toBe(blocks);
    expect(report.tests?.parsed ?? false).toBe(false);
  });

  it("blocks a newly failing test even when the command was already red", () => {
    const report = judgeCommand(spec, outcome(1, { a: "pass", b: "fail" }), outcome(1, { a: "fail", b: "fail" }));
    expect(report.status).toBe("regressed");
    expect(report.tests).toMatchObject({ regressed: ["a"], parsed: true });
  });

  it("accepts a red command whose only failing tests were failing before, listing what it fixed", () => {
    const report = judgeCommand(spec, outcome(1, { a: "pass", b: "fail", c: "fail" }), outcome(1, { a: "pass", b: "pass", c: "fail" }));
    expect(report.status).toBe("already-red");
    expect(report.tests?.fixed).toEqual(["b"]);
    expect(commandBlocks(report)).toBe(false);
  });

  it("blocks a green command that no longer runs a test that passed on the base", () => {
    const report = judgeCommand(spec, outcome(0, { a: "pass", b: "pass" }), outcome(0, { a: "pass" }));
    expect(report.status).toBe("regressed");
    expect(report.tests?.missing).toEqual(["b"]);
  });

  it("blocks a command that turned red though no test is named (a build error after the tests)", () => {
    const report = judgeCommand(spec, outcome(0, { a: "pass" }), outcome(2, { a: "pass" }));
    expect(report.status).toBe("regressed");
  });

  it("counts every test of the base as missing when the change leaves no results to read", () => {
    const report = judgeCommand(spec, outcome(1, { a: "pass", b: "fail" }), outcome(1));
    expect(report.status).toBe("regressed");
    // b failed on the base: it had to end passed, and gone is not passed.
    expect(report.tests).toMatchObject({ missing: ["a", "b"], parsed: true });
    expect(report.tests?.note).toContain("name no tests");
  });

  it("falls back to exit codes when only the after side names its tests, and says so", () => {
    const report = judgeCommand(spec, outcome(1), outcome(0, { a: "pass" }));
    expect(report.status).toBe("fixed");
    expect(report.tests).toMatchObject({ parsed: false });
    expect(report.tests?.note).toContain("whole-command result used");
  });

  it("is an error, never a pass, when the base has no result for the command", () => {
    const report = judgeCommand(spec, undefined, outcome(0));
    expect(report.status).toBe("error");
    expect(commandBlocks(report)).toBe(true);
  });
});
