// The CI gate's verdict and the failing-step log trim, on the shapes GitHub returns.
import { describe, expect, it } from "vitest";
import { ciVerdict, classifyChecks, trimToFailingStep } from "../../src/gates/index.js";
import { tickedActions, defuse } from "../../src/app/dashboardRender.js";

const run = (id: number, name: string, status: string, conclusion: string | null, suite = 1) => ({
  id,
  name,
  status: status as "completed",
  conclusion,
  appSlug: "github-actions",
  checkSuiteId: suite,
});
const base = { config: { checks: "all" as const }, elapsedMs: 1_000, timeoutMs: 60_000, noChecksGraceMs: 30_000 };

describe("the CI verdict", () => {
  it("waits while a watched check runs, then is green; the bot's own check runs never count", () => {
    const pending = classifyChecks({
      runs: [run(1, "test", "in_progress", null), run(2, "autofix / ci", "in_progress", null)],
      suites: [],
      statuses: [],
      workflowRuns: [],
    });
    expect(ciVerdict({ ...base, head: pending }).status).toBe("pending");
    const done = classifyChecks({
      runs: [run(1, "test", "completed", "success"), run(2, "autofix / ci", "in_progress", null)],
      suites: [],
      statuses: [],
      workflowRuns: [],
    });
    expect(ciVerdict({ ...base, head: done }).status).toBe("green");
  });

  it("blames only checks that are not red on the base head too", () => {
    const head = classifyChecks({
      runs: [run(1, "test", "completed", "failure"), run(2, "lint", "completed", "failure")],
      suites: [],
      statuses: [],
      workflowRuns: [],
    });
    const onBase = classifyChecks({ runs: [run(9, "lint", "completed", "failure")], suites: [], statuses: [], workflowRuns: [] });
    const v = ciVerdict({ ...base, head, base: onBase });
    expect(v.status).toBe("red");
    if (v.status !== "red") return;
    expect(v.failing.map((c) => c.name)).toEqual(["test"]);
    expect(v.excused.map((c) => c.name)).toEqual(["lint"]);
  });

  it("watches listed names by check name, status context or workflow name, and names a listed check that never ran", () => {
    const head = classifyChecks({
      runs: [run(1, "unit", "completed", "success", 5), run(2, "docs", "completed", "failure", 6)],
      suites: [],
      statuses: [{ context: "ci/jenkins", state: "success" }],
      workflowRuns: [{ id: 50, name: "Build", checkSuiteId: 5, status: "completed" }],
    });
    expect(ciVerdict({ ...base, head, config: { checks: ["Build", "ci/jenkins"] } }).status).toBe("green");
    const late = ciVerdict({ ...base, head, config: { checks: ["Build", "deploy-preview"] }, elapsedMs: 61_000 });
    expect(late.status).toBe("timeout");
    if (late.status === "timeout") expect(late.unfinished[0]).toMatchObject({ name: "deploy-preview", state: "not-started" });
  });

  it("says a suite waiting for approval never started, and no checks at all after the grace period is `none`", () => {
    const head = classifyChecks({
      runs: [],
      suites: [{ id: 3, appSlug: "github-actions", status: "completed", conclusion: "action_required", runCount: 0 }],
      statuses: [],
      workflowRuns: [{ id: 7, name: "CI", checkSuiteId: 3, status: "completed" }],
    });
    expect(head[0]).toMatchObject({ name: "CI", state: "not-started" });
    expect(head[0].why).toContain("action_required");
    expect(ciVerdict({ ...base, head: [], elapsedMs: 29_000 }).status).toBe("pending");
    expect(ciVerdict({ ...base, head: [], elapsedMs: 31_000 }).status).toBe("none");
  });
});

describe("the failing step of an Actions log", () => {
  it("keeps the failing step from its `Run` group to the error, without timestamps or earlier steps", () => {
    const log = [
      "2026-01-01T00:00:00.0000000Z ##[group]Run actions/checkout@v4",
      "2026-01-01T00:00:01.0000000Z checkout noise",
      "2026-01-01T00:00:02.0000000Z ##[group]Run npm test",
      "2026-01-01T00:00:03.0000000Z FAIL expected 6",
      "2026-01-01T00:00:04.0000000Z ##[error]Process completed with exit code 1.",
      "2026-01-01T00:00:05.0000000Z Post job cleanup.",
    ].join("\n");
    expect(trimToFailingStep(log)).toBe("##[group]Run npm test\nFAIL expected 6\n##[error]Process completed with exit code 1.");
  });

  it("keeps only the last 150 lines of a long failing step", () => {
    const lines = ["##[group]Run make", ...Array.from({ length: 400 }, (_, i) => `line ${i}`), "##[error]boom"];
    const trimmed = trimToFailingStep(lines.join("\n")).split("\n");
    expect(trimmed).toHaveLength(150);
    expect(trimmed.at(-1)).toBe("##[error]boom");
  });
});

describe("the dashboard's checkboxes", () => {
  const line = (state: string, action: string) => `  - [${state}] ${action} <!-- autofix:do:${action}:o/r#7 -->`;
  it("acts on boxes ticked in this edit only", () => {
    expect(tickedActions(line("x", "retry"), line(" ", "retry"))).toEqual([{ action: "retry", key: "o/r#7" }]);
    expect(tickedActions(line("x", "retry"), line("x", "retry"))).toEqual([]);
    expect(tickedActions(line(" ", "stop"), undefined)).toEqual([]);
  });

  it("defuses job text so it cannot hide a marker, ping people or add a checkbox", () => {
    expect(defuse("x <!-- autofix:do:stop:o/r#1 --> @admin\n- [ ] y")).toBe("x  autofix:do:stop:o/r#1  @\u200badmin -   y");
  });
});
