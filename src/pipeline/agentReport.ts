// What the agent itself did, said and was refused, in words a reviewer or an operator reads: its stop
// reason, its final message, refused actions, its provider's error, a timeout; and, when it could not work
// at all, which kind of failure that was and who can fix it. One place, used by the status comment, the
// PR body, the failure comment and the CLI.
import type { AgentFailure, AgentRun } from "../agents/index.js";
import type { GateResult } from "../gates/index.js";

/** What these helpers read of an attempt (structural, so render.ts can use them without a circle through context.ts). */
type AttemptRecord = { agent: AgentRun; delta: { files: readonly unknown[] } };

/** Failures another attempt with a gate report cannot repair: the run stops instead of spending one. */
const cannotWork = new Set<AgentFailure["kind"]>(["auth", "provider", "not-installed", "timeout", "spend"]);

/** The failure that kept the agent from working, when it wrote nothing (a partial change is judged instead). */
export function agentCouldNotWork(attempt: AttemptRecord): AgentFailure | undefined {
  const failure = attempt.agent.failure;
  return failure && cannotWork.has(failure.kind) && attempt.delta.files.length === 0 ? failure : undefined;
}

export interface FailureStory {
  headline: string;
  what: string;
  next: string;
}

/** Who can fix it and how, per kind. `agent` names the preset, `timeoutMinutes` the setting's value. */
export function describeAgentFailure(failure: AgentFailure, agent: string, timeoutMinutes: number): FailureStory {
  const notTheIssue = "This is not a problem with the issue, so autofix did not spend another attempt on it.";
  switch (failure.kind) {
    case "auth":
      return {
        headline: `autofix could not run the agent: its model endpoint refused the agent's credentials.`,
        what: `The ${agent} agent's model endpoint refused its API key. ${notTheIssue}`,
        next:
          agent === "builtin"
            ? "Operator: set a valid key in AUTOFIX_LLM_API_KEY (and check AUTOFIX_LLM_BASE_URL), restart autofix, then comment `/autofix retry`."
            : "Operator: check the key the agent receives (the variable named in agent.passEnv and allowed by AUTOFIX_AGENT_PASS_ENV; docs/agents.md), then comment `/autofix retry`.",
      };
    case "provider":
      return {
        headline: "autofix could not run the agent: its model provider failed.",
        what: `The ${agent} agent's model endpoint failed or could not be reached. ${notTheIssue}`,
        next: "Comment `/autofix retry` later. If it keeps failing, the operator should check the provider's status and the endpoint setting (AUTOFIX_LLM_BASE_URL, AUTOFIX_CLAUDE_BASE_URL or AUTOFIX_CODEX_BASE_URL).",
      };
    case "not-installed":
      return {
        headline: "autofix could not start the agent: its program was not found.",
        what: `The ${agent} agent's command could not be run (the shell exited 127, "command not found"). ${notTheIssue}`,
        next: "Operator: install the agent's program on the autofix host, or fix `agent.command` in .github/autofix.yml (docs/agents.md says how each preset finds its CLI); then comment `/autofix retry`.",
      };
    case "timeout":
      return {
        headline: "autofix stopped the agent: it ran out of time before it changed anything.",
        what: `The ${agent} agent was stopped after agent.timeoutMinutes (${timeoutMinutes} min) without having written a change.`,
        next: "Raise `agent.timeoutMinutes` in .github/autofix.yml or narrow the issue, then comment `/autofix retry`.",
      };
    case "spend":
      return {
        headline: "autofix stopped the agent: the job's spend cap is used up.",
        what: `The ${agent} agent could make no further model call.`,
        next: "Raise `limits.maxTokens` or `limits.maxCostUsd` in .github/autofix.yml, then comment `/autofix retry`.",
      };
    default:
      return {
        headline: "autofix could not run the agent.",
        what: `The ${agent} agent exited with an error before changing anything.`,
        next: "Read the agent's output below, fix its set-up, then comment `/autofix retry`.",
      };
  }
}

/** A timed-out agent that had already written something: the change is partial. */
export function isPartialChange(attempt: AttemptRecord): boolean {
  return attempt.agent.timedOut && attempt.delta.files.length > 0;
}

/** Plain lines about the agent's own outcome (no markup), empty when it finished normally and said nothing. */
export function agentOutcomeLines(run: AgentRun): string[] {
  const lines: string[] = [];
  const providerError = run.failure && (run.failure.kind === "auth" || run.failure.kind === "provider") ? run.failure.message : undefined;
  if (run.timedOut) lines.push(`Timed out: ${run.stopReason ?? "the agent ran out of time and was stopped"}.`);
  else if (run.stopReason && run.stopReason !== providerError) lines.push(`Stopped: ${run.stopReason}`);
  if (providerError) lines.push(`Provider error: ${providerError}`);
  for (const denial of run.permissionDenials ?? []) lines.push(`Refused: ${denial}`);
  if (run.summary) lines.push(`Final message: ${oneParagraph(run.summary)}`);
  return lines;
}

function oneParagraph(text: string, maxChars = 1_500): string {
  const flat = text.trim().replace(/\s*\n\s*/g, " ");
  return flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat;
}

const gateOrder = ["deterministic", "semantic", "review"] as const;

function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

function skipCause(result: GateResult): string {
  if (/no LLM is configured/i.test(result.summary)) return "no LLM configured";
  if (/turned the \w+ gate off/i.test(result.summary)) return "turned off in .github/autofix.yml";
  return result.summary.replace(/^Skipped:?\s*/i, "").replace(/\.$/, "");
}

/**
 * "All three gates passed." only when all three ran and passed; otherwise what each did, e.g.
 * "deterministic passed; semantic and review skipped (no LLM configured)".
 */
export function gatesSentence(results: GateResult[]): string {
  const byGate = new Map(results.map((r) => [r.gate, r]));
  if (gateOrder.every((g) => byGate.get(g)?.status === "pass")) return "All three gates passed.";
  const groups: string[] = [];
  const named = (status: GateResult["status"]) => gateOrder.filter((g) => byGate.get(g)?.status === status);
  const passed = named("pass");
  if (passed.length) groups.push(`${joinNames(passed)} passed`);
  const failed = named("fail");
  if (failed.length) groups.push(`${joinNames(failed)} failed`);
  const errored = named("error");
  if (errored.length) groups.push(`${joinNames(errored)} could not run`);
  const skipped = named("skipped");
  const causes = new Map<string, string[]>();
  for (const g of skipped) {
    const cause = skipCause(byGate.get(g)!);
    causes.set(cause, [...(causes.get(cause) ?? []), g]);
  }
  for (const [cause, names] of causes) groups.push(`${joinNames(names)} skipped (${cause})`);
  const missing = gateOrder.filter((g) => !byGate.has(g));
  if (missing.length) groups.push(`${joinNames(missing)} did not run`);
  const sentence = groups.join("; ");
  // Gate names stay lower case: they are the names of the check runs.
  return sentence ? `${sentence}.` : "No gate ran.";
}
