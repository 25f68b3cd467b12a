// Typed verdicts. Gates produce these records; rendering (check runs, PR body, CLI) lives elsewhere.
import type { Usage } from "../llm/index.js";

export type GateName = "deterministic" | "semantic" | "review";
export type GateStatus = "pass" | "fail" | "error" | "skipped";

export interface CommandReport {
  name: string;
  command: string;
  /** "regressed": green on the baseline, red after the agent; "already-red": red on both sides. */
  status: "pass" | "fail" | "regressed" | "already-red" | "fixed" | "timeout" | "error";
  exitCode: number | null;
  durationMs: number;
  outputTail: string;
  detectedFrom?: string;
  tests?: { regressed: string[]; fixed: string[]; missing: string[]; parsed: boolean; note?: string };
  /** Set when the command could not run on a side: the gate is an error ("no checks ran"), never a pass. */
  cannotRun?: { side: "baseline" | "after"; reason: string; hint: string };
}

export interface ReviewFinding {
  path: string;
  /** Line on the new side of the diff; undefined for file-level remarks. */
  line?: number;
  severity: "blocker" | "major" | "minor" | "nit";
  text: string;
}

/** A "tests weakened" signal: not a block, but something the judges must answer and the reviewer check. */
export interface TestFlag {
  code: "EXPECTED_VALUES_ONLY" | "ASSERTION_LOOSENED" | "OWN_CODE_MOCKED" | "HELPER_LOOSENED" | "ASSERTIONS_FELL";
  path: string;
  message: string;
}

export interface GateResult {
  gate: GateName;
  status: GateStatus;
  /** One line a reviewer reads first. */
  summary: string;
  /** Each reason a person must read to understand a fail or error. */
  reasons: string[];
  durationMs: number;
  model?: string;
  usage?: Usage;
  commands?: CommandReport[];
  findings?: ReviewFinding[];
  /** Semantic gate: open yes/no questions for the reviewer. */
  questions?: string[];
  /** Semantic gate verdict. */
  verdict?: "yes" | "partly" | "no" | "unsure";
  confidence?: number;
  unrelatedPaths?: string[];
  /** Deterministic gate: "tests weakened" signals the judges must address, shown to reviewers as checkboxes. */
  testFlags?: TestFlag[];
  /** Judges: their answer to each flag, in the flags' order. */
  flagAnswers?: { code: TestFlag["code"]; path: string; answer: string; concern: boolean }[];
  /** Notes that qualify the result (sandbox fallback, no checks detected, same model as the agent...). */
  notes?: string[];
}
