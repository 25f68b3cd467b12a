// Turns the pipeline's typed records into what people read: the PR body, check runs, the status
// comment and the failure comment. Gates never render; this is the one place that does.
import type { AgentRun } from "../agents/index.js";
import type { CheckConclusion, CheckRunInput } from "../forge/index.js";
import type { SpendRecord } from "./budget.js";
import type { GateName, GateResult } from "../gates/index.js";
import type { Delta } from "../engine/index.js";
import { agentOutcomeLines, gatesSentence } from "./agentReport.js";

const gateTitles: Record<GateName, string> = {
  deterministic: "autofix / deterministic",
  semantic: "autofix / semantic",
  review: "autofix / review",
};
const statusIcon: Record<GateResult["status"], string> = { pass: "✅", fail: "❌", error: "⚠️", skipped: "⏭️" };

export function checkName(gate: GateName): string {
  return gateTitles[gate];
}

export function statusMarker(key: string): string {
  return `<!-- autofix:status:${key} -->`;
}

/** Hostile text (issue titles, agent output) must not break out of a fence or ping people. */
export function fence(text: string, maxChars = 6_000): string {
  let body = text.length > maxChars ? `[… ${text.length - maxChars} characters trimmed …]\n${text.slice(-maxChars)}` : text;
  body = body.replace(/```/g, "`\u200b``");
  return "```text\n" + body + "\n```";
}

export function neutralizeMentions(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9-])/g, "@\u200b");
}

function conclusionOf(result: GateResult): CheckConclusion {
  switch (result.status) {
    case "pass":
      return "success";
    case "fail":
      return "failure";
    case "skipped":
      return "skipped";
    default:
      return "failure";
  }
}

export function renderGateDetails(result: GateResult): string {
  const lines: string[] = [`**${statusIcon[result.status]} ${result.status}** — ${neutralizeMentions(result.summary)}`, ""];
  if (result.model) lines.push(`Model: \`${result.model}\``);
  for (const reason of result.reasons) lines.push(`- ${neutralizeMentions(reason)}`);
  for (const note of result.notes ?? []) lines.push(`> ${neutralizeMentions(note)}`);
  if (result.commands?.length) {
    lines.push("", "| command | status | duration |", "| --- | --- | --- |");
    for (const c of result.commands) {
      const from = c.detectedFrom ? ` (detected from ${c.detectedFrom})` : "";
      lines.push(`| \`${c.command.replace(/\|/g, "\\|")}\`${from} | ${c.status} | ${(c.durationMs / 1000).toFixed(1)} s |`);
    }
    for (const c of result.commands) {
      if (c.tests?.regressed.length) lines.push("", `Tests broken by the change (${c.name}): ${c.tests.regressed.map((t) => `\`${t}\``).join(", ")}`);
      if (c.tests?.missing.length) lines.push("", `Tests that disappeared (${c.name}): ${c.tests.missing.map((t) => `\`${t}\``).join(", ")}`);
      if (c.tests?.fixed.length) lines.push("", `Tests fixed (${c.name}): ${c.tests.fixed.map((t) => `\`${t}\``).join(", ")}`);
      if (c.status !== "pass" && c.outputTail)
        lines.push("", `<details><summary>${c.name} output (tail)</summary>\n\n${fence(c.outputTail, 3_000)}\n</details>`);
    }
  }
  if (result.testFlags?.length) {
    lines.push(
      "",
      "Tests weakened (flags for the judges and the reviewer):",
      ...result.testFlags.map((f) => `- \`${f.code}\` ${neutralizeMentions(f.message)}`),
    );
  }
  for (const a of result.flagAnswers ?? [])
    lines.push(`- ${a.concern ? "⚠️ concern" : "answered"} on \`${a.code}\` (${a.path}): ${neutralizeMentions(a.answer)}`);
  if (result.findings?.length) {
    lines.push("", "| severity | where | finding |", "| --- | --- | --- |");
    for (const f of result.findings)
      lines.push(`| ${f.severity} | \`${f.path}${f.line ? `:${f.line}` : ""}\` | ${neutralizeMentions(f.text).replace(/\|/g, "\\|").replace(/\n/g, " ")} |`);
  }
  return lines.join("\n");
}

export function renderCheckRun(result: GateResult, headSha: string): CheckRunInput {
  return {
    name: checkName(result.gate),
    headSha,
    status: "completed",
    conclusion: conclusionOf(result),
    title: `${result.status}: ${result.summary}`.slice(0, 200),
    summary: renderGateDetails(result),
  };
}

export function renderDeltaStats(delta: Delta): string {
  const s = delta.stats;
  return `${s.filesAdded} added, ${s.filesModified} modified, ${s.filesDeleted} deleted files; +${s.linesAdded} / −${s.linesDeleted} lines`;
}

export function renderSpend(spend: SpendRecord): string {
  const cost = spend.costIncomplete && spend.costUsd === 0 ? "not priced" : `$${spend.costUsd.toFixed(4)}${spend.costIncomplete ? " (partly priced)" : ""}`;
  return `${spend.inputTokens.toLocaleString("en-US")} input + ${spend.outputTokens.toLocaleString("en-US")} output tokens, cost ${cost}`;
}

