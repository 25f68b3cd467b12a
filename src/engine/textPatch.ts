// Text vs binary, and the unified patch of one text file (jsdiff, git-style a/ b/ headers).
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from "diff";

/** Above this size (either side) a text file carries no patch: diffing it would cost more than it tells. */
export const MAX_PATCH_BYTES = 2 * 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Git's heuristic (a NUL byte in the first 8000 bytes) plus invalid UTF-8 anywhere. */
export function isBinary(content: Uint8Array): boolean {
  const head = content.subarray(0, 8000);
  if (head.includes(0)) return true;
  try {
    utf8.decode(content);
    return false;
  } catch {
    return true;
  }
}

/** Patch and line counts; `old`/`next` undefined for an added/deleted file (/dev/null side). */
export function textPatch(p: string, old: Buffer | undefined, next: Buffer | undefined): { patch?: string; linesAdded: number; linesDeleted: number } {
  const oldText = old?.toString("utf8") ?? "";
  const newText = next?.toString("utf8") ?? "";
  if (oldText.length > MAX_PATCH_BYTES || newText.length > MAX_PATCH_BYTES) {
    return { linesAdded: countLines(newText), linesDeleted: countLines(oldText) };
  }
  const structured = structuredPatch(old ? `a/${p}` : "/dev/null", next ? `b/${p}` : "/dev/null", oldText, newText, "", "", {
    context: 3,
  });
  let linesAdded = 0;
  let linesDeleted = 0;
  for (const hunk of structured.hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith("+")) linesAdded++;
      else if (line.startsWith("-")) linesDeleted++;
    }
  }
  return { patch: formatPatch(structured, FILE_HEADERS_ONLY), linesAdded, linesDeleted };
}

function countLines(text: string): number {
  if (text === "") return 0;
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return text.endsWith("\n") ? n : n + 1;
}
