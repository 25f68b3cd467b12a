// What the agent is told when the repository's CI fails on its PR: per failing check, the check's own
// output and annotations and, for GitHub Actions, the job log trimmed to the failing step.
import type { ActionsJobLog, CheckAnnotation } from "../forge/index.js";
import type { CiCheck } from "./ci.js";

export interface CiFailureDetail {
  check: CiCheck;
  output?: { title?: string | null; summary?: string | null; text?: string | null };
  annotations: CheckAnnotation[];
  job?: ActionsJobLog;
}

const maxLogLines = 150;
const maxSectionChars = 12_000;
const timestamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ?/;

/**
 * The part of an Actions job log that belongs to the failing step. Logs mark each step's start with a
 * `##[group]Run …` line and a failure with `##[error]`: take the last error, walk back to the start of its
 * step, and keep at most the last 150 lines of that.
 */
export function trimToFailingStep(log: string): string {
  const lines = log.split(/\r?\n/).map((l) => l.replace(timestamp, ""));
  let errorAt = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].includes("##[error]")) {
      errorAt = i;
      break;
    }
  }
  const end = errorAt >= 0 ? errorAt + 1 : lines.length;
  let start = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (/^##\[group\]Run /.test(lines[i])) {
      start = i;
      break;
    }
  }
  const section = lines.slice(Math.max(start, end - maxLogLines), end).join("\n");
  return section.length > maxSectionChars ? section.slice(-maxSectionChars) : section;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n… (cut at ${max} characters)` : text;
}

export function renderCiRepairReport(details: CiFailureDetail[]): string {
  const parts = [
    "The repository's CI failed on the pull request with your change. Fix the cause in the code (never by editing CI configuration or skipping tests).",
  ];
  for (const d of details) {
    parts.push("", `## Failing check: ${d.check.name}${d.check.workflow ? ` (workflow ${d.check.workflow})` : ""}${d.check.why ? ` — ${d.check.why}` : ""}`);
    const out = d.output;
    if (out?.title) parts.push(`Title: ${out.title}`);
    if (out?.summary) parts.push("", clip(out.summary, 4_000));
    if (out?.text) parts.push("", clip(out.text, 4_000));
    if (d.annotations.length) {
      parts.push("", "Annotations:");
      for (const a of d.annotations.slice(0, 30))
        parts.push(`- ${a.level} ${a.path}${a.startLine ? `:${a.startLine}` : ""}: ${a.title ? `${a.title}: ` : ""}${a.message}`);
    }
    if (d.job?.log) {
      const failedStep = d.job.steps.find((s) => s.conclusion === "failure");
      parts.push("", `Log of the failing step${failedStep ? ` "${failedStep.name}"` : ""}:`, "```", trimToFailingStep(d.job.log), "```");
    }
  }
  return parts.join("\n");
}
