// The semantic gate: an LLM judge answers one question, does this diff address this issue and nothing
// else, from the issue and the delta alone (never the agent's own account of its work).
import { z } from "zod";
import type { AutofixConfig } from "../config/index.js";
import type { Issue } from "../forge/index.js";
import type { LlmClient } from "../llm/index.js";
import type { Delta } from "../engine/index.js";
import { renderDiffForJudge } from "./judgeDiff.js";
import { flagAnswersField, judgeFlagAnswers, llmFailure, judgePrompt, turnedOff, sameModelNotes, untrustedNotice, withoutLlm } from "./judgeCommon.js";
import type { GateResult, TestFlag } from "./types.js";

export const semanticVerdictSchema = z.object({
  verdict: z.enum(["yes", "partly", "no", "unsure"]).describe("Does the diff resolve what the issue asks?"),
  confidence: z.number().min(0).max(1).describe("How sure you are of the verdict, 0 to 1."),
  rationale: z.string().min(1).describe("Two to five sentences a maintainer can check against the diff."),
  unrelatedPaths: z.array(z.string()).default([]).describe("Changed paths that have nothing to do with the issue."),
  questions: z.array(z.string()).default([]).describe("Open yes/no questions the human reviewer should answer before merging."),
  flagAnswers: flagAnswersField,
});
export type SemanticVerdict = z.infer<typeof semanticVerdictSchema>;

export interface JudgeInput {
  issue: Issue;
  delta: Delta;
  llm?: LlmClient;
  config: AutofixConfig;
  agentModel?: string;
  signal?: AbortSignal;
  /** "Tests weakened" flags from the deterministic gate; each must be answered by the judge. */
  testFlags?: TestFlag[];
}

const system = [
  "You are the semantic gate of autofix, a bot that opens pull requests for issues.",
  "You judge whether a proposed diff addresses the issue it was written for, and whether it changes anything the issue does not call for.",
  "Say `yes` only when the diff resolves what the issue asks; `partly` when it resolves some of it; `no` when it does not; `unsure` when you cannot tell from what you see.",
  "List in unrelatedPaths every changed path that is not needed for the issue (formatting churn, unrelated refactors, dependency bumps nobody asked for).",
  "Ask the human reviewer, as yes/no questions, whatever you could not settle from the diff (behaviour you cannot see, intent you had to assume).",
  untrustedNotice,
].join("\n");

export async function runSemanticGate(input: JudgeInput): Promise<GateResult> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const settings = input.config.gates.semantic;
  if (!settings.enabled) return turnedOff("semantic", elapsed());
  if (!input.llm) return withoutLlm("semantic", input.config, elapsed());

  const model = settings.model ?? input.llm.defaultModel;
  const diff = renderDiffForJudge(input.delta, settings.maxDiffChars);
  const prompt = judgePrompt(input.issue, "The proposed change:", diff.text, input.testFlags);
  let answer: { value: SemanticVerdict; usage: GateResult["usage"]; model: string };
  try {
    answer = await input.llm.structured(semanticVerdictSchema, { system, prompt, model, signal: input.signal });
  } catch (err) {
    return llmFailure("semantic", err, model, elapsed(), input.signal);
  }

  const verdict = answer.value;
  const changed = new Set(input.delta.files.map((f) => f.path));
  // Paths the judge names that the delta does not hold are noise, not a reason to block.
  const unrelatedPaths = verdict.unrelatedPaths.filter((p) => changed.has(p));
  const notes = [...sameModelNotes(answer.model, input.agentModel)];
  if (diff.truncated) notes.push(`the diff was summarized to ${settings.maxDiffChars} characters for the judge (every file listed, some patches cut)`);

  const reasons: string[] = [];
  if (verdict.verdict !== "yes") reasons.push(`The judge's verdict is "${verdict.verdict}": ${verdict.rationale}`);
  if (verdict.confidence < settings.minConfidence) {
    reasons.push(`The judge's confidence ${verdict.confidence.toFixed(2)} is below the required ${settings.minConfidence} (gates.semantic.minConfidence).`);
  }
  if (unrelatedPaths.length > 0) reasons.push(`Changes unrelated to the issue: ${unrelatedPaths.join(", ")}.`);
  const flags = judgeFlagAnswers(input.testFlags, verdict.flagAnswers);
  reasons.push(...flags.reasons);
  const passed = reasons.length === 0;
  return {
    gate: "semantic",
    status: passed ? "pass" : "fail",
    summary: passed
      ? `The judge (${answer.model}) says the change addresses the issue (confidence ${verdict.confidence.toFixed(2)}).`
      : `The judge (${answer.model}) does not accept the change as a fix for the issue: ${verdict.verdict}, confidence ${verdict.confidence.toFixed(2)}.`,
    reasons: passed ? [verdict.rationale] : reasons,
    durationMs: elapsed(),
    model: answer.model,
    ...(answer.usage ? { usage: answer.usage } : {}),
    verdict: verdict.verdict,
    confidence: verdict.confidence,
    unrelatedPaths,
    questions: verdict.questions,
    ...(flags.flagAnswers.length > 0 ? { flagAnswers: flags.flagAnswers } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}
