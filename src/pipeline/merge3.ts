// Three-way text merge for absorb: the agent's edits (baseline → agent, as jsdiff hunks) are applied
// onto the branch's current head. A hunk whose context no longer matches exactly is a conflict, reported
// with its header and lines; nothing is ever guessed (fuzzFactor 0).
import { applyPatch, structuredPatch, type StructuredPatchHunk } from "diff";

export type MergeOutcome = { ok: true; text: string } | { ok: false; hunks: string[] };

export function mergeText(p: string, baseText: string, agentText: string, headText: string): MergeOutcome {
  const patch = structuredPatch(`a/${p}`, `b/${p}`, baseText, agentText, "", "", { context: 3 });
  const merged = applyPatch(headText, patch, { fuzzFactor: 0 });
  if (merged !== false) return { ok: true, text: merged };
  // Find which hunks do not apply, to name them in the report.
  const failing: string[] = [];
  for (const hunk of patch.hunks) {
    const single = { ...patch, hunks: [hunk] };
    if (applyPatch(headText, single, { fuzzFactor: 0 }) === false) failing.push(renderHunk(hunk));
  }
  return { ok: false, hunks: failing.length ? failing : patch.hunks.map(renderHunk) };
}

function renderHunk(hunk: StructuredPatchHunk): string {
  const header = `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`;
  return [header, ...hunk.lines].join("\n");
}
