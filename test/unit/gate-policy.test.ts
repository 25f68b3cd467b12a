// Gate policy: how verdicts become a PR decision, and what the agent is told on its next attempt.
import { describe, expect, it } from "vitest";
import { decide, renderRepairReport } from "../../src/gates/policy.js";
import type { GateName, GateResult, GateStatus } from "../../src/gates/types.js";
import { gateConfig } from "../fixtures/cheats/gateConfig.js";

const result = (gate: GateName, status: GateStatus, extra: Partial<GateResult> = {}): GateResult => ({
  gate,
  status,
  summary: `${gate} ${status}`,
  reasons: [],
  durationMs: 1,
  ...extra,
});
const all = (d: GateStatus, s: GateStatus, r: GateStatus) => [result("deterministic", d), result("semantic", s), result("review", r)];

describe("decide", () => {
  it("opens a ready PR when all three gates pass", () => {
    expect(decide(all("pass", "pass", "pass"), gateConfig())).toEqual({ verdict: "pass", failing: [], action: "ready-pr" });
  });

  it("opens no PR by default when a gate fails, and a draft when the repository asks for drafts", () => {
    expect(decide(all("pass", "fail", "pass"), gateConfig())).toEqual({ verdict: "fail", failing: ["semantic"], action: "no-pr" });
    expect(decide(all("pass", "fail", "pass"), gateConfig({}, { onGateFailure: "draft" }))).toEqual({
      verdict: "fail",
      failing: ["semantic"],
      action: "draft-pr",
    });
  });

  it("never counts an error as a pass", () => {
    expect(decide(all("pass", "pass", "error"), gateConfig())).toMatchObject({ verdict: "fail", failing: ["review"] });
  });

  it("counts a skipped judge as a pass only when the repository allows LLM-less runs or turned the judge off", () => {
    expect(decide(all("pass", "skipped", "skipped"), gateConfig())).toMatchObject({ verdict: "fail", failing: ["semantic", "review"] });
    expect(decide(all("pass", "skipped", "skipped"), gateConfig({ allowSkipWithoutLlm: true }))).toMatchObject({ verdict: "pass" });
    expect(decide(all("pass", "skipped", "pass"), gateConfig({ semantic: { enabled: false } }))).toMatchObject({ verdict: "pass" });
    expect(decide(all("pass", "pass", "skipped"), gateConfig({ semantic: { enabled: false } }))).toMatchObject({ verdict: "fail", failing: ["review"] });
  });

  it("never passes a skipped deterministic gate or a missing gate", () => {
    expect(decide(all("skipped", "pass", "pass"), gateConfig({ allowSkipWithoutLlm: true }))).toMatchObject({ verdict: "fail", failing: ["deterministic"] });
    expect(decide([result("deterministic", "pass"), result("semantic", "pass")], gateConfig())).toMatchObject({ verdict: "fail", failing: ["review"] });
  });

  it("names only the failing gate when the judges were skipped because of it", () => {
    expect(decide(all("fail", "skipped", "skipped"), gateConfig())).toMatchObject({ verdict: "fail", failing: ["deterministic"] });
  });
});

describe("renderRepairReport", () => {
  it("tells the agent which gates failed, why, which tests it broke and what the reviewer found", () => {
    const text = renderRepairReport([
      result("deterministic", "fail", {
        summary: "Blocked: 1 of 1 command(s) regressed against the base commit.",
        reasons: ["`npm test` regressed: math > adds (passed on the base, fails now)."],
        commands: [
          {
            name: "npm test",
            command: "npm test",
            status: "regressed",
            exitCode: 1,
            durationMs: 900,
            outputTail: "not ok 1 - adds",
            tests: { regressed: ["math > adds"], missing: ["math > divides"], fixed: ["math > subtracts"], parsed: true },
          },
        ],
      }),
      result("semantic", "pass"),
      result("review", "fail", { findings: [{ path: "src/math.js", line: 3, severity: "major", text: "Off by one." }] }),
    ]);
    expect(text).toContain("## deterministic gate: fail");
    expect(text).toContain("broken test: math > adds");
    expect(text).toContain("test missing or skipped now: math > divides");
    expect(text).toContain("not ok 1 - adds");
    expect(text).toContain("[major] src/math.js:3: Off by one.");
    expect(text).not.toContain("semantic gate");
  });
});
