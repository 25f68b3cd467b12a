// The `aider` preset: Aider in scripting mode (https://aider.chat/docs/scripting.html), told to edit files only:
// no git commits (the delta is taken from the spawn), no .gitignore edits, no update checks or analytics.
import type { AgentPreset } from "../types.js";
import { lastLines } from "./command.js";

/** "Tokens: 12k sent, 1.3k received. Cost: $0.02 message, $0.05 session." — one line per model reply. */
const tokensLine = /Tokens:\s*([\d.]+)(k|m)?\s+sent[^,]*,\s*([\d.]+)(k|m)?\s+received(?:.*?Cost:\s*\$([\d.]+)\s+message)?/gi;

function scaled(value: string, unit: string | undefined): number {
  const n = Number(value);
  const factor = unit?.toLowerCase() === "k" ? 1_000 : unit?.toLowerCase() === "m" ? 1_000_000 : 1;
  return Math.round(n * factor);
}

export function parseAiderUsage(output: string): { inputTokens: number; outputTokens: number; costUsd?: number } | undefined {
  let inputTokens = 0;
  let outputTokens = 0;
  let costUsd: number | undefined;
  let seen = false;
  for (const m of output.matchAll(tokensLine)) {
    seen = true;
    inputTokens += scaled(m[1]!, m[2]);
    outputTokens += scaled(m[3]!, m[4]);
    if (m[5] !== undefined) costUsd = (costUsd ?? 0) + Number(m[5]);
  }
  if (!seen) return undefined;
  return costUsd === undefined ? { inputTokens, outputTokens } : { inputTokens, outputTokens, costUsd };
}

export const aiderPreset: AgentPreset = {
  name: "aider",
  program: "aider",
  installHint: "`python -m pip install aider-install && aider-install` (Aider is a Python program, not on npm)",
  async prepare(ctx) {
    const argv = [
      "aider",
      "--yes-always",
      "--no-auto-commits",
      "--no-dirty-commits",
      "--no-git",
      "--no-gitignore",
      "--no-check-update",
      "--no-show-release-notes",
      "--analytics-disable",
      "--no-pretty",
      "--no-stream",
      "--message-file",
      ctx.promptFile,
    ];
    if (ctx.model) argv.push("--model", ctx.model);
    return { argv, env: {}, writablePaths: [], readOnlyPaths: [] };
  },
  interpret({ exitCode, outputTail }) {
    const usage = parseAiderUsage(outputTail);
    return {
      summary: lastLines(outputTail.replace(tokensLine, ""), 5),
      ...(usage ? { usage } : {}),
      ...(exitCode !== 0 && exitCode !== null ? { stopReason: `aider exited with code ${exitCode}` } : {}),
    };
  },
};
