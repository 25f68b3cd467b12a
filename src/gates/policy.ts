// Gate policy: how three verdicts become one decision, and the plain-text report an agent gets back
// on its next attempt.
import type { AutofixConfig } from "../config/index.js";
import type { GateName, GateResult } from "./types.js";

export interface Decision {
  verdict: "pass" | "fail";
  failing: GateName[];
  action: "ready-pr" | "draft-pr" | "no-pr";
}

const gateNames: GateName[] = ["deterministic", "semantic", "review"];

/** A skip counts as a pass only where the repository chose it: the judge turned off, or LLM-less skips allowed. */
function skipAllowed(gate: GateName, config: AutofixConfig): boolean {
  if (gate === "semantic") return !config.gates.semantic.enabled || config.gates.allowSkipWithoutLlm;
  if (gate === "review") return !config.gates.review.enabled || config.gates.allowSkipWithoutLlm;
  return false;
}

export function decide(results: GateResult[], config: AutofixConfig): Decision {
  const byGate = new Map(results.map((r) => [r.gate, r]));
  // Fail and error are reasons; so is a gate that never reported, since no verdict is not a pass.
  const failing = gateNames.filter((gate) => {
    const result = byGate.get(gate);
    return !result || result.status === "fail" || result.status === "error";
  });
  // A skip not allowed blocks too, but is named only when nothing else failed: a judge skipped because
  // the deterministic gate already failed is not a second reason.
  const disallowedSkips = gateNames.filter((gate) => byGate.get(gate)?.status === "skipped" && !skipAllowed(gate, config));
  if (failing.length === 0) failing.push(...disallowedSkips);
  if (failing.length === 0) return { verdict: "pass", failing: [], action: "ready-pr" };
  return { verdict: "fail", failing, action: config.pr.onGateFailure === "draft" ? "draft-pr" : "no-pr" };
}

function renderGate(result: GateResult): string[] {
  const lines = [`## ${result.gate} gate: ${result.status}`, result.summary];
  for (const reason of result.reasons) lines.push(`- ${reason}`);
  for (const command of result.commands ?? []) {
    if (command.status === "pass" || command.status === "fixed" || command.status === "already-red") continue;
    lines.push(`- command \`${command.command}\`: ${command.status} (exit ${command.exitCode})`);
    for (const test of command.tests?.regressed ?? []) lines.push(`  - broken test: ${test}`);
    for (const test of command.tests?.missing ?? []) lines.push(`  - test missing or skipped now: ${test}`);
    if (command.outputTail)
      lines.push(
        "  output (end):",
        ...command.outputTail
          .slice(-1_500)
          .split("\n")
          .map((l) => `    ${l}`),
      );
  }
  for (const finding of result.findings ?? []) {
    lines.push(`- [${finding.severity}] ${finding.path}${finding.line ? `:${finding.line}` : ""}: ${finding.text}`);
  }
  for (const flag of result.testFlags ?? []) lines.push(`- tests weakened [${flag.code}]: ${flag.message}`);
  for (const answer of result.flagAnswers ?? [])
    if (answer.concern) lines.push(`- the judge's concern about ${answer.path} (${answer.code}): ${answer.answer}`);
  if (result.unrelatedPaths?.length) lines.push(`- changes unrelated to the issue: ${result.unrelatedPaths.join(", ")}`);
  return lines;
}

/** Plain text for the agent: only the gates that did not pass, with what to change. */
export function renderRepairReport(results: GateResult[]): string {
  const problems = results.filter((r) => r.status === "fail" || r.status === "error");
  if (problems.length === 0) return "All gates passed on the previous attempt.";
  const sections = problems.map((r) => renderGate(r).join("\n"));
  return [
    "Your previous attempt was not accepted. Fix the problems below and keep the rest of your change.",
    "Do not delete, skip, narrow or weaken tests, do not loosen lint, type-check or test configuration, and do not edit CI: those changes are refused.",
    "",
    sections.join("\n\n"),
  ].join("\n");
}
