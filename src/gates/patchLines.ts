// Reads a FileChange's unified patch line by line: what the agent added, what it removed, and which
// new-side lines a hunk covers. Tolerant of any header style (git, jsdiff with or without `====`).
import type { FileChange } from "../engine/index.js";

export interface PatchLines {
  added: string[];
  removed: string[];
  /** New-side line numbers a review comment may target: added and context lines of every hunk. */
  newSideLines: Set<number>;
}

const hunkHeader = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

export function readPatch(patch: string | undefined): PatchLines {
  const lines: PatchLines = { added: [], removed: [], newSideLines: new Set() };
  if (!patch) return lines;
  // Hunk line counts say where a hunk ends, so `+++`/`---` file headers after it are never taken as edits.
  let oldRemaining = 0;
  let newRemaining = 0;
  let newLine = 0;
  for (const line of patch.split("\n")) {
    if (oldRemaining <= 0 && newRemaining <= 0) {
      const header = hunkHeader.exec(line);
      if (!header) continue;
      oldRemaining = header[1] === undefined ? 1 : Number(header[1]);
      newLine = Number(header[2]);
      newRemaining = header[3] === undefined ? 1 : Number(header[3]);
      continue;
    }
    if (line.startsWith("\\")) continue;
    if (line.startsWith("+")) {
      lines.added.push(line.slice(1));
      lines.newSideLines.add(newLine);
      newLine += 1;
      newRemaining -= 1;
    } else if (line.startsWith("-")) {
      lines.removed.push(line.slice(1));
      oldRemaining -= 1;
    } else {
      // Context; some tools strip the leading space of a blank context line.
      lines.newSideLines.add(newLine);
      newLine += 1;
      newRemaining -= 1;
      oldRemaining -= 1;
    }
  }
  return lines;
}

export function changeLines(change: FileChange): PatchLines {
  return readPatch(change.patch);
}

const testPathPatterns = [
  /(^|\/)(test|tests|__tests__|__test__|spec|specs|testing|e2e)\//i,
  /\.(test|spec|e2e)\.[cm]?[jt]sx?$/i,
  /_test\.go$/,
  /(^|\/)test_[^/]*\.py$/,
  /_test\.py$/,
  /(^|\/)conftest\.py$/,
  /_(spec|test)\.rb$/,
  /(Test|Tests|IT|Spec)\.(java|kt|scala|cs|php|swift)$/,
];

/** Whether a path holds tests, by the naming conventions of the common runners. */
export function isTestPath(path: string): boolean {
  return testPathPatterns.some((pattern) => pattern.test(path));
}

/** Lines that are only a comment do not declare or assert anything. */
export function isCommentLine(line: string): boolean {
  return /^\s*(\/\/|#(?!\[)|\/\*|\*|--|;)/.test(line);
}

const importLine = /^\s*(?:import|from|export\s+\{|use|const\s+\w+\s*=\s*require)\b/;

/** Occurrences of a pattern in lines; comments and import lines (`import assert from ...`) left out. */
export function countMatching(lines: string[], pattern: RegExp, options: { skipComments?: boolean } = {}): number {
  let count = 0;
  for (const line of lines) {
    if (options.skipComments && (isCommentLine(line) || importLine.test(line))) continue;
    const global = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
    count += [...line.matchAll(global)].length;
  }
  return count;
}