export interface PrBodyInput {
  issueNumber: number;
  issueTitle: string;
  delta: Delta;
  results: GateResult[];
  checkUrls: Partial<Record<GateName, string>>;
  agentRun: AgentRun;
  attempts: number;
  spend: SpendRecord;
  failing: GateName[];
}

export function renderPrTitle(issueNumber: number, issueTitle: string): string {
  const clean = issueTitle
    .replace(/[\r\n]+/g, " ")
    .trim()
    .slice(0, 200);
  return `fix: ${clean} (#${issueNumber})`;
}

export function renderPrBody(input: PrBodyInput): string {
  const { delta } = input;
  const files = delta.files.map(
    (f) =>
      `- \`${f.path}\` (${f.kind}${f.binary ? ", binary" : ""}${f.oldMode && f.newMode && f.oldMode !== f.newMode ? `, mode ${f.oldMode} → ${f.newMode}` : ""})`,
  );
  const gateRows = input.results.map((r) => {
    const link = input.checkUrls[r.gate] ? `[${checkName(r.gate)}](${input.checkUrls[r.gate]})` : checkName(r.gate);
    return `| ${link} | ${statusIcon[r.status]} ${r.status} | ${neutralizeMentions(r.summary).replace(/\|/g, "\\|")} |`;
  });
  const questions = input.results.flatMap((r) => r.questions ?? []);
  const run = input.agentRun;
  const partial = run.timedOut && delta.files.length > 0;
  const said = agentOutcomeLines(run);
  const parts = [
    ...(partial
      ? [
          `> ⏱️ **Partial change: the agent ran out of time (${(run.durationMs / 1000).toFixed(0)} s) and was stopped before it finished.** This PR holds what it had written by then; check that the change is complete before merging.`,
          "",
        ]
      : []),
    `Fixes #${input.issueNumber}`,
    "",
    input.failing.length
      ? `> **Draft: the ${input.failing.join(", ")} gate${input.failing.length > 1 ? "s" : ""} did not pass.** Review the reports below before relying on this change.`
      : `${gatesSentence(input.results)} This PR holds only the agent's change for this issue.`,
    "",
    "### Change",
    renderDeltaStats(delta),
    "",
    ...files,
    "",
    "### Gates",
    "| gate | result | summary |",
    "| --- | --- | --- |",
    ...gateRows,
  ];
  const testFlags = input.results.flatMap((r) => r.testFlags ?? []);
  if (testFlags.length) {
    parts.push(
      "",
      "### Tests weakened: check before merging",
      "The deterministic gate flagged these changes to tests; the judges answered each in their reports. Tick each once you have checked it:",
      ...testFlags.map((f) => `- [ ] \`${f.code}\` ${neutralizeMentions(f.message)}`),
    );
  }
  if (questions.length) {
    parts.push(
      "",
      "### Questions for the reviewer",
      "The judge could not settle these from the issue:",
      ...questions.map((q) => `- [ ] ${neutralizeMentions(q)}`),
    );
  }
  parts.push(
    "",
    "### Run",
    `- Attempts: ${input.attempts}`,
    `- Spend: ${renderSpend(input.spend)}`,
    `- Agent: ${input.agentRun.agent} (${(input.agentRun.durationMs / 1000).toFixed(1)} s, isolation: ${input.agentRun.isolation})`,
    ...(input.agentRun.isolation === "process"
      ? ["- ⚠️ The agent ran without bubblewrap isolation on this worker (see the operator's start-up log and docs/security.md)."]
      : []),
    ...(said.length ? ["", "### What the agent reported", ...said.map((l) => `- ${neutralizeMentions(l).replace(/\n/g, " ")}`)] : []),
    "",
    "Comment `/autofix revise <instructions>` to ask for changes, `/autofix retry` for a fresh attempt, `/autofix stop` to cancel.",
    "",
    `<details><summary>Agent output (tail)</summary>\n\n${fence(input.agentRun.outputTail, 4_000)}\n</details>`,
  );
  return parts.join("\n");
}

export type StatusPhase =
  | { phase: "queued" }
  | { phase: "spawn" }
  | { phase: "agent"; attempt: number; of: number }
  | { phase: "gate"; gate: GateName; attempt: number }
  | { phase: "absorb" }
  | { phase: "publish" };

function describePhase(p: StatusPhase): string {
  switch (p.phase) {
    case "queued":
      return "Queued: waiting for a worker.";
    case "spawn":
      return "Preparing an isolated copy of the repository.";
    case "agent":
      return `Agent attempt ${p.attempt} of ${p.of} is working on the fix.`;
    case "gate":
      return `Checking attempt ${p.attempt}: ${p.gate} gate.`;
    case "absorb":
      return "All gates agreed; applying the change onto the current base branch.";
    case "publish":
      return "Opening the pull request.";
  }
}

export function renderStatusInProgress(key: string, p: StatusPhase, history: string[]): string {
  return [statusMarker(key), `🤖 **autofix is working on this issue.**`, "", `**Now:** ${describePhase(p)}`, "", ...history.map((h) => `- ${h}`)].join("\n");
}

export function renderStatusFinal(key: string, headline: string, details: string[]): string {
  return [statusMarker(key), headline, "", ...details].join("\n");
}
