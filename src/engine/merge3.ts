// Three-way text merge for absorb, with git's rule: the agent's changes (baseline → agent) and the base
// branch's (baseline → head) are both taken when they touch different lines of the baseline; changes that
// overlap, or touch adjacent lines, are a conflict unless both sides made the very same change. Nothing is
// ever guessed. A conflict is reported as the agent's hunks (unified, 3 lines of context) that clash.
import { diffArrays, structuredPatch, type StructuredPatchHunk } from "diff";

export type MergeOutcome = { ok: true; text: string } | { ok: false; hunks: string[] };

/** Baseline lines [start, end) replaced by `lines` (start === end: an insertion before line `start`). */
interface Change {
  start: number;
  end: number;
  lines: string[];
}

export function mergeText(p: string, baseText: string, agentText: string, headText: string): MergeOutcome {
  const base = splitLines(baseText);
  const mine = changesOf(base, splitLines(agentText));
  const theirs = changesOf(base, splitLines(headText));
  const clashes: Change[] = [];
  const taken: Change[] = [];
  for (const change of mine) {
    const touching = theirs.filter((other) => touches(change, other));
    if (touching.length === 0 || (touching.length === 1 && same(change, touching[0]))) taken.push(change);
    else clashes.push(change);
  }
  if (clashes.length > 0) return { ok: false, hunks: clashingHunks(p, baseText, agentText, clashes) };
  // Upstream changes the agent also made are already in `taken` once: keep the others.
  for (const other of theirs) if (!mine.some((change) => same(change, other))) taken.push(other);
  taken.sort((a, b) => a.start - b.start || a.end - b.end);
  const out: string[] = [];
  let at = 0;
  for (const change of taken) {
    out.push(...base.slice(at, change.start), ...change.lines);
    at = change.end;
  }
  out.push(...base.slice(at));
  return { ok: true, text: out.join("") };
}

/** Lines with their terminators, so a missing final newline survives the merge. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function changesOf(base: string[], other: string[]): Change[] {
  const changes: Change[] = [];
  let at = 0;
  let current: Change | undefined;
  for (const part of diffArrays(base, other)) {
    if (!part.added && !part.removed) {
      if (current) changes.push(current);
      current = undefined;
      at += part.value.length;
      continue;
    }
    current ??= { start: at, end: at, lines: [] };
    if (part.removed) {
      at += part.value.length;
      current.end = at;
    } else current.lines.push(...part.value);
  }
  if (current) changes.push(current);
  return changes;
}

/** Overlapping or adjacent ranges of the baseline (an insertion touches the lines on both sides of it). */
function touches(a: Change, b: Change): boolean {
  return a.start <= b.end && b.start <= a.end;
}

function same(a: Change, b: Change): boolean {
  return a.start === b.start && a.end === b.end && a.lines.length === b.lines.length && a.lines.every((line, i) => line === b.lines[i]);
}

function clashingHunks(p: string, baseText: string, agentText: string, clashes: Change[]): string[] {
  const hunks = structuredPatch(`a/${p}`, `b/${p}`, baseText, agentText, "", "", { context: 3 }).hunks;
  const named = hunks.filter((hunk) => {
    const from = hunk.oldStart - 1;
    const to = from + hunk.oldLines;
    return clashes.some((c) => c.start <= to && from <= c.end);
  });
  return (named.length > 0 ? named : hunks).map(renderHunk);
}

function renderHunk(hunk: StructuredPatchHunk): string {
  const header = `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`;
  return [header, ...hunk.lines].join("\n");
}
