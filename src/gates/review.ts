// The review gate: an LLM code review of the delta with findings by severity; findings at or above
// gates.review.blockAt fail the gate. Findings are placed on diff lines a PR review can hold.
import { z } from "zod";
import type { Delta } from "../engine/index.js";
import { renderDiffForJudge } from "./judgeDiff.js";
import { flagAnswersField, judgeFlagAnswers, llmFailure, judgePrompt, turnedOff, sameModelNotes, untrustedNotice, withoutLlm } from "./judgeCommon.js";
import { readPatch } from "./patchLines.js";
import type { JudgeInput } from "./semantic.js";
import type { GateResult, ReviewFinding } from "./types.js";

const severities = ["nit", "minor", "major", "blocker"] as const;
const rank = (severity: ReviewFinding["severity"]) => severities.indexOf(severity);

export const reviewSchema = z.object({
  decision: z.enum(["approve", "request-changes", "comment"]),
  summary: z.string().min(1).describe("One paragraph on the change's quality."),
  findings: z
    .array(
      z.object({
        path: z.string().min(1),
        line: z.number().int().positive().nullable().optional().describe("Line number on the NEW side of the diff; null for a file-level remark."),
        severity: z.enum(["blocker", "major", "minor", "nit"]),
        text: z.string().min(1),
      }),
    )
    .default([]),
  flagAnswers: flagAnswersField,
});

const system = [
  "You are the code reviewer of autofix, a bot that opens pull requests for issues. Review the diff as a careful senior maintainer would.",
  "Report concrete problems only: bugs, missed cases, broken behaviour, security issues, tests that do not test the fix, code that will not build.",
  "Severity: blocker = must not merge (wrong, broken, unsafe); major = should be fixed before merging; minor = worth fixing; nit = taste.",
  "Give each finding the path and the line number on the new side of the diff it is about (a `+` or context line of a hunk).",
  "Do not praise and do not restate the diff.",
  untrustedNotice,
].join("\n");

/**
 * Split findings into those a PR review can attach to a line (path in the delta, line on the new side
 * of one of its hunks) and those that belong in the review body. GitHub refuses a whole review when one
 * comment points outside the diff, so a misplaced line must move to the body, not fail the post.
 */
export function mapFindingsToDiff(findings: ReviewFinding[], delta: Delta): { inline: ReviewFinding[]; body: ReviewFinding[] } {
  const linesByPath = new Map(delta.files.map((f) => [f.path, readPatch(f.patch).newSideLines]));
  const inline: ReviewFinding[] = [];
  const body: ReviewFinding[] = [];
  for (const finding of findings) {
    const lines = linesByPath.get(finding.path);
    if (finding.line !== undefined && lines?.has(finding.line)) inline.push(finding);
    else body.push(finding);
  }
  return { inline, body };
}

export async function runReviewGate(input: JudgeInput): Promise<GateResult> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const settings = input.config.gates.review;
  if (!settings.enabled) return turnedOff("review", elapsed());
  if (!input.llm) return withoutLlm("review", input.config, elapsed());

  const model = settings.model ?? input.llm.defaultModel;
  // The reviewer reads the same budgeted diff as the semantic judge.
  const diff = renderDiffForJudge(input.delta, input.config.gates.semantic.maxDiffChars);
  const prompt = judgePrompt(input.issue, "The change to review:", diff.text, input.testFlags);
  let answer: { value: z.infer<typeof reviewSchema>; usage: GateResult["usage"]; model: string };
  try {
    answer = await input.llm.structured(reviewSchema, { system, prompt, model, signal: input.signal });
  } catch (err) {
    return llmFailure("review", err, model, elapsed(), input.signal);
  }

  const findings: ReviewFinding[] = answer.value.findings.map((f) => ({
    path: f.path,
    ...(typeof f.line === "number" ? { line: f.line } : {}),
    severity: f.severity,
    text: f.text,
  }));
  const blocking = findings.filter((f) => rank(f.severity) >= rank(settings.blockAt));
  // A flag the reviewer left unanswered, or answered with a concern, blocks like a finding at the bar.
  const flags = judgeFlagAnswers(input.testFlags, answer.value.flagAnswers);
  // The model's decision counts as much as its severities: a reviewer who asks for changes has not passed it.
  const requestsChanges = answer.value.decision === "request-changes";
  const notes = [...sameModelNotes(answer.model, input.agentModel)];
  if (diff.truncated) notes.push("the reviewer saw a summarized diff (every file listed, some patches cut)");
  const counts = severities.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  const countText = counts.length ? counts.map(([s, n]) => `${n} ${s}`).join(", ") : "no findings";
  return {
    gate: "review",
    status: blocking.length > 0 || flags.reasons.length > 0 || requestsChanges ? "fail" : "pass",
    summary:
      flags.reasons.length > 0 && blocking.length === 0
        ? `The reviewer (${answer.model}) did not clear the "tests weakened" flags: ${flags.reasons.length} open.`
        : blocking.length > 0
          ? `The reviewer (${answer.model}) found ${blocking.length} problem(s) at or above ${settings.blockAt}: ${countText}.`
          : requestsChanges
            ? `The reviewer (${answer.model}) requested changes (findings: ${countText}; none at or above ${settings.blockAt}).`
            : `The reviewer (${answer.model}) found nothing at or above ${settings.blockAt} (${countText}).`,
    reasons:
      blocking.length > 0 || flags.reasons.length > 0
        ? [...blocking.map((f) => `[${f.severity}] ${f.path}${f.line ? `:${f.line}` : ""}: ${f.text}`), ...flags.reasons]
        : requestsChanges
          ? [`The reviewer asked for changes: ${answer.value.summary}`]
          : [answer.value.summary],
    durationMs: elapsed(),
    model: answer.model,
    ...(answer.usage ? { usage: answer.usage } : {}),
    findings,
    ...(flags.flagAnswers.length > 0 ? { flagAnswers: flags.flagAnswers } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}
