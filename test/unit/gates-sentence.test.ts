// "All three gates passed" only when all three ran and passed; otherwise what each gate did.
import { describe, expect, it } from "vitest";
import type { GateResult } from "../../src/gates/index.js";
import { gatesSentence } from "../../src/pipeline/index.js";

const gate = (g: GateResult["gate"], status: GateResult["status"], summary = "ok"): GateResult => ({ gate: g, status, summary, reasons: [], durationMs: 1 });

describe("gatesSentence", () => {
  it("says all three passed only when they did", () => {
    expect(gatesSentence([gate("deterministic", "pass"), gate("semantic", "pass"), gate("review", "pass")])).toBe("All three gates passed.");
  });

  it("names skipped judges and why, and gates that could not run or never ran", () => {
    const noLlm = "Skipped: no LLM is configured for the judges, and this repository allows that (gates.allowSkipWithoutLlm).";
    expect(gatesSentence([gate("deterministic", "pass"), gate("semantic", "skipped", noLlm), gate("review", "skipped", noLlm)])).toBe(
      "deterministic passed; semantic and review skipped (no LLM configured).",
    );
    expect(
      gatesSentence([
        gate("deterministic", "pass"),
        gate("semantic", "error"),
        gate("review", "skipped", "Skipped: the repository turned the review gate off (gates.review.enabled: false)."),
      ]),
    ).toBe("deterministic passed; semantic could not run; review skipped (turned off in .github/autofix.yml).");
    expect(gatesSentence([gate("deterministic", "pass")])).toBe("deterministic passed; semantic and review did not run.");
  });
});
